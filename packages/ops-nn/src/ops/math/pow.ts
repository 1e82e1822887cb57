/**
 * `Pow`. Floats follow C's `pow` (TF's kernel): x⁰ = 1 (also 0⁰ and NaN⁰), 1ʸ = 1, (−1)^±∞ = 1,
 * where jax-js's `power` gives NaN; its log error (precise.ts) would also grow with |y|, so the
 * value is computed here. The gradient is TF's:
 * ∂x = y·x^(y−1), ∂y = z·log x for x > 0 and 0 elsewhere (jax-js's own rule is NaN at x = 0).
 * Integers use square-and-multiply over the exponent's 31 bits (wrapping like TF's); a negative
 * exponent, an error in TF, gives the truncated 1/xⁿ (0 unless |x| = 1).
 */
import { lax, numpy as np } from "@jax-js/jax"
import type { DType, JaxArray } from "@tf2jax/core"
import { mathOp } from "./elementwise.js"
import { withGradient } from "./gradients.js"
import { preciseLog } from "./precise.js"
import { intBits, isIntType, isRealType, scalarOf } from "./support.js"

/**
 * Pow on floats with C's special cases, as exp(y·log|x|) with the accurate log (precise.ts) and
 * the sign of a negative base raised to an odd integer. No gradient of its own (consumes x, y).
 */
const powValue = (x: JaxArray, y: JaxArray): JaxArray => {
  const magnitude = np.exp(y.ref.mul(preciseLog(np.abs(x.ref))))
  const integral = np.equal(np.floor(y.ref), y.ref)
  const odd = np.logicalAnd(np.logicalAnd(integral.ref, np.isfinite(y.ref)), np.notEqual(np.fmod(y.ref, 2), 0))
  const signed = np.where(odd, np.negative(magnitude.ref), magnitude.ref)
  // A negative base needs an integer exponent (NaN otherwise), as in C.
  const z = np.where(np.less(x.ref, 0), np.where(integral, signed, NaN), magnitude)
  const one = np.logicalOr(
    np.logicalOr(np.equal(y.ref, 0), np.equal(x.ref, 1)),
    np.logicalAnd(np.equal(x, -1), np.isinf(y))
  )
  return np.where(one, 1, z)
}

const floatPow = (x: JaxArray, y: JaxArray): JaxArray => {
  const xs = lax.stopGradient(x.ref)
  const ys = lax.stopGradient(y.ref)
  const z = powValue(xs.ref, ys.ref)
  const dx = ys.ref.mul(powValue(xs.ref, ys.sub(1)))
  const positive = np.greater(xs.ref, 0)
  const logX = np.where(positive.ref, preciseLog(np.where(positive, xs, 1)), 0)
  const dy = z.ref.mul(logX)
  return withGradient(z, [
    { x, coef: dx },
    { x: y, coef: dy }
  ])
}

const intPow = (x: JaxArray, y: JaxArray, d: DType, where: string): JaxArray => {
  let result = np.onesLike(x.ref)
  let base = x.ref
  for (let bit = 0; bit < 31; bit++) {
    const set = np.notEqual(np.bitwiseAnd(np.rightShift(y.ref, scalarOf(bit, d, where)), 1), 0)
    result = np.where(set, result.ref.mul(base.ref), result)
    if (bit < 30) base = base.ref.mul(base)
  }
  base.dispose()
  // x^-n truncates to 0 unless |x| = 1 (TF raises instead).
  const odd = np.notEqual(np.bitwiseAnd(y.ref, 1), 0)
  const negative = np.where(np.equal(x.ref, 1), 1, np.where(np.equal(x, -1), np.where(odd, -1, 1), 0))
  return np.where(np.less(y, 0), negative.astype(result.dtype), result)
}

const hostPow = (d: DType): ((a: number, b: number) => number) => {
  if (!isIntType(d)) {
    return (a, b) => (b === 0 || a === 1 || (a === -1 && Math.abs(b) === Infinity) ? 1 : Math.pow(a, b))
  }
  const wide = intBits(d) > 32
  return (a, b) => {
    if (b < 0) return a === 1 ? 1 : a === -1 ? (b % 2 === 0 ? 1 : -1) : 0
    if (wide) return Math.pow(a, b)
    let r = 1
    let p = a
    for (let e = b; e > 0; e = Math.floor(e / 2)) {
      if (e % 2 === 1) r = Math.imul(r, p)
      p = Math.imul(p, p)
    }
    return r
  }
}

export const pow = mathOp({
  ops: ["Pow"],
  accepts: isRealType,
  jax: ([x, y], d, where) => (isIntType(d) ? intPow(x!, y!, d, where) : floatPow(x!, y!)),
  host: (d) => {
    const f = hostPow(d)
    return (a, b) => f(a!, b!)
  }
})

export const powOps = [pow]
