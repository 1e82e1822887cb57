/**
 * `.npy` files ↔ jax-js arrays for `tf2jax run` (npyjs reads and writes the format).
 */
import { numpy as np } from "@jax-js/jax"
import { dump, parse } from "npyjs"
import type { TypedArray } from "npyjs"

/** A jax-js array from `.npy` bytes. int64/uint64 are narrowed with a range check, like the converter. */
export const arrayFromNpy = (bytes: Uint8Array, file: string): np.Array => {
  const npy = parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)
  if (npy.fortranOrder) throw new Error(`${file}: Fortran-order arrays are not supported`)
  const shape = npy.shape
  const d = npy.data as TypedArray
  if (d instanceof Float32Array) return np.array(d as Float32Array<ArrayBuffer>, { shape })
  if (d instanceof Float64Array) return np.array(d as Float64Array<ArrayBuffer>, { shape, dtype: np.float64 })
  if (d instanceof Int32Array) return np.array(d as Int32Array<ArrayBuffer>, { shape, dtype: np.int32 })
  if (d instanceof Uint32Array) return np.array(d as Uint32Array<ArrayBuffer>, { shape, dtype: np.uint32 })
  if (npy.dtype === "b1") return np.array(Int32Array.from(d as Uint8Array), { shape, dtype: np.bool })
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    const out = new Int32Array(d.length)
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!
      if (v > 2147483647n || v < -2147483648n) throw new Error(`${file}: value ${v} does not fit in int32`)
      out[i] = Number(v)
    }
    return np.array(out, { shape, dtype: np.int32 })
  }
  if (d instanceof Int8Array || d instanceof Uint8Array || d instanceof Int16Array || d instanceof Uint16Array) {
    return np.array(Int32Array.from(d), { shape, dtype: np.int32 })
  }
  throw new Error(`${file}: unsupported .npy dtype ${npy.dtype}`)
}

/** `.npy` bytes of a jax-js array (consumed). */
export const npyFromArray = async (a: np.Array): Promise<Uint8Array> => {
  const shape = a.shape
  const dtype = String(a.dtype)
  const data = await a.data()
  const typed: TypedArray = dtype === "bool" ? Uint8Array.from(data as Int32Array) : (data as TypedArray)
  return new Uint8Array(dump(typed, shape, dtype === "bool" ? { dtype: "b1" } : {}))
}
