/**
 * Comparisons (bool results): Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual and
 * ApproximateEqual. NaN compares unequal to everything, as in TF. With
 * `incompatible_shape_error = false`, Equal/NotEqual on shapes that do not broadcast give a scalar
 * false/true instead of failing (TF's behaviour); shapes are static, so this is decided here.
 * Equal/NotEqual also compare static strings (on the host).
 */
import { numpy as np } from "@jax-js/jax"
import type { DType, HostTensor, JaxArray, Value } from "@tf2jax/core"
import { Attr, broadcastShapes, hostElementwise, hostScalar, numElements, staticValue } from "@tf2jax/core"
import { Schema } from "effect"
import type { MathAttrs } from "./elementwise.js"
import { mathOp } from "./elementwise.js"
import { disposeAll, isRealType, shapeOf } from "./support.js"

const toBool = (): DType => "bool"

const isComparable = (d: DType): boolean => isRealType(d) || d === "bool"

/** Byte-wise equality of two TF strings. */
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i])

/** Positions 0…n−1 in a tensor's shape (to broadcast string tensors through `hostElementwise`). */
const positions = (t: HostTensor): HostTensor => ({ dtype: "int32", shape: t.shape, data: Int32Array.from({ length: numElements(t.shape) }, (_, i) => i) })

/**
 * Equal/NotEqual before broadcasting: the answer for shapes that do not broadcast when TF is told
 * not to fail, and string comparisons (static only: strings never reach the device), e.g. a mode
 * string tested in preprocessing.
 */
const equalityShortcut = (equal: boolean) => (values: ReadonlyArray<Value>, attrs: MathAttrs): Value | undefined => {
  const [a, b] = values as [Value, Value]
  if (attrs["incompatible_shape_error"] === false && !broadcastShapes(shapeOf(a), shapeOf(b))) {
    disposeAll(values)
    return staticValue(hostScalar("bool", equal ? 0 : 1))
  }
  if (a.kind === "static" && b.kind === "static" && a.tensor.dtype === "string" && b.tensor.dtype === "string") {
    const sa = a.tensor.data as ReadonlyArray<Uint8Array>
    const sb = b.tensor.data as ReadonlyArray<Uint8Array>
    return staticValue(hostElementwise("bool", [positions(a.tensor), positions(b.tensor)], (i, j) => (sameBytes(sa[i!]!, sb[j!]!) === equal ? 1 : 0)))
  }
  return undefined
}

const comparison = (
  op: string,
  jax: (a: JaxArray, b: JaxArray) => JaxArray,
  host: (a: number, b: number) => boolean,
  equality?: boolean
) =>
  mathOp({
    ops: [op],
    ...(equality !== undefined
      ? { attrs: { incompatible_shape_error: Schema.optionalKey(Attr.bool) }, shortcut: equalityShortcut(equality) }
      : {}),
    accepts: equality !== undefined ? (d) => isComparable(d) || d === "string" : isComparable,
    outDtype: toBool,
    jax: ([a, b]) => jax(a!, b!),
    host: () => (a, b) => (host(a!, b!) ? 1 : 0)
  })

export const equal = comparison("Equal", (a, b) => np.equal(a, b), (a, b) => a === b, true)
export const notEqual = comparison("NotEqual", (a, b) => np.notEqual(a, b), (a, b) => a !== b, false)
export const less = comparison("Less", (a, b) => np.less(a, b), (a, b) => a < b)
export const lessEqual = comparison("LessEqual", (a, b) => np.lessEqual(a, b), (a, b) => a <= b)
export const greater = comparison("Greater", (a, b) => np.greater(a, b), (a, b) => a > b)
export const greaterEqual = comparison("GreaterEqual", (a, b) => np.greaterEqual(a, b), (a, b) => a >= b)

/** `|x − y| < tolerance`. */
export const approximateEqual = mathOp({
  ops: ["ApproximateEqual"],
  attrs: { tolerance: Schema.optionalKey(Attr.float) },
  accepts: isRealType,
  outDtype: toBool,
  jax: ([a, b], _d, _w, attrs) => np.less(np.abs(np.subtract(a!, b!)), (attrs["tolerance"] as number | undefined) ?? 1e-5),
  host: (_d, _w, attrs) => {
    const tol = (attrs["tolerance"] as number | undefined) ?? 1e-5
    return (a, b) => (Math.abs(a! - b!) < tol ? 1 : 0)
  }
})

export const compareOps = [equal, notEqual, less, lessEqual, greater, greaterEqual, approximateEqual]
