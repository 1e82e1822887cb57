/**
 * Const nodes of a TF.js graph model ← weights of its manifest. The converter strips every
 * Const's data into the weights file under the node's name (constants inside library
 * functions are renamed "<function>/<node>" first) and casts dtypes TF.js lacks to the ones it
 * has; the node keeps the original dtype. We give the node its original dtype back, so the IR
 * equals that of the same graph read from a `.pb`.
 *
 * @since 0.1.0
 */
import type { DType } from "../../dtype.js"
import { InvalidModelError } from "../../errors.js"
import type { HostTensor, NumericData } from "../../HostTensor.js"
import { formatShape } from "../../HostTensor.js"
import type { ConstResolver } from "./graphFromJson.js"

const INT_RANGES: Partial<Record<DType, readonly [number, number, (n: number) => NumericData]>> = {
  int8: [-128, 127, (n) => new Int8Array(n)],
  uint8: [0, 255, (n) => new Uint8Array(n)],
  int16: [-32768, 32767, (n) => new Int16Array(n)],
  uint16: [0, 65535, (n) => new Uint16Array(n)],
  uint32: [0, 2 ** 32 - 1, (n) => new Uint32Array(n)]
}

/**
 * The weight as the dtype its node declares, for the casts the TF.js converter applies on
 * export (int64/narrow ints → int32, float64/half → float32, complex128 → complex64).
 * `undefined` when no such cast leads from the weight's dtype to the declared one.
 */
export const widenWeight = (w: HostTensor, to: DType): HostTensor | undefined => {
  if (w.dtype === to) return w
  const src = w.data
  if (w.dtype === "int32" && src instanceof Int32Array) {
    if (to === "int64") return { dtype: to, shape: w.shape, data: BigInt64Array.from(src, (v) => BigInt(v)) }
    if (to === "uint64") return { dtype: to, shape: w.shape, data: BigUint64Array.from(src, (v) => BigInt.asUintN(64, BigInt(v))) }
    const range = INT_RANGES[to]
    if (range) {
      const [lo, hi, make] = range
      const out = make(src.length) as Int8Array
      for (let i = 0; i < src.length; i++) {
        if (src[i]! < lo || src[i]! > hi) return undefined
        out[i] = src[i]!
      }
      return { dtype: to, shape: w.shape, data: out }
    }
  }
  if (w.dtype === "float32" && src instanceof Float32Array) {
    if (to === "float64") return { dtype: to, shape: w.shape, data: Float64Array.from(src) }
    // Half and bfloat16 are held as float32 values (HostTensor convention); the converter's cast was exact.
    if (to === "float16" || to === "bfloat16") return { dtype: to, shape: w.shape, data: src }
  }
  if (w.dtype === "complex64" && to === "complex128" && src instanceof Float32Array) {
    return { dtype: to, shape: w.shape, data: Float64Array.from(src) }
  }
  return undefined
}

/** A resolver over the loaded weights that records which weights the graph uses. */
export const weightResolver = (
  weights: ReadonlyMap<string, HostTensor>,
  used: Set<string>,
  file: string
): ConstResolver =>
(node, fn, declared, where) => {
  const key = weights.has(node) ? node : fn !== undefined && weights.has(`${fn}/${node}`) ? `${fn}/${node}` : undefined
  if (key === undefined) return undefined
  const w = weights.get(key)!
  const declaredText = `${declared.dtype}${formatShape(declared.shape)}`
  const found = `weight "${key}" in the weightsManifest is ${w.dtype}${formatShape(w.shape)}`
  if (formatShape(w.shape) !== formatShape(declared.shape)) {
    throw new InvalidModelError({ file, where, what: `Const node "${node}" is ${declaredText} but ${found}` })
  }
  const value = widenWeight(w, declared.dtype)
  if (value === undefined) {
    throw new InvalidModelError({ file, where, what: `Const node "${node}" is ${declaredText} but ${found} (no cast leads there, or its values do not fit)` })
  }
  used.add(key)
  return value
}
