/**
 * TF Conv2D as matmuls, in NHWC.
 *
 * - 1×1, stride 1, unpadded: one `[N·H·W, C] @ [C, O]` matmul.
 * - otherwise im2col: ONE `np.take` with a host-computed int32 index (cached per static
 *   shape) builds the `[N·OH·OW, KH·KW·C]` patch matrix (padding = a host mask), multiplied
 *   by the `[KH·KW·C, O]` weight matrix. Native `lax.conv` never
 *   reaches jax-js's tiled SIMD matmul and folds padding into its inner loop (10–30× slower
 *   under jit, notes/jax-js-performance.md).
 * - grouped conv (input channels = G × filter in-channels): the gather emits `[G, P, K]`
 *   directly and one batched matmul runs the groups.
 *
 * NCHW is handled by transposing to NHWC and back (TF's CPU kernels only run NHWC too).
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
import { geometryKey, hasPadding, type WindowAttrs, type WindowGeometry, windowGeometry } from "./windowGeometry.js"
import { denseMatmul } from "./matmul.js"

export type Conv2DAttrs = WindowAttrs

/** Static description of a Conv2D filter (HWIO `[KH, KW, C/G, O]`). */
export interface Conv2DFilterInfo {
  readonly kh: number
  readonly kw: number
  /** Filter in-channels (C / groups). */
  readonly inPerGroup: number
  readonly out: number
  readonly groups: number
}

/** Reads the filter info from an HWIO filter shape and the input's channel count. */
export const conv2dFilterInfo = (
  filterShape: ReadonlyArray<number>,
  inChannels: number,
  op = "Conv2D"
): Conv2DFilterInfo => {
  if (filterShape.length !== 4) throw inputError(op, `filter must be 4-D HWIO, got ${fmtShape(filterShape)}`)
  const [kh, kw, inPerGroup, out] = filterShape as [number, number, number, number]
  if (inPerGroup <= 0 || inChannels % inPerGroup !== 0) {
    throw inputError(op, `input channels ${inChannels} are not a multiple of filter in-channels ${inPerGroup}`)
  }
  const groups = inChannels / inPerGroup
  if (out % groups !== 0) throw inputError(op, `output channels ${out} are not a multiple of the ${groups} groups`)
  return { kh, kw, inPerGroup, out, groups }
}

/**
 * The weight-preparation step (run it once at conversion time where the filter is a
 * constant or a parameter): HWIO `[KH, KW, Cg, O]` → `[KH·KW·Cg, O]` (groups = 1, a free
 * reshape) or `[G, KH·KW·Cg, O/G]` (grouped: a transpose, materialised so that the matmul
 * reads a plain buffer — strided views can miss jax-js's SIMD path). Consumes `filter`.
 */
export const prepareConv2dFilter = (filter: Arr, groups = 1): Arr => {
  const [kh, kw, cg, o] = filter.shape as [number, number, number, number]
  if (groups === 1) return filter.reshape([kh * kw * cg, o])
  const og = o / groups
  return materialize(np.transpose(filter.reshape([kh * kw * cg, groups, og]), [1, 0, 2]))
}

/**
 * Conv2D (TF semantics) of `x` (`[N,H,W,C]` or `[N,C,H,W]` per `attrs.dataFormat`) with an
 * HWIO `filter`. Consumes both; returns a new array.
 */
export const conv2d = (x: Arr, filter: Arr, attrs: Conv2DAttrs): Arr => {
  const info = planOrDispose([x, filter], () => {
    const df = checkDataFormat("Conv2D", attrs.dataFormat)
    return conv2dFilterInfo(filter.shape, nhwcShape(x.shape, df)[3])
  })
  return conv2dPrepared(x, prepareConv2dFilter(filter, info.groups), info, attrs)
}

/**
 * Conv2D with a filter already in `prepareConv2dFilter` layout, described by `info`.
 * Consumes `x` and `prepared`.
 */
export const conv2dPrepared = (x: Arr, prepared: Arr, info: Conv2DFilterInfo, attrs: Conv2DAttrs): Arr => {
  const op = "Conv2D"
  const { df, n, g, c } = planOrDispose([x, prepared], () => {
    const df = checkDataFormat(op, attrs.dataFormat)
    if (x.ndim !== 4) throw inputError(op, `input must be 4-D, got ${fmtShape(x.shape)}`)
    const [n, h, w, c] = nhwcShape(x.shape, df)
    if (c !== info.inPerGroup * info.groups) {
      throw inputError(op, `input has ${c} channels, the filter expects ${info.inPerGroup * info.groups}`)
    }
    const want = info.groups === 1 ? [info.kh * info.kw * c, info.out] : [info.groups, info.kh * info.kw * info.inPerGroup, info.out / info.groups]
    if (prepared.shape.length !== want.length || prepared.shape.some((d, i) => d !== want[i])) {
      throw inputError(op, `prepared filter has shape ${fmtShape(prepared.shape)}, expected ${fmtShape(want)}`)
    }
    return { df, n, g: windowGeometry(op, h, w, info.kh, info.kw, attrs, df), c }
  })
  const xh = toNhwc(x, df)
  const p = n * g.h.out * g.w.out
  let y: Arr
  if (info.kh === 1 && info.kw === 1 && g.h.stride === 1 && g.w.stride === 1 && !hasPadding(g) && info.groups === 1) {
    // An NCHW input arrives as a transposed view; a matmul reading a reshaped transpose
    // misses jax-js's SIMD path, so copy it once.
    y = denseMatmul((df === "NCHW" ? materialize(xh) : xh).reshape([p, c]), prepared)
  } else {
    const patches = im2col(xh, g, info.groups)
    y = denseMatmul(patches, prepared)
    // [G, P, O/G] → [P, G, O/G]: output channel o = group·(O/G) + j, as in TF.
    if (info.groups > 1) y = np.transpose(y, [1, 0, 2])
  }
  return fromNhwc(y.reshape([n, g.h.out, g.w.out, info.out]), df)
}

interface Im2colPlan {
  /** Flat input index per patch element (padded taps point at element 0). */
  readonly idx: Int32Array
  /** 1 where the tap is inside the input, 0 on padding; undefined when nothing is padded. */
  readonly keep: Int32Array | undefined
  readonly shape: ReadonlyArray<number>
}

// Index + mask take 8 bytes per patch element; keep at most 256 MB of them.
const planCache = new HostCache<Im2colPlan>(64, 256 * 2 ** 20, (p) => p.idx.byteLength + (p.keep?.byteLength ?? 0))

/**
 * The im2col patch matrix of an NHWC input (consumes `x`): `[N·OH·OW, KH·KW·C]` with columns
 * ordered (kh, kw, c) like an HWIO filter, or `[G, N·OH·OW, KH·KW·C/G]` for G groups.
 *
 * One `np.take` reads the unpadded input with host-computed indices; padded taps are zeroed
 * by a `where` with a host mask instead of padding the input, which saves materialising a
 * padded copy (a gather fuses its source: a lazily padded source would cost masked reads per
 * tap) and doubles as the jit(grad) guard (see `gradSafeGather`). The source itself is
 * materialised first: a gather fuses its producer, so an unmaterialised input (a max-pool,
 * an activation…) would be recomputed for each of the K·K reads of every element (antispoof:
 * one 56 ms kernel, 2.2 ms once materialised).
 */
export const im2col = (x: Arr, g: WindowGeometry, groups = 1): Arr => {
  const [n, h, w, c] = x.shape as [number, number, number, number]
  const plan = planCache.get(`${n},${c},${groups};${geometryKey(g)}`, () => im2colPlan(n, h, w, c, g, groups))
  const patches = np.take(materialize(x).reshape([n * h * w * c]), int32Const(plan.idx, plan.shape), 0)
  const keep = plan.keep && np.array(plan.keep, { dtype: np.bool, shape: [...plan.shape] })
  return gradSafeGather(patches, keep)
}

/** Indices in (group, n, oh, ow, kh, kw, c) order. */
const im2colPlan = (n: number, h: number, w: number, c: number, g: WindowGeometry, groups: number): Im2colPlan => {
  const { out: oh, stride: sh, dilation: dh, kernel: kh, padLo: pt } = g.h
  const { out: ow, stride: sw, dilation: dw, kernel: kw, padLo: pl } = g.w
  const cg = c / groups
  const p = n * oh * ow
  const total = p * kh * kw * c
  if (total > 2 ** 31 - 1) throw attrError("Conv2D", "shape", `im2col needs ${total} elements, over the int32 index range`)
  const idx = new Int32Array(total)
  const keep = hasPadding(g) ? new Int32Array(total) : undefined
  let q = 0
  for (let grp = 0; grp < groups; grp++) {
    for (let b = 0; b < n; b++) {
      for (let y = 0; y < oh; y++) {
        for (let x = 0; x < ow; x++) {
          for (let i = 0; i < kh; i++) {
            const iy = y * sh + i * dh - pt
            for (let j = 0; j < kw; j++) {
              const ix = x * sw + j * dw - pl
              const inside = iy >= 0 && iy < h && ix >= 0 && ix < w
              const base = ((b * h + iy) * w + ix) * c + grp * cg
              for (let k = 0; k < cg; k++, q++) {
                idx[q] = inside ? base + k : 0
                if (keep) keep[q] = inside ? 1 : 0
              }
            }
          }
        }
      }
    }
  }
  return { idx, keep, shape: groups === 1 ? [p, kh * kw * c] : [groups, p, kh * kw * cg] }
}
