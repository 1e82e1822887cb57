/**
 * Helpers shared by the control-flow converters: reading a predicate's concrete value where
 * jax-js has one, TensorFlow's truthiness rule, and merging values under a traced predicate.
 *
 * @internal
 */
import { numpy as np } from "@jax-js/jax"
import type { DType, HostTensor, JaxArray, Value } from "@tf2jax/core"
import { ConversionError, arrayValue, disposeValue, hostToArray, hostValues, isFloating, jaxDtypeOf, numElements } from "@tf2jax/core"

/**
 * The concrete array behind a value, if jax-js has one: the array itself when running eagerly,
 * the primal under `grad`/`jvp`/`vjp` without `jit` (`JVPTracer.primal`,
 * `PartialEvalTracer.pval.val`), the batched value under `vmap` (`BatchTracer.val`, the whole
 * batch). `undefined` under `jit`, whose tracers have no value. These tracer fields are
 * undocumented jax-js internals (notes/jax-js.md §3); when they change, this returns
 * `undefined` and the callers fall back to their jit strategies.
 */
export const concreteArray = (x: JaxArray): JaxArray | undefined => {
  let t: unknown = x
  for (let depth = 0; depth < 64; depth++) {
    if (t instanceof np.Array) return t
    if (typeof t !== "object" || t === null) return undefined
    const o = t as { primal?: unknown; pval?: { isKnown?: boolean; val?: unknown }; val?: unknown; batchDim?: unknown }
    if ("primal" in o) t = o.primal
    else if ("pval" in o && o.pval !== undefined) {
      if (!o.pval.isKnown) return undefined
      t = o.pval.val
    } else if ("val" in o && "batchDim" in o) t = o.val
    else return undefined
  }
  return undefined
}

/** Whether an array is a tracer (some transformation is running) rather than a plain array. */
export const isTracer = (x: JaxArray): boolean => !(x instanceof np.Array)

/**
 * The concrete elements of a (boolean or numeric) array without consuming it, or `undefined`.
 * `batched` is true when the concrete value has more elements than the array's logical shape
 * (under `vmap`: one value per example).
 */
export const readConcrete = (x: JaxArray): { readonly values: ArrayLike<number>; readonly batched: boolean } | undefined => {
  const c = concreteArray(x)
  if (c === undefined) return undefined
  const values = c.ref.dataSync() as ArrayLike<number>
  return { values, batched: values.length !== numElements(x.shape) }
}

/** TensorFlow's truthiness of a predicate tensor: a scalar is true when non-zero; else non-empty. */
export const hostTruthy = (t: HostTensor): boolean => {
  const n = numElements(t.shape)
  if (t.shape.length > 0 || n !== 1) return n > 0
  if (t.dtype === "string") return ((t.data as ReadonlyArray<Uint8Array>)[0]?.length ?? 0) > 0
  return hostValues(t)[0] !== 0
}

/**
 * A predicate value decided: statically (host value, or a non-scalar whose truth is its
 * non-emptiness), concretely (a traced scalar jax-js can read: eager or `grad` without `jit`),
 * or only as a traced boolean mask (under `jit`, or per example under `vmap`). Consumes `v`.
 */
export type Decision =
  | { readonly kind: "known"; readonly value: boolean }
  | { readonly kind: "mask"; readonly mask: JaxArray; readonly concrete: { readonly any: boolean } | undefined }

export const decide = (v: Value, where: string): Decision => {
  if (v.kind === "static") return { kind: "known", value: hostTruthy(v.tensor) }
  if (v.kind !== "array") {
    disposeValue(v)
    throw new ConversionError({ where, what: `the predicate is a ${v.kind} value, not a tensor` })
  }
  const a = v.array
  const n = numElements(a.shape)
  if (a.shape.length > 0 || n !== 1) {
    a.dispose()
    return { kind: "known", value: n > 0 }
  }
  const mask = a.dtype === np.bool ? a : np.notEqual(a, 0)
  const c = readConcrete(mask)
  if (c === undefined) return { kind: "mask", mask, concrete: undefined }
  let any = false
  for (let i = 0; i < c.values.length; i++) if (c.values[i] !== 0) any = true
  if (!c.batched) {
    mask.dispose()
    return { kind: "known", value: any }
  }
  return { kind: "mask", mask, concrete: { any } }
}

/** A new reference to a value for one more consumer (arrays get `.ref`; others are shared). */
export const share = (v: Value): Value => (v.kind === "array" ? arrayValue(v.array.ref, v.dtype) : v)

export const dtypeOf = (v: Value): DType | undefined =>
  v.kind === "static" ? v.tensor.dtype : v.kind === "array" || v.kind === "resource" ? v.dtype : undefined

export const isFloatValue = (v: Value): v is Extract<Value, { kind: "array" }> => v.kind === "array" && isFloating(v.dtype)

const sameStatic = (a: HostTensor, b: HostTensor): boolean => {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false
  const x = a.data as ArrayLike<unknown>
  const y = b.data as ArrayLike<unknown>
  if (x === y) return true
  if (x.length !== y.length) return false
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false
  return true
}

const asArray = (v: Value, where: string): JaxArray => {
  if (v.kind === "array") return v.array
  if (v.kind === "static") return hostToArray(v.tensor, where)
  throw new ConversionError({ where, what: `cannot select between ${v.kind} values under a traced predicate` })
}

const shapeOf = (v: Value): ReadonlyArray<number> | undefined =>
  v.kind === "static" ? v.tensor.shape : v.kind === "array" ? v.array.shape : undefined

/**
 * `mask ? a : b` for two values (consumes `a`, `b` and `mask`). Equal static values stay static
 * and the same variable handle stays a handle. `b` of zero size (an uninitialised TensorList
 * placeholder) is replaced by zeros of `a`'s shape. Shapes must otherwise be equal.
 */
export const select = (mask: JaxArray, a: Value, b: Value, where: string, what: string): Value => {
  if (a.kind === "static" && b.kind === "static" && sameStatic(a.tensor, b.tensor)) {
    mask.dispose()
    return b
  }
  if (a.kind === "resource" || b.kind === "resource" || a.kind === "opaque" || b.kind === "opaque") {
    if (a.kind === "resource" && b.kind === "resource" && a.variable === b.variable) {
      mask.dispose()
      return b
    }
    mask.dispose()
    disposeValue(a)
    disposeValue(b)
    throw new ConversionError({ where, what: `${what}: cannot select between different ${a.kind}/${b.kind} values under a traced predicate` })
  }
  const sa = shapeOf(a)!
  const sb = shapeOf(b)!
  const dtype = dtypeOf(b) ?? dtypeOf(a) ?? "float32"
  const sameShape = sa.length === sb.length && sa.every((d, i) => d === sb[i])
  if (!sameShape && numElements(sb) !== 0) {
    mask.dispose()
    disposeValue(a)
    disposeValue(b)
    throw new ConversionError({
      where,
      what: `${what}: shapes [${sa.join(",")}] and [${sb.join(",")}] differ, which a traced predicate cannot select between (jax-js needs one shape)`
    })
  }
  const x = asArray(a, where)
  let y: JaxArray
  if (sameShape) y = asArray(b, where)
  else {
    disposeValue(b)
    y = np.zeros([...sa], { dtype: jaxDtypeOf(dtype, where) as np.DType })
  }
  const yy = y.dtype === x.dtype ? y : y.astype(x.dtype)
  return arrayValue(np.where(mask, x, yy), dtype)
}
