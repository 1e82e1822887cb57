/**
 * TF MaxPool / MaxPoolV2 / AvgPool without `lax.reduceWindow` (which has no vmap rule):
 *
 * - non-overlapping windows (ksize = strides): slice to OH·KH × OW·KW, reshape to
 *   `[N, OH, KH, OW, KW, C]` and combine its K·K index-(i, j) views — one fused kernel, 2×
 *   faster than `np.max` over axes 2 and 4;
 * - otherwise K·K strided taps of the padded, materialised input (see taps.ts).
 *
 * Taps are combined in row-major window order with `maximum(acc, tap)` / `add`. jax-js's
 * `maximum` sends a tie's gradient to its first operand, so the gradient goes to the first
 * maximum in the window, as TF's MaxPoolGrad does (`np.max` would split it among ties).
 *
 * MaxPool pads with the dtype's lowest value (−∞ for floats), so padding never wins. AvgPool
 * pads with zeros and divides by the number of real (unpadded) elements in each window, as TF
 * does; those counts are host constants.
 */
import { numpy as np } from "@jax-js/jax"
import {
  type Arr,
  checkDataFormat,
  type DataFormat,
  float32Const,
  fmtShape,
  fromNhwc,
  HostCache,
  inputError,
  nhwcShape,
  planOrDispose,
  toNhwc
} from "./common.js"
import { padForTaps, tap } from "./taps.js"
import { type AxisGeometry, spatialPair, type WindowGeometry, windowGeometry, type Padding } from "./windowGeometry.js"

export interface PoolAttrs {
  /** 4 values in data_format order (MaxPoolV2: the static `ksize` input). */
  readonly ksize: ReadonlyArray<number>
  /** 4 values in data_format order (MaxPoolV2: the static `strides` input). */
  readonly strides: ReadonlyArray<number>
  readonly padding: Padding | string
  /** MaxPool only, with padding EXPLICIT: 8 values in data_format order. */
  readonly explicitPaddings?: ReadonlyArray<number>
  readonly dataFormat?: DataFormat | string
}

/** MaxPool / MaxPoolV2 (NHWC or NCHW). Consumes `x`. */
export const maxPool = (x: Arr, attrs: PoolAttrs): Arr => pool("MaxPool", x, attrs)

/** AvgPool (NHWC or NCHW; SAME or VALID). Consumes `x`. */
export const avgPool = (x: Arr, attrs: PoolAttrs): Arr => pool("AvgPool", x, attrs)

const lowest = (dtype: np.DType): number =>
  dtype === np.int32 ? -(2 ** 31) : dtype === np.uint32 || dtype === np.bool ? 0 : -Infinity

const pool = (op: "MaxPool" | "AvgPool", x: Arr, attrs: PoolAttrs): Arr => {
  const { df, g } = planOrDispose([x], () => {
    const df = checkDataFormat(op, attrs.dataFormat)
    if (x.ndim !== 4) throw inputError(op, `input must be 4-D, got ${fmtShape(x.shape)}`)
    const [, h, w] = nhwcShape(x.shape, df)
    const [kh, kw] = spatialPair(op, "ksize", attrs.ksize, df)
    return { df, g: windowGeometry(op, h, w, kh, kw, { ...attrs, dilations: [] }, df, op === "MaxPool") }
  })
  const xh = toNhwc(x, df)
  const fill = op === "MaxPool" ? lowest(xh.dtype) : 0
  const combine = op === "MaxPool" ? (a: Arr, b: Arr) => np.maximum(a, b) : (a: Arr, b: Arr) => a.add(b)
  let y: Arr
  if (g.h.kernel === g.h.stride && g.w.kernel === g.w.stride) {
    // One reduction reads each element once: no barrier needed. Windows tile
    // [0, out·k) of the padded input exactly.
    const xp = padForTaps(xh, g, fill, false, true)
    const [n, , , c] = xp.shape as [number, number, number, number]
    const win = xp
      .slice([], [0, g.h.out * g.h.kernel], [0, g.w.out * g.w.kernel], [])
      .reshape([n, g.h.out, g.h.kernel, g.w.out, g.w.kernel, c])
    let acc: Arr | undefined
    for (let i = 0; i < g.h.kernel; i++) {
      for (let j = 0; j < g.w.kernel; j++) {
        const t = win.ref.slice([], [], i, [], j, [])
        acc = acc === undefined ? t : combine(acc, t)
      }
    }
    win.dispose()
    y = acc!
  } else {
    const xp = padForTaps(xh, g, fill)
    let acc: Arr | undefined
    for (let i = 0; i < g.h.kernel; i++) {
      for (let j = 0; j < g.w.kernel; j++) {
        const t = tap(xp.ref, g, i, j)
        acc = acc === undefined ? t : combine(acc, t)
      }
    }
    xp.dispose()
    y = acc!
  }
  if (op === "AvgPool") y = y.div(windowCounts(g))
  return fromNhwc(y, df)
}

const countCache = new HostCache<Float32Array>(64)

const axisCounts = (a: AxisGeometry): number[] =>
  Array.from({ length: a.out }, (_, o) => {
    const start = o * a.stride - a.padLo
    return Math.min(start + a.kernel, a.size) - Math.max(start, 0)
  })

/** Real elements per window: a scalar when all windows are full, else an `[OH, OW, 1]` constant. */
const windowCounts = (g: WindowGeometry): Arr | number => {
  const ch = axisCounts(g.h)
  const cw = axisCounts(g.w)
  const full = g.h.kernel * g.w.kernel
  if (ch.every((v) => v === g.h.kernel) && cw.every((v) => v === g.w.kernel)) return full
  const key = `${ch.join(",")};${cw.join(",")}`
  const data = countCache.get(key, () => Float32Array.from(ch.flatMap((a) => cw.map((b) => a * b))))
  return float32Const(data, [g.h.out, g.w.out, 1])
}
