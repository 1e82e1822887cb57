/**
 * Reader and checker for the TensorFlow golden op cases in `fixtures/ops/*.json` (written by
 * fixtures/ops/generate_ops.py from real TF). Used by the lowering tests, and usable by the
 * engine to run the same cases end to end through each case's saved GraphDef.
 *
 * Runtime-neutral (no Node APIs): callers read the JSON text themselves.
 */
import { grad, jit, numpy as np, vmap } from "@jax-js/jax"
import type { Arr } from "./common.js"

/** A tensor as stored: raw little-endian bytes, row-major. */
export interface EncodedTensor {
  readonly dtype: string
  readonly shape: ReadonlyArray<number>
  readonly data_base64_le: string
}

export interface GoldenInput extends EncodedTensor {
  /** TF's argument name (`input`, `filter`, …). */
  readonly name: string
  /** A Const in the saved graph; a host value (shape, size, axis…) for the lowering. */
  readonly static: boolean
}

export interface GoldenCase {
  readonly name: string
  readonly op: string
  /** The op's attrs as passed to `tf.raw_ops` (dtype attrs as dtype names). */
  readonly attrs: Readonly<Record<string, unknown>>
  /** "cpu", or "xla_cpu" when TF's CPU kernels refuse the variant (NCHW, dilations…). */
  readonly tf_runtime: string
  readonly inputs: ReadonlyArray<GoldenInput>
  readonly outputs: ReadonlyArray<EncodedTensor>
  /** Per output: the cotangent of the gradient check (null for non-float outputs). */
  readonly cotangents: ReadonlyArray<EncodedTensor | null>
  /** TF's gradient of Σ sum(output·cotangent) per float, non-static input name. */
  readonly grads: Readonly<Record<string, EncodedTensor>>
  readonly graph: {
    readonly graph_def_base64: string
    /** Placeholder tensor names, in the order of the non-static inputs. */
    readonly inputs: ReadonlyArray<string>
    readonly outputs: ReadonlyArray<string>
  }
}

export interface GoldenFamily {
  readonly family: string
  readonly tensorflow_version: string
  readonly cases: ReadonlyArray<GoldenCase>
}

export const parseGoldenFamily = (json: string): GoldenFamily => {
  const doc = JSON.parse(json) as GoldenFamily
  if (typeof doc.family !== "string" || !Array.isArray(doc.cases)) throw new TypeError("not a golden op family file")
  return doc
}

export type HostArray = Float32Array | Float64Array | Int32Array | Uint32Array

export interface DecodedTensor {
  readonly dtype: string
  readonly shape: ReadonlyArray<number>
  /** int64 is narrowed to int32 (range-checked), bool to int32 0/1, as the converter does. */
  readonly data: HostArray
}

const base64Bytes = (b64: string): Uint8Array => {
  const s = atob(b64)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

export const decodeTensor = (t: EncodedTensor): DecodedTensor => {
  const bytes = base64Bytes(t.data_base64_le)
  const dv = new DataView(bytes.buffer)
  const n = t.shape.reduce((a, b) => a * b, 1)
  const read = <A extends HostArray>(out: A, size: number, get: (o: number) => number): A => {
    if (bytes.length !== n * size) throw new RangeError(`${t.dtype}[${t.shape.join(",")}] needs ${n * size} bytes, got ${bytes.length}`)
    for (let i = 0; i < n; i++) out[i] = get(i * size)
    return out
  }
  switch (t.dtype) {
    case "float32":
      return { ...t, data: read(new Float32Array(n), 4, (o) => dv.getFloat32(o, true)) }
    case "float64":
      return { ...t, data: read(new Float64Array(n), 8, (o) => dv.getFloat64(o, true)) }
    case "int32":
      return { ...t, data: read(new Int32Array(n), 4, (o) => dv.getInt32(o, true)) }
    case "uint32":
      return { ...t, data: read(new Uint32Array(n), 4, (o) => dv.getUint32(o, true)) }
    case "bool":
      return { ...t, data: read(new Int32Array(n), 1, (o) => dv.getUint8(o)) }
    case "int64":
      return {
        ...t,
        dtype: "int32",
        data: read(new Int32Array(n), 8, (o) => {
          const v = dv.getBigInt64(o, true)
          if (v < -(2n ** 31n) || v >= 2n ** 31n) throw new RangeError(`int64 value ${v} exceeds int32`)
          return Number(v)
        })
      }
    default:
      throw new TypeError(`golden dtype ${t.dtype} is not supported`)
  }
}

const jaxDtype = (dtype: string): np.DType =>
  dtype === "float64" ? np.float64 : dtype === "int32" ? np.int32 : dtype === "uint32" ? np.uint32 : dtype === "bool" ? np.bool : np.float32

/** A new device array holding the tensor (the caller owns it). */
export const toArray = (t: EncodedTensor | DecodedTensor): Arr => {
  const d = "data" in t ? t : decodeTensor(t)
  // jax-js 0.1.25's np.array fails on empty data ("Expected a number for constant").
  if (d.data.length === 0) return np.zeros([...d.shape], { dtype: jaxDtype(d.dtype) })
  const arr = np.array(d.data, { dtype: jaxDtype(d.dtype === "bool" ? "int32" : d.dtype), shape: [...d.shape] })
  return d.dtype === "bool" ? arr.astype(np.bool) : arr
}

/** Host numbers of a tensor (static inputs: sizes, axes, begin/end…). */
export const toNumbers = (t: EncodedTensor): number[] => Array.from(decodeTensor(t).data)

/** The outcome of one comparison. */
export interface Mismatch {
  readonly what: string
  readonly detail: string
}

/**
 * Compares an actual array (consumed) with an expected tensor: shape, then values.
 * Integer results must match exactly; floats within `rtol · max|expected| + atol`.
 */
export const compare = (what: string, actual: Arr, expected: EncodedTensor, rtol: number, atol = 1e-7): Mismatch[] => {
  const e = decodeTensor(expected)
  const shape = actual.shape
  if (shape.length !== e.shape.length || shape.some((d, i) => d !== e.shape[i])) {
    actual.dispose()
    return [{ what, detail: `shape [${shape.join(",")}] ≠ TF [${e.shape.join(",")}]` }]
  }
  const a = actual.dataSync()
  const isFloat = e.dtype.startsWith("float")
  // The tolerance scales with the finite values only; non-finite expectations must match exactly
  // (NaN where TF has NaN, the same infinity), else an infinite scale would accept anything.
  let scale = 0
  for (const v of e.data) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v))
  const tol = isFloat ? rtol * scale + atol : 0
  let worst = 0
  let at = -1
  for (let i = 0; i < e.data.length; i++) {
    const want = e.data[i]!
    const got = Number(a[i])
    const diff = Number.isFinite(want) ? Math.abs(got - want) : Object.is(got, want) || (Number.isNaN(want) && Number.isNaN(got)) ? 0 : Infinity
    if (!(diff <= worst)) {
      worst = diff
      at = i
    }
  }
  if (!(worst <= tol)) {
    return [{ what, detail: `max |Δ| ${worst} > tol ${tol} (scale ${scale}) at flat index ${at}: got ${a[at]}, TF ${e.data[at]}` }]
  }
  return []
}

/** What a test supplies per case: the lowering, closed over the case's static inputs/attrs. */
export type CaseLowering = (...dynamicInputs: Arr[]) => Arr | Arr[]

export interface CheckOptions {
  /** Relative tolerance (times max |expected|) for float outputs and gradients. */
  readonly rtol: number
  /** Skip the gradient checks (e.g. ops TF defines no gradient for). */
  readonly skipGrad?: boolean
}

const asList = (y: Arr | Arr[]): Arr[] => (Array.isArray(y) ? y : [y])

/** The non-static inputs of a case, as new device arrays. */
export const dynamicInputs = (c: GoldenCase): Arr[] => c.inputs.filter((i) => !i.static).map((i) => toArray(i))

/**
 * Buffers golden cases leave behind: every `[case, lowering]` runs once (warming host caches),
 * then eagerly, then twice under a fresh `jit`; returns how far `live()` (a live-buffer count)
 * ended above the warm baseline after each phase — `{ eager: 0, jit: 0 }` means no leak.
 */
export const leftoverBuffers = (
  live: () => number,
  fns: ReadonlyArray<readonly [GoldenCase, CaseLowering]>
): { eager: number; jit: number } => {
  const eagerly = () => {
    for (const [c, f] of fns) for (const y of asList(f(...dynamicInputs(c)))) y.dispose()
  }
  eagerly()
  const base = live()
  eagerly()
  const eager = live() - base
  for (const [c, f] of fns) {
    const jf = jit((...xs: Arr[]) => f(...xs))
    for (let i = 0; i < 2; i++) for (const y of asList(jf(...dynamicInputs(c)))) y.dispose()
    jf.dispose()
  }
  return { eager, jit: live() - base }
}

/**
 * Runs a lowering on a golden case eagerly and under `jit`, and `grad` (and `jit(grad)`) of
 * Σ sum(output·cotangent) w.r.t. every input TF differentiated; returns every mismatch with
 * TF's values (empty = pass).
 */
export const checkCase = (c: GoldenCase, lower: CaseLowering, opts: CheckOptions): Mismatch[] => {
  const out: Mismatch[] = []
  const compareAll = (mode: string, ys: Arr[]) => {
    if (ys.length !== c.outputs.length) {
      for (const y of ys) y.dispose()
      out.push({ what: mode, detail: `${ys.length} outputs, TF has ${c.outputs.length}` })
      return
    }
    ys.forEach((y, k) => out.push(...compare(`${mode} output ${k}`, y, c.outputs[k]!, opts.rtol)))
  }
  compareAll("eager", asList(lower(...dynamicInputs(c))))
  const jf = jit((...xs: Arr[]) => lower(...xs))
  try {
    compareAll("jit", asList(jf(...dynamicInputs(c))))
  } finally {
    jf.dispose()
  }

  const dyn = c.inputs.filter((i) => !i.static)
  const argnums = dyn.flatMap((i, k) => (i.name in c.grads ? [k] : []))
  if (opts.skipGrad || argnums.length === 0) return out
  const loss = (...xs: Arr[]): Arr => {
    let total: Arr | undefined
    asList(lower(...xs)).forEach((y, k) => {
      const ct = c.cotangents[k]
      if (ct === null || ct === undefined) {
        y.dispose()
        return
      }
      const term = np.sum(y.mul(toArray(ct)))
      total = total === undefined ? term : total.add(term)
    })
    return total!
  }
  const g = grad(loss, { argnums })
  const jg = jit((...xs: Arr[]) => grad(loss, { argnums })(...xs))
  try {
    for (const [mode, fn] of [["grad", g], ["jit(grad)", jg]] as const) {
      const gs = fn(...dynamicInputs(c)) as unknown as Arr[]
      argnums.forEach((k, j) => out.push(...compare(`${mode} d/d${dyn[k]!.name}`, gs[j]!, c.grads[dyn[k]!.name]!, opts.rtol)))
    }
  } finally {
    jg.dispose()
  }
  return out
}

/** A case's static input as host numbers, by TF argument name. */
export const staticInput = (c: GoldenCase, name: string): number[] => {
  const i = c.inputs.find((x) => x.name === name && x.static)
  if (i === undefined) throw new TypeError(`case ${c.name} has no static input ${name}`)
  return toNumbers(i)
}

/** A TF attr of a case, typed by the caller. */
export const attr = <T>(c: GoldenCase, name: string): T => c.attrs[name] as T

/** The shared window attrs (Conv2D, DepthwiseConv2dNative, Conv2DBackpropInput, pools) in lowering form. */
export const windowAttrsOf = (c: GoldenCase) => ({
  strides: attr<number[]>(c, "strides") ?? [],
  padding: attr<string>(c, "padding"),
  explicitPaddings: attr<number[] | undefined>(c, "explicit_paddings") ?? [],
  dilations: attr<number[] | undefined>(c, "dilations") ?? [],
  dataFormat: attr<string | undefined>(c, "data_format") ?? "NHWC"
})

/** max |actual − expected| and max |expected| over two equal-length host arrays. */
export const maxDiff = (actual: ArrayLike<number>, expected: ArrayLike<number>): { diff: number; scale: number } => {
  let diff = 0
  let scale = 0
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!))
    scale = Math.max(scale, Math.abs(expected[i]!))
  }
  return { diff, scale }
}

/**
 * vmap check over an extra leading batch axis: runs `f` vmapped (and jit(vmap)) over the
 * stack [x, ½x] of the case's first dynamic input (the others unbatched) and compares with
 * [y, ½y] built from TF's output y. Valid for ops positively homogeneous in their first
 * input (conv, depthwise conv, pooling, resize…). Returns mismatches (empty = pass).
 */
export const checkVmapHalf = (
  c: GoldenCase,
  f: (...xs: Arr[]) => Arr,
  rtol: number
): Mismatch[] => {
  const out: Mismatch[] = []
  const y = decodeTensor(c.outputs[0]!).data
  const expected = new Float64Array(2 * y.length)
  for (let i = 0; i < y.length; i++) {
    expected[i] = y[i]!
    expected[y.length + i] = y[i]! * 0.5
  }
  const inAxes = c.inputs.filter((i) => !i.static).map((_, k) => (k === 0 ? 0 : null))
  const args = (): Arr[] => {
    const [x, ...rest] = dynamicInputs(c)
    return [np.stack([x!.ref, x!.mul(0.5)]), ...rest]
  }
  const run = (mode: string, g: (...xs: Arr[]) => Arr) => {
    const r = g(...args())
    const want = [2, ...c.outputs[0]!.shape]
    if (r.shape.length !== want.length || r.shape.some((d, i) => d !== want[i])) {
      out.push({ what: mode, detail: `shape [${r.shape.join(",")}] ≠ [${want.join(",")}]` })
      r.dispose()
      return
    }
    const { diff, scale } = maxDiff(r.dataSync(), expected)
    if (!(diff <= rtol * scale + 1e-7)) out.push({ what: mode, detail: `max |Δ| ${diff} (scale ${scale})` })
  }
  run("vmap", vmap(f, inAxes))
  const jf = jit(vmap(f, inAxes))
  try {
    run("jit(vmap)", jf)
  } finally {
    jf.dispose()
  }
  return out
}
