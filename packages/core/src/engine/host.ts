/**
 * Host-side tensor arithmetic for static values (DESIGN §4). jax-js stages every op inside
 * `jit` (even on constants), so shape arithmetic — Shape → StridedSlice → Pack → Reshape — must
 * be computed in plain JS to stay concrete. Values are computed as JS numbers and stored back
 * in the dtype's storage; int64 values beyond 2^53 lose precision (only shapes and indices
 * take this path).
 *
 * @since 0.1.0
 */
import type { DType } from "../dtype.js"
import { isComplex } from "../dtype.js"
import { ConversionError } from "../errors.js"
import type { HostTensor } from "../HostTensor.js"
import { numElements, zerosData } from "../HostTensor.js"

/** The elements of a numeric host tensor as JS numbers (bool → 0/1). */
export const hostValues = (t: HostTensor): Float64Array => {
  const n = numElements(t.shape)
  const out = new Float64Array(n)
  const d = t.data as ArrayLike<number | bigint>
  for (let i = 0; i < n; i++) out[i] = Number(d[i])
  return out
}

/** A host tensor from JS numbers, stored with TensorFlow's conversion into `dtype`. */
export const hostFromValues = (dtype: DType, shape: ReadonlyArray<number>, values: ArrayLike<number>): HostTensor => {
  const n = numElements(shape)
  const data = zerosData(dtype, n)
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) {
      const v = values[i]!
      data[i] = BigInt(Number.isFinite(v) ? Math.trunc(v) : 0)
    }
  } else if (dtype === "bool") {
    for (let i = 0; i < n; i++) (data as Uint8Array)[i] = values[i] ? 1 : 0
  } else if (ArrayBuffer.isView(data)) {
    // Typed-array stores truncate toward zero and wrap integers, as TF's casts do on CPU.
    const typed = data as Float32Array
    for (let i = 0; i < n; i++) typed[i] = isIntegerStorage(dtype) ? Math.trunc(values[i]!) : values[i]!
  } else {
    throw new ConversionError({ where: "host arithmetic", what: `cannot store numbers as ${dtype}` })
  }
  return { dtype, shape: [...shape], data }
}

const isIntegerStorage = (d: DType): boolean =>
  d !== "float32" && d !== "float64" && d !== "float16" && d !== "bfloat16" && !d.startsWith("float")

/** A scalar or vector host tensor from numbers. */
export const hostVector = (dtype: DType, values: ReadonlyArray<number>): HostTensor => hostFromValues(dtype, [values.length], values)
export const hostScalar = (dtype: DType, value: number): HostTensor => hostFromValues(dtype, [], [value])

/** NumPy broadcasting of two shapes; `undefined` if incompatible. */
export const broadcastShapes = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): Array<number> | undefined => {
  const n = Math.max(a.length, b.length)
  const out: Array<number> = []
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1
    const y = b[b.length - n + i] ?? 1
    if (x !== y && x !== 1 && y !== 1) return undefined
    out.push(x === 1 ? y : x)
  }
  return out
}

/** Row-major strides. */
export const stridesOf = (shape: ReadonlyArray<number>): Array<number> => {
  const s = new Array<number>(shape.length)
  let acc = 1
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc
    acc *= shape[i]!
  }
  return s
}

/** Index into `shape` (broadcast to `out`) for each flat output index. */
const broadcastIndex = (shape: ReadonlyArray<number>, out: ReadonlyArray<number>): ((flat: number) => number) => {
  const offset = out.length - shape.length
  const inStrides = stridesOf(shape)
  const outStrides = stridesOf(out)
  return (flat) => {
    let idx = 0
    for (let d = 0; d < shape.length; d++) {
      const coord = Math.floor(flat / outStrides[d + offset]!) % out[d + offset]!
      if (shape[d] !== 1) idx += coord * inStrides[d]!
    }
    return idx
  }
}

/** Element-wise op with broadcasting over any number of host tensors. */
export const hostElementwise = (
  dtype: DType,
  inputs: ReadonlyArray<HostTensor>,
  f: (...xs: Array<number>) => number,
  where = "host arithmetic"
): HostTensor => {
  if (inputs.some((t) => isComplex(t.dtype) || t.dtype === "string")) {
    throw new ConversionError({ where, what: "static arithmetic on complex or string tensors is not supported" })
  }
  let shape: Array<number> = []
  for (const t of inputs) {
    const s = broadcastShapes(shape, t.shape)
    if (!s) throw new ConversionError({ where, what: `shapes ${inputs.map((x) => `[${x.shape}]`).join(" and ")} do not broadcast` })
    shape = s
  }
  const n = numElements(shape)
  const values = inputs.map(hostValues)
  const index = inputs.map((t) => broadcastIndex(t.shape, shape))
  const out = new Float64Array(n)
  const args = new Array<number>(inputs.length)
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = values[k]![index[k]!(i)]!
    out[i] = f(...args)
  }
  return hostFromValues(dtype, shape, out)
}

/** Normalises possibly negative axes. */
export const normalizeAxes = (axes: ReadonlyArray<number>, rank: number, where: string): Array<number> =>
  axes.map((a) => {
    const r = a < 0 ? a + rank : a
    if (r < 0 || r >= rank) throw new ConversionError({ where, what: `axis ${a} is out of range for rank ${rank}` })
    return r
  })

/** Reduction over axes. */
export const hostReduce = (
  t: HostTensor,
  axes: ReadonlyArray<number>,
  keepDims: boolean,
  init: number,
  f: (acc: number, x: number) => number,
  dtype: DType = t.dtype,
  finish?: (acc: number, count: number) => number
): HostTensor => {
  const rank = t.shape.length
  const ax = new Set(normalizeAxes(axes, rank, "reduction"))
  const outShapeFull = t.shape.map((d, i) => (ax.has(i) ? 1 : d))
  const outShape = keepDims ? outShapeFull : t.shape.filter((_, i) => !ax.has(i))
  const n = numElements(outShapeFull)
  const acc = new Float64Array(n).fill(init)
  const values = hostValues(t)
  const inStrides = stridesOf(t.shape)
  const outStrides = stridesOf(outShapeFull)
  for (let i = 0; i < values.length; i++) {
    let o = 0
    for (let d = 0; d < rank; d++) if (!ax.has(d)) o += (Math.floor(i / inStrides[d]!) % t.shape[d]!) * outStrides[d]!
    acc[o] = f(acc[o]!, values[i]!)
  }
  const count = values.length / Math.max(1, n)
  return hostFromValues(dtype, outShape, finish ? acc.map((a) => finish(a, count)) : acc)
}

/** Transposition by `perm`. */
export const hostTranspose = (t: HostTensor, perm: ReadonlyArray<number>): HostTensor => {
  const shape = perm.map((p) => t.shape[p]!)
  const inStrides = stridesOf(t.shape)
  const outStrides = stridesOf(shape)
  const n = numElements(shape)
  const src = t.data as ArrayLike<unknown>
  const dst = zerosData(t.dtype, n) as { [i: number]: unknown }
  for (let i = 0; i < n; i++) {
    let j = 0
    for (let d = 0; d < shape.length; d++) j += (Math.floor(i / outStrides[d]!) % shape[d]!) * inStrides[perm[d]!]!
    dst[i] = src[j]
  }
  return { dtype: t.dtype, shape, data: dst as HostTensor["data"] }
}

/** Gathers elements by flat source index (any dtype, including strings). */
export const hostTake = (t: HostTensor, shape: ReadonlyArray<number>, sourceIndex: (i: number) => number): HostTensor => {
  const n = numElements(shape)
  const src = t.data as ArrayLike<unknown>
  const dst = zerosData(t.dtype, n) as { [i: number]: unknown }
  for (let i = 0; i < n; i++) dst[i] = src[sourceIndex(i)]
  return { dtype: t.dtype, shape: [...shape], data: dst as HostTensor["data"] }
}

/** Same data, new shape. */
export const hostReshape = (t: HostTensor, shape: ReadonlyArray<number>): HostTensor => ({ dtype: t.dtype, shape: [...shape], data: t.data })

/** Concatenation along `axis` (tensors of one dtype, equal other dims). */
export const hostConcat = (ts: ReadonlyArray<HostTensor>, axis: number): HostTensor => {
  const first = ts[0]!
  const shape = [...first.shape]
  shape[axis] = ts.reduce((s, t) => s + t.shape[axis]!, 0)
  const outer = numElements(first.shape.slice(0, axis))
  const inner = numElements(first.shape.slice(axis + 1))
  const dst = zerosData(first.dtype, numElements(shape)) as { [i: number]: unknown }
  let o = 0
  for (let r = 0; r < outer; r++) {
    for (const t of ts) {
      const len = t.shape[axis]! * inner
      const src = t.data as ArrayLike<unknown>
      for (let k = 0; k < len; k++) dst[o++] = src[r * len + k]
    }
  }
  return { dtype: first.dtype, shape, data: dst as HostTensor["data"] }
}
