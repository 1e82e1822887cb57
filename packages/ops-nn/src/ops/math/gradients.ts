/**
 * TF-defined gradients without custom_vjp (jax-js has none; notes/jax-js.md §7): the output is
 * `stopGradient(value)` plus terms whose value is exactly zero and whose derivative is the
 * coefficient TF's gradient function uses. Non-finite coefficients (TF's ±inf / NaN gradients,
 * e.g. Pow at x = 0) are reproduced too, through `√d` (value 0, derivative +inf at d = 0), so the
 * forward value never turns NaN.
 */
import { lax, numpy as np } from "@jax-js/jax"
import type { JaxArray } from "@tf2jax/core"

export interface GradTerm {
  /** The input the gradient flows to (consumed). */
  readonly x: JaxArray
  /** ∂output/∂x, element-wise, in the shape of the product with `x` (consumed; not differentiated). */
  readonly coef: JaxArray
  /** Maps the product (coef's shape) to the output's shape (reductions sum it). */
  readonly project?: (t: JaxArray) => JaxArray
}

/** A zero-valued term whose gradient w.r.t. `x` is `coef` (which may be ±inf or NaN). */
const term = ({ x, coef }: GradTerm): JaxArray => {
  // Infinite inputs would make x − sg(x) NaN; they get no gradient (TF would give coef·g).
  const xf = np.where(np.isfinite(x.ref), x, 0)
  const d = xf.ref.sub(lax.stopGradient(xf))
  const c = lax.stopGradient(coef)
  const finite = np.isfinite(c.ref)
  const linear = np.where(finite.ref, c.ref, 0).mul(d.ref)
  // ±1 where coef = ±inf, 0 elsewhere; √(d + 1) keeps the finite positions' derivative at 0.
  const k = np.where(finite.ref, 0, np.where(np.isnan(c.ref), 0, np.sign(c)))
  const root = np.sqrt(d.add(np.where(finite, 1, 0)))
  return linear.add(k.mul(root))
}

/** `value` with the gradient Σ project(coefᵢ · dxᵢ) in place of its own (all arguments consumed). */
export const withGradient = (value: JaxArray, terms: ReadonlyArray<GradTerm>): JaxArray => {
  let out = lax.stopGradient(value)
  for (const t of terms) {
    const z = term(t)
    out = out.add(t.project ? t.project(z) : z)
  }
  return out
}
