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
import { gradSafeGather, notAView } from "./barrier.js"
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
  const indices = topKIndices(lax.stopGradient(x.ref).reshape([rows, n]), k).reshape([...lead, k])
  const base = Int32Array.from({ length: rows }, (_, r) => r * n)
  const flat = indices.ref.reshape([rows, k]).add(int32Const(base, [rows, 1]))
  const values = gradSafeGather(np.take(x.reshape([rows * n]), flat, 0)).reshape([...lead, k])
  return [values, indices]
}

/** Rows at least this long, with k at most a chunk count, take the two-stage path. */
const CHUNKED_FROM = 1 << 16
const CHUNK = 256

/**
 * Top-k indices of each row of `[rows, n]` (consumed), in TF's order: by value, ties to the
 * lower index. jax-js's `lax.topK` sorts the whole row (centernet's 1.3M-element heatmap: 0.5 s),
 * so long rows go in two stages: the top-k chunks by their maximum, then top-k among those
 * chunks' elements. The k largest values lie in at most k chunks, each with a maximum ≥ the
 * k-th value; taking tied chunks in chunk order and keeping candidates in index order
 * reproduces TF's tie-breaking.
 */
const topKIndices = (x: Arr, k: number): Arr => {
  const [rows, n] = x.shape as [number, number]
  const chunks = Math.ceil(n / CHUNK)
  if (n < CHUNKED_FROM || k > chunks) {
    const [v, i] = lax.topK(x, k, -1)
    v.dispose()
    return i
  }
  const pad = chunks * CHUNK - n
  const lowest = x.dtype === np.int32 ? -2147483648 : x.dtype === np.uint32 ? 0 : -Infinity
  const padded = pad === 0 ? x : np.concatenate([x, np.full([rows, pad], lowest, { dtype: x.dtype })], 1)
  // Sort and top-k are jax-js "routines": under jit their inputs must not be views (notAView).
  const [maxima, chunkIds] = lax.topK(notAView(np.max(padded.ref.reshape([rows, chunks, CHUNK]), 2)), k, -1)
  maxima.dispose()
  // Candidate positions: every element of the chosen chunks, chunks in ascending order.
  const offsets = np.arange(CHUNK, undefined, undefined, { dtype: np.int32 }).reshape([1, 1, CHUNK])
  const positions = np.sort(notAView(chunkIds), -1).mul(CHUNK).reshape([rows, k, 1]).add(offsets).reshape([rows, k * CHUNK])
  const candidates = np.takeAlongAxis(padded, positions.ref, 1)
  const [v, local] = lax.topK(notAView(candidates), k, -1)
  v.dispose()
  return np.takeAlongAxis(positions, local, 1)
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
