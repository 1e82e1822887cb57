/**
 * Index-returning reductions: TF TopKV2 (indices from `lax.topK`, which is stable, so ties
 * keep the lower index first as in TF) and ArgMax/ArgMin (first occurrence on ties, as in TF).
 * Indices are int32 (TF's int64 `output_type` maps to int32, DESIGN §8).
 *
 * TopK's values are gathered from the input at those indices rather than taken from
 * `lax.topK`: its gradient rule feeds a flipped/padded view into jax-js's Scatter routine,
 * which fails to compile under `jit(grad)` ("scatter input is not imm"); our own gather is
 * guarded (barrier.ts) and gives TF's gradient (the cotangent scattered to the top indices).
 */
import { lax, numpy as np } from "@jax-js/jax"
import { gradSafeGather } from "./barrier.js"
import { type Arr, attrError, fmtShape, inputError, int32Const, planOrDispose, product } from "./common.js"

/**
 * TopKV2 along the last axis with `sorted = true`: `[values, indices]`, both `[..., k]`.
 * Consumes `x`. TF's `sorted = false` leaves the order unspecified; sorted order is a valid
 * answer, so it is accepted too.
 */
export const topK = (x: Arr, k: number): [Arr, Arr] => {
  planOrDispose([x], () => {
    if (x.ndim < 1) throw inputError("TopKV2", "input must have rank ≥ 1")
    const n = x.shape[x.ndim - 1]!
    if (!Number.isInteger(k) || k < 0 || k > n) throw inputError("TopKV2", `k = ${k} must be in [0, ${n}] for input ${fmtShape(x.shape)}`)
  })
  const n = x.shape[x.ndim - 1]!
  const lead = x.shape.slice(0, -1)
  const rows = product(lead)
  const [v, indices] = lax.topK(lax.stopGradient(x.ref), k, -1)
  v.dispose()
  const base = Int32Array.from({ length: rows }, (_, r) => r * n)
  const flat = indices.ref.reshape([rows, k]).add(int32Const(base, [rows, 1]))
  const values = gradSafeGather(np.take(x.reshape([rows * n]), flat, 0)).reshape([...lead, k])
  return [values, indices]
}

const argReduce = (op: "ArgMax" | "ArgMin", x: Arr, axis: number): Arr => {
  const a = planOrDispose([x], () => {
    const a = axis < 0 ? axis + x.ndim : axis
    if (a < 0 || a >= x.ndim) throw attrError(op, "dimension", `${axis} is out of range for input ${fmtShape(x.shape)}`)
    if (x.shape[a] === 0) throw inputError(op, `reduction dimension ${axis} is empty`)
    return a
  })
  const r = op === "ArgMax" ? np.argmax(x, a) : np.argmin(x, a)
  return r.dtype === np.int32 ? r : r.astype(np.int32)
}

/** ArgMax along the static `axis` (negative counts from the end); int32 result. Consumes `x`. */
export const argMax = (x: Arr, axis: number): Arr => argReduce("ArgMax", x, axis)

/** ArgMin along the static `axis`; int32 result. Consumes `x`. */
export const argMin = (x: Arr, axis: number): Arr => argReduce("ArgMin", x, axis)
