/**
 * Accuracy repairs for jax-js 0.1.25's float32 logarithms. Its `log` is off by up to 1.3e-5
 * absolute (~25 ulp near 4; 3e-3 relative near 1) and `log1p` by ~150 ulp, while TF's are within
 * an ulp or two; Pow (exp(y·log|x|)) inherits log's error times |y|. One Newton step on
 * exp(y) = x with jax-js's `exp`/`expm1` (≈ 6 ulp) brings both to ≈ 5e-7 absolute (log1p keeps
 * its relative accuracy near 0). The step is a stop-gradient correction: the derivative stays
 * jax-js's 1/x and 1/(1+x). Where the step is not finite (0, ∞, subnormal inputs) the
 * uncorrected value stands.
 */
import { lax, numpy as np } from "@jax-js/jax"
import type { JaxArray } from "@tf2jax/core"

const sg = lax.stopGradient

/** A finite correction, or 0. */
const finiteOrZero = (c: JaxArray): JaxArray => np.where(np.isfinite(c.ref), c, 0)

/** log(x): jax-js's log plus one Newton step, x·e^(−y) − 1. Consumes `x`. */
export const preciseLog = (x: JaxArray): JaxArray => {
  const y = np.log(x.ref)
  const correction = sg(x).mul(np.exp(np.negative(sg(y.ref)))).sub(1)
  return y.add(sg(finiteOrZero(correction)))
}

/** log(1 + x): jax-js's log1p plus one Newton step, (x − expm1(y))·e^(−y). Consumes `x`. */
export const preciseLog1p = (x: JaxArray): JaxArray => {
  const y = np.log1p(x.ref)
  const y0 = sg(y.ref)
  const correction = sg(x).sub(np.expm1(y0.ref)).mul(np.exp(np.negative(y0)))
  return y.add(sg(finiteOrZero(correction)))
}
