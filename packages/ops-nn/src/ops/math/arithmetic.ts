/**
 * Binary and n-ary arithmetic: Add/AddV2, Sub, Mul, the division family (Div, RealDiv,
 * TruncateDiv, FloorDiv, FloorMod, Mod, TruncateMod), SquaredDifference, Atan2 and AddN.
 *
 * TF semantics (checked against TF 2.21): integer `Div` and `TruncateDiv` truncate toward zero,
 * `FloorDiv`/`FloorMod` floor, `Mod`/`TruncateMod` take the dividend's sign; on floats the same
 * split holds (`FloorMod` has the divisor's sign). Integer division by zero is TF's error when
 * folded on the host; on the device jax-js returns 0 instead (a traced value cannot raise).
 */
import { lax, numpy as np } from "@jax-js/jax"
import type { DType } from "@tf2jax/core"
import { Attr } from "@tf2jax/core"
import { Schema } from "effect"
import { mathOp } from "./elementwise.js"
import { divisionByZero, intBits, isFloatType, isIntType, isRealType } from "./support.js"

type HostFn = (...xs: Array<number>) => number

/** Host integer ops for ≤ 32-bit types need exact 32-bit products (int64 shapes stay below 2^53). */
const isInt32Like = (d: DType): boolean => isIntType(d) && intBits(d) <= 32

/** Integer division on the host, refusing a zero divisor as TF does. */
const intDivision = (where: string, f: (a: number, b: number) => number): HostFn => (a, b) => {
  if (b === 0) throw divisionByZero(where)
  return f(a!, b)
}

const floorMod = (a: number, b: number): number => {
  const t = a % b
  return t !== 0 && b < 0 !== t < 0 ? t + b : t
}

export const add = mathOp({
  ops: ["Add", "AddV2"],
  accepts: isRealType,
  jax: ([a, b]) => np.add(a!, b!),
  host: () => (a, b) => a! + b!
})

export const sub = mathOp({
  ops: ["Sub"],
  accepts: isRealType,
  jax: ([a, b]) => np.subtract(a!, b!),
  host: () => (a, b) => a! - b!
})

export const mul = mathOp({
  ops: ["Mul"],
  accepts: isRealType,
  jax: ([a, b]) => np.multiply(a!, b!),
  host: (d) => (isInt32Like(d) ? (a, b) => Math.imul(a!, b!) : (a, b) => a! * b!)
})

/** `Div`: true division on floats, truncation on integers (jax-js's integer `div` truncates). */
export const div = mathOp({
  ops: ["Div", "RealDiv"],
  accepts: isRealType,
  jax: ([a, b]) => a!.div(b!),
  host: (d, where) => (isIntType(d) ? intDivision(where, (a, b) => Math.trunc(a / b)) : (a, b) => a! / b!)
})

export const truncateDiv = mathOp({
  ops: ["TruncateDiv"],
  accepts: isRealType,
  jax: ([a, b], d) => (isFloatType(d) ? np.trunc(a!.div(b!)) : a!.div(b!)),
  host: (d, where) => (isIntType(d) ? intDivision(where, (a, b) => Math.trunc(a / b)) : (a, b) => Math.trunc(a! / b!))
})

/**
 * Integer floor division and modulo from truncating division (`q`, `r = a − q·b`, one step
 * toward −∞ where `r` and `b` differ in sign). jax-js's `remainder`/`floorDivide` on int32 go
 * wrong once a value carries a tangent inside `jit(grad)` (its staged `remainder_jvp` computes
 * a + b: a loop counter's FloorMod flipped a `tf.cond` in the while_cond fixture).
 */
const intFloor = (a: np.Array, b: np.Array): { q: np.Array; r: np.Array; b: np.Array } => {
  const x = lax.stopGradient(a)
  const y = lax.stopGradient(b)
  const q = x.ref.div(y.ref)
  const r = x.sub(q.ref.mul(y.ref))
  const step = np.logicalAnd(np.notEqual(r.ref, 0), np.notEqual(np.less(r.ref, 0), np.less(y.ref, 0)))
  const dtype = q.dtype
  return { q: np.subtract(q, step.ref.astype(dtype)), r: np.add(r, np.where(step, y.ref, 0)), b: y }
}

const intFloorDiv = (a: np.Array, b: np.Array): np.Array => {
  const { q, r, b: y } = intFloor(a, b)
  r.dispose()
  y.dispose()
  return q
}

const intFloorMod = (a: np.Array, b: np.Array): np.Array => {
  const { q, r, b: y } = intFloor(a, b)
  q.dispose()
  y.dispose()
  return r
}

export const floorDiv = mathOp({
  ops: ["FloorDiv"],
  accepts: isRealType,
  jax: ([a, b], d) => (isIntType(d) ? intFloorDiv(a!, b!) : np.floorDivide(a!, b!)),
  host: (d, where) => (isIntType(d) ? intDivision(where, (a, b) => Math.floor(a / b)) : (a, b) => Math.floor(a! / b!))
})

/**
 * `FloorMod`: jax-js's `remainder` (x − floor(x/y)·y on floats: within an ulp of TF's fmod-based
 * result for moderate |x/y|; its gradient is TF's, −floor(x/y) for y).
 */
export const floorModOp = mathOp({
  ops: ["FloorMod"],
  accepts: isRealType,
  jax: ([a, b], d) => (isIntType(d) ? intFloorMod(a!, b!) : np.remainder(a!, b!)),
  host: (d, where) => (isIntType(d) ? intDivision(where, floorMod) : (a, b) => floorMod(a!, b!))
})

/** `Mod` / `TruncateMod`: the remainder takes the dividend's sign (C's fmod / `%`). */
export const truncateMod = mathOp({
  ops: ["Mod", "TruncateMod"],
  accepts: isRealType,
  jax: ([a, b]) => np.fmod(a!, b!),
  host: (d, where) => (isIntType(d) ? intDivision(where, (a, b) => a % b) : (a, b) => a! % b!)
})

export const squaredDifference = mathOp({
  ops: ["SquaredDifference"],
  accepts: isRealType,
  jax: ([a, b]) => {
    const d = np.subtract(a!, b!)
    return d.ref.mul(d)
  },
  host: (d) => (isInt32Like(d) ? (a, b) => Math.imul(a! - b!, a! - b!) : (a, b) => (a! - b!) * (a! - b!))
})

/** `Atan2(y, x)` (TF's argument order). */
export const atan2 = mathOp({
  ops: ["Atan2"],
  accepts: isFloatType,
  jax: ([y, x]) => np.atan2(y!, x!)
})

/** `AddN`: the sum of N same-shaped tensors. */
export const addN = mathOp({
  ops: ["AddN"],
  attrs: { N: Schema.optionalKey(Attr.int) },
  accepts: isRealType,
  jax: (xs) => xs.slice(1).reduce((acc, x) => np.add(acc, x), xs[0]!),
  host: () => (...xs) => xs.reduce((a, b) => a + b, 0)
})

export const arithmeticOps = [add, sub, mul, div, truncateDiv, floorDiv, floorModOp, truncateMod, squaredDifference, atan2, addN]
