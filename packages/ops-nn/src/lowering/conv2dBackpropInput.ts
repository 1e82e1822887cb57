/**
 * TF Conv2DBackpropInput (the transposed convolution) as one gather + one matmul, in NHWC:
 *
 *   dx[n, ih, iw, c] = Σ_{kh, kw, o} dy[n, oh, ow, o] · w[kh, kw, c, o],
 *   where ih = oh·sh + kh·dh − padTop (same for w), when such an integer oh exists.
 *
 * The host computes, for every (n, ih, iw, kh, kw, o), the flat position of that dy element
 * and a mask that is 0 where no output position maps there (stride gaps, borders). One
 * gather + `where` builds the `[N·H·W, KH·KW·O]` patch matrix straight from dy, with no
 * dilated or padded copy of dy, and a matmul with the filter as `[KH·KW·O, C]` finishes.
 * The stride gaps are zeros in the patch matrix (s² more multiply-adds than a phase-split
 * lowering would need).
 */
import { numpy as np } from "@jax-js/jax"
import { gradSafeGather, materialize } from "./barrier.js"
import {
  type Arr,
  attrError,
  checkDataFormat,
  fmtShape,
  fromNhwc,
  HostCache,
  inputError,
  int32Const,
  nhwcShape,
  planOrDispose,
  toNhwc
} from "./common.js"
import { geometryKey, type WindowAttrs, type WindowGeometry, windowGeometry } from "./windowGeometry.js"
import { denseMatmul } from "./matmul.js"

export type Conv2DBackpropInputAttrs = WindowAttrs

/**
 * The weight-preparation step: HWIO `[KH, KW, C, O]` → `[KH·KW·O, C]` (a transpose; do it once
 * at conversion time for constant filters). The result is materialised: a matmul reading a
 * reshaped transpose misses jax-js's SIMD path (measured 460 ms vs 30 ms for a 3×3 64→32
 * layer on 64×64). Consumes `filter`.
 */
export const prepareConv2dBackpropInputFilter = (filter: Arr): Arr => {
  const [kh, kw, c, o] = filter.shape as [number, number, number, number]
  return materialize(np.transpose(filter, [0, 1, 3, 2]).reshape([kh * kw * o, c]))
}

/**
 * Conv2DBackpropInput: the gradient of Conv2D w.r.t. its input, for the static `inputSizes`
 * (4 values in data_format order), an HWIO `filter` and `outBackprop` (`[N, OH, OW, O]` or
 * NCHW). Consumes `filter` and `outBackprop`.
 */
export const conv2dBackpropInput = (
  inputSizes: ReadonlyArray<number>,
  filter: Arr,
  outBackprop: Arr,
  attrs: Conv2DBackpropInputAttrs
): Arr => {
  const [kh, kw] = filter.shape as [number, number]
  planOrDispose([filter, outBackprop], () => {
    if (filter.ndim !== 4) throw inputError("Conv2DBackpropInput", `filter must be 4-D HWIO, got ${fmtShape(filter.shape)}`)
  })
  return conv2dBackpropInputPrepared(inputSizes, prepareConv2dBackpropInputFilter(filter), { kh, kw }, outBackprop, attrs)
}

/**
 * As `conv2dBackpropInput`, with a filter already in `prepareConv2dBackpropInputFilter`
 * layout (`[KH·KW·O, C]`) and its kernel size. Consumes `prepared` and `outBackprop`.
 */
export const conv2dBackpropInputPrepared = (
  inputSizes: ReadonlyArray<number>,
  prepared: Arr,
  kernel: { readonly kh: number; readonly kw: number },
  outBackprop: Arr,
  attrs: Conv2DBackpropInputAttrs
): Arr => {
  const op = "Conv2DBackpropInput"
  const { df, n, h, w, c, o, g } = planOrDispose([prepared, outBackprop], () => {
    const df = checkDataFormat(op, attrs.dataFormat)
    if (inputSizes.length !== 4) throw attrError(op, "input_sizes", `expected 4 values, got [${inputSizes.join(",")}]`)
    if (outBackprop.ndim !== 4) throw inputError(op, `out_backprop must be 4-D, got ${fmtShape(outBackprop.shape)}`)
    const [n, h, w, c] = nhwcShape(inputSizes, df)
    const g = windowGeometry(op, h, w, kernel.kh, kernel.kw, attrs, df)
    const [dn, doh, dow, o] = nhwcShape(outBackprop.shape, df)
    if (dn !== n || doh !== g.h.out || dow !== g.w.out) {
      throw inputError(op, `out_backprop ${fmtShape(outBackprop.shape)} does not match the conv output [${n},${g.h.out},${g.w.out},·] of input_sizes [${inputSizes.join(",")}]`)
    }
    const want = [kernel.kh * kernel.kw * o, c]
    if (prepared.shape.length !== 2 || prepared.shape[0] !== want[0] || prepared.shape[1] !== want[1]) {
      throw inputError(op, `filter ${fmtShape(prepared.shape)} does not match (expected ${fmtShape(want)})`)
    }
    return { df, n, h, w, c, o, g }
  })
  const dy = toNhwc(outBackprop, df)
  const plan = planCache.get(`${n},${o};${geometryKey(g)}`, () => transposedPlan(n, o, g))
  const shape = [n * h * w, kernel.kh * kernel.kw * o]
  const taken = np.take(dy.reshape([n * g.h.out * g.w.out * o]), int32Const(plan.idx, shape), 0)
  const patches = gradSafeGather(taken, np.array(plan.keep, { dtype: np.bool, shape }))
  return fromNhwc(denseMatmul(patches, prepared).reshape([n, h, w, c]), df)
}

const planCache = new HostCache<{ readonly idx: Int32Array; readonly keep: Int32Array }>(
  64,
  256 * 2 ** 20,
  (p) => p.idx.byteLength + p.keep.byteLength
)

/** Flat dy positions (0 where none maps) and the keep mask, in (n, ih, iw, kh, kw, o) order. */
const transposedPlan = (n: number, o: number, g: WindowGeometry): { idx: Int32Array; keep: Int32Array } => {
  const { size: h, out: oh, stride: sh, dilation: dh, kernel: kh, padLo: pt } = g.h
  const { size: w, out: ow, stride: sw, dilation: dw, kernel: kw, padLo: pl } = g.w
  const idx = new Int32Array(n * h * w * kh * kw * o)
  const keep = new Int32Array(idx.length)
  let q = 0
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let i = 0; i < kh; i++) {
          const ty = y + pt - i * dh
          const oy = ty / sh
          const rowOk = ty >= 0 && ty % sh === 0 && oy < oh
          for (let j = 0; j < kw; j++) {
            const tx = x + pl - j * dw
            const ox = tx / sw
            if (rowOk && tx >= 0 && tx % sw === 0 && ox < ow) {
              const base = ((b * oh + oy) * ow + ox) * o
              for (let k = 0; k < o; k++, q++) {
                idx[q] = base + k
                keep[q] = 1
              }
            } else {
              q += o
            }
          }
        }
      }
    }
  }
  return { idx, keep }
}
