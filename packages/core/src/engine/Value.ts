/**
 * Values flowing through a converted graph (DESIGN §4):
 * - `static`: a host tensor known at conversion/trace time (constants, shape arithmetic);
 * - `array`: a jax-js array (possibly a tracer under jit/grad/vmap), with its TensorFlow dtype
 *   (jax-js has fewer dtypes; DESIGN §8 maps int64 → int32 etc.);
 * - `resource`: a variable handle, read through the call's parameter store;
 * - `opaque`: pack-defined values (TensorLists …) the engine passes along untouched.
 *
 * @since 0.1.0
 */
import { numpy as np } from "@jax-js/jax"
import type { DType } from "../dtype.js"
import { UnsupportedDtypeError } from "../errors.js"
import type { HostTensor } from "../HostTensor.js"
import { numElements } from "../HostTensor.js"

/** A jax-js array (tracers included). */
export type JaxArray = np.Array

/** jax-js dtypes we use on wasm/cpu. */
export type JaxDType = "float32" | "float64" | "int32" | "uint32" | "bool" | "float16"

export type Value =
  | { readonly kind: "static"; readonly tensor: HostTensor }
  | { readonly kind: "array"; readonly array: JaxArray; readonly dtype: DType }
  | { readonly kind: "resource"; readonly variable: string; readonly dtype: DType | undefined }
  | { readonly kind: "opaque"; readonly tag: string; readonly payload: unknown; readonly dispose?: () => void }

export const staticValue = (tensor: HostTensor): Value => ({ kind: "static", tensor })
export const arrayValue = (array: JaxArray, dtype: DType): Value => ({ kind: "array", array, dtype })

/** The jax-js dtype a TensorFlow dtype is computed in (DESIGN §8). */
export const jaxDtypeOf = (dtype: DType, where: string): JaxDType => {
  switch (dtype) {
    case "float32":
    case "float16":
    case "bfloat16":
      return "float32"
    case "float64":
      return "float64"
    case "int32":
    case "int64":
    case "int16":
    case "int8":
    case "uint8":
    case "uint16":
    case "qint8":
    case "quint8":
    case "qint16":
    case "quint16":
    case "qint32":
      return "int32"
    case "uint32":
    case "uint64":
      return "uint32"
    case "bool":
      return "bool"
    default:
      throw new UnsupportedDtypeError({ dtype, where, what: "has no jax-js equivalent" })
  }
}

/** TF dtype of a value (resources: their variable's dtype). */
export const dtypeOfValue = (v: Value): DType | undefined =>
  v.kind === "static" ? v.tensor.dtype : v.kind === "array" ? v.dtype : v.kind === "resource" ? v.dtype : undefined

/** Shape of a static or array value. */
export const shapeOfValue = (v: Value): ReadonlyArray<number> | undefined =>
  v.kind === "static" ? v.tensor.shape : v.kind === "array" ? v.array.shape : undefined

const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1

/**
 * Host data → a jax-js array of the computing dtype. int64 constants outside the int32 range
 * are an error rather than a silent wrap (DESIGN §8).
 */
export const hostToArray = (t: HostTensor, where: string): JaxArray => {
  const jd = jaxDtypeOf(t.dtype, where)
  const n = numElements(t.shape)
  const shape = [...t.shape]
  // jax-js refuses empty data arrays; an empty tensor has no values to carry anyway.
  if (n === 0) return np.zeros(shape, { dtype: jd as np.DType })
  const d = t.data
  if (jd === "float32") {
    const f = d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>)
    return np.array(copyIfShared(f) as Float32Array<ArrayBuffer>, { shape, dtype: "float32" as np.DType })
  }
  if (jd === "float64") {
    const f = d instanceof Float64Array ? d : Float64Array.from(d as ArrayLike<number>)
    return np.array(copyIfShared(f) as Float64Array<ArrayBuffer>, { shape, dtype: "float64" as np.DType })
  }
  if (jd === "uint32") {
    const out = new Uint32Array(n)
    for (let i = 0; i < n; i++) {
      const v = (d as ArrayLike<number | bigint>)[i]!
      if (typeof v === "bigint" && v > 0xffffffffn) {
        throw new UnsupportedDtypeError({ dtype: t.dtype, where, what: `value ${v} does not fit in uint32` })
      }
      out[i] = Number(v)
    }
    return np.array(out, { shape, dtype: "uint32" as np.DType })
  }
  // int32 and bool (jax-js stores bool as int32 too)
  let out: Int32Array
  if (d instanceof Int32Array) out = copyIfShared(d) as Int32Array
  else {
    out = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      const v = (d as ArrayLike<number | bigint>)[i]!
      const num = typeof v === "bigint" ? Number(v) : v
      if (num < INT32_MIN || num > INT32_MAX) {
        throw new UnsupportedDtypeError({
          dtype: t.dtype,
          where,
          what: `value ${String(v)} is outside the int32 range jax-js computes ${t.dtype} in`
        })
      }
      out[i] = num
    }
  }
  return np.array(out as Int32Array<ArrayBuffer>, { shape, dtype: jd as np.DType })
}

/** jax-js refuses SharedArrayBuffer-backed data; views on a file buffer are fine. */
const copyIfShared = <T extends Float32Array | Float64Array | Int32Array>(a: T): T =>
  typeof SharedArrayBuffer !== "undefined" && a.buffer instanceof SharedArrayBuffer ? (a.slice() as T) : a

/** Disposes the device memory a value owns (static values own none). */
export const disposeValue = (v: Value): void => {
  if (v.kind === "array") v.array.dispose()
  else if (v.kind === "opaque") v.dispose?.()
}

/** A new reference to the same value (arrays: `.ref`; other kinds are shared as they are). */
export const refValue = (v: Value): Value => (v.kind === "array" ? { kind: "array", array: v.array.ref, dtype: v.dtype } : v)

/**
 * A value as a jax-js array the caller owns: static values are uploaded, arrays returned as
 * they are (ownership passes through). Converters use it on inputs taken in `value` mode.
 */
export const toArray = (v: Value, where: string): JaxArray => {
  if (v.kind === "array") return v.array
  if (v.kind === "static") return hostToArray(v.tensor, where)
  throw new UnsupportedDtypeError({ dtype: v.kind, where, what: "is not a tensor" })
}

/** Whether every value is static (so an op can compute on the host). */
export const allStatic = (vs: ReadonlyArray<Value>): vs is ReadonlyArray<Extract<Value, { kind: "static" }>> =>
  vs.every((v) => v.kind === "static")
