/**
 * The "safe" products and quotients: DivNoNan, MulNoNan (0 where y = 0), Xdivy, Xlogy, Xlog1py
 * (0 where x = 0). Each masks the dangerous operand before the arithmetic (the double-`where`
 * form), so the masked positions get TF's zero gradients instead of 0·∞ = NaN. Only the
 * exactly rounded ones fold on the host (logarithms stay on the device, one implementation).
 */
import { numpy as np } from "@jax-js/jax"
import type { JaxArray } from "@tf2jax/core"
import { mathOp } from "./elementwise.js"
import { preciseLog, preciseLog1p } from "./precise.js"
import { isFloatType } from "./support.js"

/** `f(x, y)` where `y ≠ 0`, else 0 (y replaced by 1 there). */
const zeroWhereYZero = (f: (x: JaxArray, y: JaxArray) => JaxArray) => ([x, y]: Array<JaxArray>): JaxArray => {
  const zero = np.equal(y!.ref, 0)
  const ys = np.where(zero.ref, 1, y!)
  return np.where(zero, 0, f(x!, ys))
}

/** `f(x, y)` where `x ≠ 0`, else 0 (y replaced by `fill` there). */
const zeroWhereXZero = (fill: number, f: (x: JaxArray, y: JaxArray) => JaxArray) => ([x, y]: Array<JaxArray>): JaxArray => {
  const zero = np.equal(x!.ref, 0)
  const ys = np.where(zero.ref, fill, y!)
  return np.where(zero, 0, f(x!, ys))
}

export const divNoNan = mathOp({
  ops: ["DivNoNan"],
  accepts: isFloatType,
  jax: zeroWhereYZero((x, y) => x.div(y)),
  host: () => (x, y) => (y === 0 ? 0 : x! / y!)
})

/**
 * `MulNoNan`: x·y with x replaced by 0 where y = 0 and x is not finite (TF: 0 even for ∞·0).
 * Gradients: ∂x = g·y, ∂y = g·x, both 0 at those positions — TF's, except ∂y for infinite x.
 */
export const mulNoNan = mathOp({
  ops: ["MulNoNan"],
  accepts: isFloatType,
  jax: ([x, y]) => {
    const bad = np.logicalAnd(np.equal(y!.ref, 0), np.logicalNot(np.isfinite(x!.ref)))
    return np.where(bad, 0, x!).mul(y!)
  },
  host: () => (x, y) => (y === 0 ? 0 : x! * y!)
})

export const xdivy = mathOp({
  ops: ["Xdivy"],
  accepts: isFloatType,
  jax: zeroWhereXZero(1, (x, y) => x.div(y)),
  host: () => (x, y) => (x === 0 ? 0 : x! / y!)
})

export const xlogy = mathOp({
  ops: ["Xlogy"],
  accepts: isFloatType,
  jax: zeroWhereXZero(1, (x, y) => x.mul(preciseLog(y)))
})

export const xlog1py = mathOp({
  ops: ["Xlog1py"],
  accepts: isFloatType,
  jax: zeroWhereXZero(0, (x, y) => x.mul(preciseLog1p(y)))
})

export const nonanOps = [divNoNan, mulNoNan, xdivy, xlogy, xlog1py]
