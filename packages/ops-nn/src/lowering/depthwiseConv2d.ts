/**
 * TF DepthwiseConv2dNative as a sum of K·K shifted (strided) slices of the padded,
 * materialised NHWC input times per-channel weights. Output channel c·M + m is
 * Σ_taps x[…, c] · w[kh, kw, c, m]. This is 2–8× faster than jax-js's native grouped conv
 * and as fast as a gather-free lowering gets (notes/jax-js-performance.md §4), and it uses
 * only slices, reshapes and multiplies, so it works under jit, grad and vmap.
 */
import {
  type Arr,
  checkDataFormat,
  fmtShape,
  fromNhwc,
  inputError,
  nhwcShape,
  planOrDispose,
  toNhwc
} from "./common.js"
import { padForTaps, tap } from "./taps.js"
import { type WindowAttrs, windowGeometry } from "./windowGeometry.js"

export type DepthwiseConv2DAttrs = WindowAttrs

/**
 * The weight-preparation step: `[KH, KW, C, M]` → `[KH·KW, C, M]`, or `[KH·KW, C]` when
 * M = 1 (a free reshape; tap k uses row k). Consumes `filter`.
 */
export const prepareDepthwiseFilter = (filter: Arr): Arr => {
  const [kh, kw, c, m] = filter.shape as [number, number, number, number]
  return m === 1 ? filter.reshape([kh * kw, c]) : filter.reshape([kh * kw, c, m])
}

/**
 * DepthwiseConv2dNative of `x` (`[N,H,W,C]`, or `[N,C,H,W]` per `attrs.dataFormat`) with a
 * `[KH, KW, C, M]` filter. Consumes both; returns `[N, OH, OW, C·M]` (or NCHW).
 */
export const depthwiseConv2d = (x: Arr, filter: Arr, attrs: DepthwiseConv2DAttrs): Arr => {
  const [kh, kw] = filter.shape as [number, number]
  const m = filter.shape[3] ?? 1
  planOrDispose([x, filter], () => {
    if (filter.ndim !== 4) throw inputError("DepthwiseConv2dNative", `filter must be 4-D, got ${fmtShape(filter.shape)}`)
  })
  return depthwiseConv2dPrepared(x, prepareDepthwiseFilter(filter), { kh, kw, multiplier: m }, attrs)
}

/** Static description of a prepared depthwise filter. */
export interface DepthwiseFilterInfo {
  readonly kh: number
  readonly kw: number
  readonly multiplier: number
}

/** Depthwise conv with a `prepareDepthwiseFilter` filter. Consumes `x` and `prepared`. */
export const depthwiseConv2dPrepared = (
  x: Arr,
  prepared: Arr,
  info: DepthwiseFilterInfo,
  attrs: DepthwiseConv2DAttrs
): Arr => {
  const op = "DepthwiseConv2dNative"
  const { kh, kw, multiplier: m } = info
  const { df, n, c, g } = planOrDispose([x, prepared], () => {
    const df = checkDataFormat(op, attrs.dataFormat)
    if (x.ndim !== 4) throw inputError(op, `input must be 4-D, got ${fmtShape(x.shape)}`)
    const [n, h, w, c] = nhwcShape(x.shape, df)
    const want = m === 1 ? [kh * kw, c] : [kh * kw, c, m]
    if (prepared.shape.length !== want.length || prepared.shape.some((d, i) => d !== want[i])) {
      throw inputError(op, `filter ${fmtShape(prepared.shape)} does not match ${c} input channels (expected ${fmtShape(want)})`)
    }
    return { df, n, c, g: windowGeometry(op, h, w, kh, kw, attrs, df) }
  })
  const xp = padForTaps(toNhwc(x, df), g)
  let acc: Arr | undefined
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const wk = prepared.ref.slice(i * kw + j)
      const t = tap(xp.ref, g, i, j)
      const term = m === 1 ? t.mul(wk) : t.reshape([n, g.h.out, g.w.out, c, 1]).mul(wk)
      acc = acc === undefined ? term : acc.add(term)
    }
  }
  xp.dispose()
  prepared.dispose()
  const y = m === 1 ? acc! : acc!.reshape([n, g.h.out, g.w.out, c * m])
  return fromNhwc(y, df)
}
