/**
 * Host-side window geometry shared by conv, depthwise conv, transposed conv and pooling:
 * TF's 4-element `strides`/`dilations`/`ksize` attrs (in data_format order), SAME/VALID/EXPLICIT
 * padding (SAME puts the smaller half first: lo = ⌊total/2⌋), and output sizes.
 */
import { attrError, type DataFormat } from "./common.js"

export type Padding = "SAME" | "VALID" | "EXPLICIT"

/** One spatial axis of a sliding window. */
export interface AxisGeometry {
  readonly size: number
  readonly kernel: number
  readonly stride: number
  readonly dilation: number
  /** Dilated kernel extent: (kernel − 1)·dilation + 1. */
  readonly extent: number
  readonly out: number
  readonly padLo: number
  readonly padHi: number
}

export interface WindowGeometry {
  readonly h: AxisGeometry
  readonly w: AxisGeometry
}

/** The TF attrs every windowed op shares (raw TF attr values). */
export interface WindowAttrs {
  /** 4 values in data_format order; batch and channel entries must be 1. */
  readonly strides: ReadonlyArray<number>
  readonly padding: Padding | string
  /** 8 values (lo, hi per dim) in data_format order; only for padding "EXPLICIT". */
  readonly explicitPaddings?: ReadonlyArray<number>
  /** 4 values in data_format order, default all 1. */
  readonly dilations?: ReadonlyArray<number>
  readonly dataFormat?: DataFormat | string
}

const spatialAxes = (df: DataFormat): [number, number] => (df === "NCHW" ? [2, 3] : [1, 2])

/** The (h, w) entries of a 4-element attr; the batch and channel entries must be 1. */
export const spatialPair = (
  op: string,
  attr: string,
  value: ReadonlyArray<number> | undefined,
  df: DataFormat
): [number, number] => {
  if (value === undefined || value.length === 0) return [1, 1]
  if (value.length !== 4) throw attrError(op, attr, `expected 4 values, got [${value.join(",")}]`)
  const [a, b] = spatialAxes(df)
  const other = [0, 1, 2, 3].filter((i) => i !== a && i !== b)
  if (other.some((i) => value[i] !== 1)) {
    throw attrError(op, attr, `only spatial windows are supported; got [${value.join(",")}] for ${df}`)
  }
  const pair: [number, number] = [value[a]!, value[b]!]
  if (pair.some((v) => !Number.isInteger(v) || v < 1)) {
    throw attrError(op, attr, `entries must be positive integers, got [${value.join(",")}]`)
  }
  return pair
}

/** Explicit (lo, hi) paddings of the two spatial axes; batch/channel padding must be 0. */
const explicitPairs = (
  op: string,
  value: ReadonlyArray<number> | undefined,
  df: DataFormat
): [[number, number], [number, number]] => {
  if (value === undefined || value.length !== 8) {
    throw attrError(op, "explicit_paddings", `padding EXPLICIT needs 8 values, got [${(value ?? []).join(",")}]`)
  }
  const [a, b] = spatialAxes(df)
  for (const i of [0, 1, 2, 3]) {
    if (i !== a && i !== b && (value[2 * i] !== 0 || value[2 * i + 1] !== 0)) {
      throw attrError(op, "explicit_paddings", `batch and channel paddings must be 0, got [${value.join(",")}]`)
    }
  }
  const pairs: [[number, number], [number, number]] = [
    [value[2 * a]!, value[2 * a + 1]!],
    [value[2 * b]!, value[2 * b + 1]!]
  ]
  if (pairs.flat().some((v) => !Number.isInteger(v) || v < 0)) {
    throw attrError(op, "explicit_paddings", `paddings must be non-negative integers, got [${value.join(",")}]`)
  }
  return pairs
}

const axisGeometry = (
  op: string,
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: string,
  explicit: [number, number] | undefined
): AxisGeometry => {
  const extent = (kernel - 1) * dilation + 1
  let out: number
  let padLo = 0
  let padHi = 0
  if (padding === "SAME") {
    out = Math.ceil(size / stride)
    const total = Math.max((out - 1) * stride + extent - size, 0)
    padLo = Math.floor(total / 2)
    padHi = total - padLo
  } else if (padding === "VALID") {
    out = Math.floor((size - extent) / stride) + 1
  } else if (padding === "EXPLICIT") {
    ;[padLo, padHi] = explicit!
    out = Math.floor((size + padLo + padHi - extent) / stride) + 1
  } else {
    throw attrError(op, "padding", `${padding} is not supported (SAME, VALID or EXPLICIT)`)
  }
  if (out < 0 || (out === 0 && size > 0)) {
    throw attrError(op, "padding", `window extent ${extent} does not fit input size ${size} (output would be ${out})`)
  }
  return { size, kernel, stride, dilation, extent, out: Math.max(out, 0), padLo, padHi }
}

/**
 * The spatial geometry of a window op on an NHWC input of spatial size (inH, inW) with a
 * (kh, kw) kernel. `attrs` are raw TF attrs; `allowExplicit` is false for ops without it.
 */
export const windowGeometry = (
  op: string,
  inH: number,
  inW: number,
  kh: number,
  kw: number,
  attrs: WindowAttrs,
  df: DataFormat,
  allowExplicit = true
): WindowGeometry => {
  const [sh, sw] = spatialPair(op, "strides", attrs.strides, df)
  const [dh, dw] = spatialPair(op, "dilations", attrs.dilations, df)
  const padding = attrs.padding
  if (padding === "EXPLICIT" && !allowExplicit) throw attrError(op, "padding", "EXPLICIT is not supported by this op")
  const ex = padding === "EXPLICIT" ? explicitPairs(op, attrs.explicitPaddings, df) : undefined
  return {
    h: axisGeometry(op, inH, kh, sh, dh, padding, ex?.[0]),
    w: axisGeometry(op, inW, kw, sw, dw, padding, ex?.[1])
  }
}

/** A key for host caches. */
export const geometryKey = (g: WindowGeometry): string =>
  [g.h, g.w].map((a) => `${a.size},${a.kernel},${a.stride},${a.dilation},${a.out},${a.padLo},${a.padHi}`).join(";")

export const hasPadding = (g: WindowGeometry): boolean =>
  g.h.padLo + g.h.padHi + g.w.padLo + g.w.padHi > 0

/**
 * The (lo, hi) padding that makes every strided tap slice of length out·stride fit:
 * tap k reads rows [k·dilation, k·dilation + out·stride) of the padded input. Extra high
 * padding is never read into an output (it falls in the dropped stride remainder); surplus
 * input rows are cut off by the slices. `tiled` (kernel = stride, dilation 1): windows are
 * reshaped out of [0, out·kernel), which is all that must fit.
 */
export const tapPadding = (a: AxisGeometry, tiled = false): [number, number] => {
  const need = tiled ? a.out * a.kernel : (a.kernel - 1) * a.dilation + a.out * a.stride
  return [a.padLo, Math.max(a.padHi, need - a.size - a.padLo)]
}
