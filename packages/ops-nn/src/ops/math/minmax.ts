/**
 * Maximum, Minimum and ClipByValue, written as selects so the gradient goes where TF sends it:
 * Maximum's to x where x ≥ y (ties included) and to y elsewhere (jax-js would split ties);
 * ClipByValue's to t inside [lo, hi], to lo below it, to hi above it. NaN propagates as in TF.
 */
import { lax, numpy as np } from "@jax-js/jax"
import type { DType, JaxArray } from "@tf2jax/core"
import { mathOp } from "./elementwise.js"
import { isFloatType, isRealType } from "./support.js"

/**
 * x where `keep(x, y)`, else y; a NaN x still wins the value but, as in TF (NaN ≥ y is false),
 * the gradient goes to y.
 */
const select = (keep: (x: JaxArray, y: JaxArray) => JaxArray) => ([x, y]: Array<JaxArray>, d: DType): JaxArray => {
  const pick = keep(x!.ref, y!.ref)
  let other = y!
  if (isFloatType(d)) other = np.where(np.isnan(x!.ref), other.ref.add(lax.stopGradient(x!.ref)), other)
  return np.where(pick, x!, other)
}

export const maximum = mathOp({
  ops: ["Maximum"],
  accepts: isRealType,
  jax: select((x, y) => np.greaterEqual(x, y)),
  host: () => (a, b) => Math.max(a!, b!)
})

export const minimum = mathOp({
  ops: ["Minimum"],
  accepts: isRealType,
  jax: select((x, y) => np.lessEqual(x, y)),
  host: () => (a, b) => Math.min(a!, b!)
})

/** `max(min(t, hi), lo)` — TF's order, which gives lo everywhere when lo > hi. */
export const clipByValue = mathOp({
  ops: ["ClipByValue"],
  accepts: isRealType,
  jax: ([t, lo, hi]) => {
    const upper = np.where(np.greater(t!.ref, hi!.ref), hi!, t!)
    return np.where(np.less(upper.ref, lo!.ref), lo!, upper)
  },
  host: () => (t, lo, hi) => Math.max(Math.min(t!, hi!), lo!)
})

export const minmaxOps = [maximum, minimum, clipByValue]
