/**
 * The materialisation barrier.
 *
 * Under `jit`, jax-js fuses "view" primitives (pad, slice, reshape, transpose) and
 * element-wise producers into their consumers. A consumer that reads a padded view K·K times
 * (a depthwise tap loop, an im2col gather) then re-evaluates the padding masks, div/mod index
 * arithmetic and any fused producer on every read. jax-js has no public
 * optimization_barrier, and a nested `jit` is fused like any other code.
 *
 * A reduction is a kernel boundary ("black node"), and a sum over a size-1 axis is an exact
 * identity, so `sum(x[None], 0)` forces `x` into its own buffer once. Measured on jax-js 0.1.25
 * (notes/jax-js-performance.md §4–5): depthwise 3×3 on [1,128,128,24] 4.5 → 3.0 ms, and a 5×5
 * im2col gather 11 → 1.9 ms. It is an identity for values, gradients (the transpose of a
 * size-1 sum is a broadcast), `vmap` and every dtype jax-js sums without promotion
 * (float32/float64/int32).
 */
import { numpy as np } from "@jax-js/jax"
import type { Arr } from "./common.js"

/** Returns `x` forced into its own buffer under `jit` (consumes `x`). */
export const materialize = (x: Arr): Arr => np.sum(x.reshape([1, ...x.shape]), 0)

/**
 * An element-wise identity (× ones) whose result is never a view. jax-js 0.1.25's jit
 * compiler requires the inputs of its "routine" primitives (Scatter, Sort, …) to be realised
 * buffers; when one is a view (a reshape, transpose…) compilation fails with
 * "jit: routine primitive scatter input is not imm". Its simplifier folds literal operands
 * only, so a multiply by a ones array survives. Consumes `t`.
 */
export const notAView = (t: Arr): Arr =>
  t.dtype === np.bool ? np.logicalAnd(t, np.ones(t.shape, { dtype: np.bool })) : t.mul(np.ones(t.shape, { dtype: t.dtype }))

/**
 * Ends a gather so that `jit(grad)` compiles. jax-js transposes `np.take` into its Scatter
 * routine, whose inputs must not be views (see `notAView`); the cotangent reaching it is a
 * view whenever the gather's consumer is a reshape or a matmul (whose transpose ends in
 * reshapes). An element-wise op applied directly to the gather's output makes that cotangent
 * the realised output of the op's transpose. With `keep` (a bool mask of the same shape) the
 * op is `where(keep, t, 0)`, which also zeroes padded taps; otherwise `notAView`.
 * Consumes `t` and `keep`.
 */
export const gradSafeGather = (t: Arr, keep?: Arr): Arr => (keep !== undefined ? np.where(keep, t, 0) : notAView(t))
