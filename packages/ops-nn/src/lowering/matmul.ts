/**
 * TF MatMul and BatchMatMulV2/V3 on `np.matmul`.
 *
 * jax-js 0.1.25's `np.matmul` mis-broadcasts batch dimensions when the operands differ in rank
 * (`[2,3,5,4] @ [3,4,6]` gives `[3,2,5,6]`; notes/jax-js-performance.md §6); with N = 1 the
 * wrong layout has the same memory order, so it hides in small tests. Both operands are
 * therefore reshaped to equal rank (leading 1s), which it handles correctly, broadcasting
 * included. A rank-2 right operand takes the fast path of one `[B·M, K] @ [K, N]` matmul.
 * Adjoint = transpose of the last two axes (real dtypes; jax-js has no complex).
 */
import { numpy as np } from "@jax-js/jax"
import { materialize } from "./barrier.js"
import { type Arr, fmtShape, inputError, planOrDispose } from "./common.js"

/** Below this many multiply-adds a padding kernel costs about what it saves. */
const LAYOUT_MIN_WORK = 1 << 16

const isWorthIt = (a: Arr, n: number): boolean => a.size * n >= LAYOUT_MIN_WORK

/**
 * `a [..., M, K] @ b [..., K, N]` laid out for jax-js's vectorised path. jax-js 0.1.25's wasm
 * matmul vectorises along the output row only when N is a multiple of 4; otherwise it runs
 * about 10× slower (measured: [2304,96]@[96,34] 17–23 ms, with N padded to 36 2.1 ms;
 * [8,1024]@[1024,1001] 62 → 7 ms). Such a `b` is padded with zero columns, forced into its
 * own buffer (a fused pad would put the masked read back in the inner loop), and the result
 * sliced back. Zero columns add nothing to the kept ones, so values and gradients are
 * unchanged. Consumes both.
 */
export const denseMatmul = (a: Arr, b: Arr): Arr => {
  const n = b.shape[b.ndim - 1]!
  const pad = (4 - (n % 4)) % 4
  if (pad === 0 || n === 1 || !isWorthIt(a, n)) return np.matmul(a, b)
  const widths = b.shape.map((): [number, number] => [0, 0])
  widths[widths.length - 1] = [0, pad]
  const y = np.matmul(a, materialize(np.pad(b, widths)))
  return y.slice(...y.shape.slice(0, -1).map((): [] => []), [0, n])
}

/**
 * `a @ bᵀ` for `b [N, K]`. Reading `b` through a transposed view vectorises along K, which is
 * fast when K is a multiple of 4 (a [1,1024]@[1000,1024]ᵀ dense layer: 0.3 ms); otherwise the
 * transpose is copied once and `denseMatmul` takes over ([9216,27]@[32,27]ᵀ: 17 → 4 ms).
 * Consumes both.
 */
const matmulTransposedB = (a: Arr, b: Arr): Arr => {
  const [n, k] = b.shape as [number, number]
  if (k % 4 === 0 || !isWorthIt(a, n)) return np.matmul(a, np.transpose(b))
  return denseMatmul(a, materialize(np.transpose(b)))
}

export interface MatMulAttrs {
  readonly transposeA?: boolean
  readonly transposeB?: boolean
}

/** MatMul of two rank-2 arrays. Consumes both. */
export const matMul = (a: Arr, b: Arr, attrs: MatMulAttrs = {}): Arr => {
  planOrDispose([a, b], () => {
    if (a.ndim !== 2 || b.ndim !== 2) throw inputError("MatMul", `operands must be 2-D, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`)
    const k1 = attrs.transposeA ? a.shape[0] : a.shape[1]
    const k2 = attrs.transposeB ? b.shape[1] : b.shape[0]
    if (k1 !== k2) throw inputError("MatMul", `contracting dimensions differ: ${fmtShape(a.shape)} and ${fmtShape(b.shape)} (transpose_a=${!!attrs.transposeA}, transpose_b=${!!attrs.transposeB})`)
  })
  const left = attrs.transposeA ? np.transpose(a) : a
  return attrs.transposeB ? matmulTransposedB(left, b) : denseMatmul(left, b)
}

export interface BatchMatMulAttrs {
  readonly adjX?: boolean
  readonly adjY?: boolean
}

const swapLast = (x: Arr): Arr => {
  const perm = x.shape.map((_, i) => i)
  perm[perm.length - 2] = perm.length - 1
  perm[perm.length - 1] = perm.length - 2
  return np.transpose(x, perm)
}

/** NumPy broadcasting of two batch shapes, or undefined when incompatible. */
const broadcastBatch = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number[] | undefined => {
  const r = Math.max(a.length, b.length)
  const out: number[] = []
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1
    const db = b[b.length - r + i] ?? 1
    if (da !== db && da !== 1 && db !== 1) return undefined
    out.push(da === 1 ? db : da)
  }
  return out
}

/**
 * BatchMatMulV2/V3: `x [..., M, K] @ y [..., K, N]` with NumPy batch broadcasting
 * (`adjX`/`adjY` transpose the last two axes first). Consumes both. For V3's `Tout`, cast the
 * result (TF computes in the input dtype).
 */
export const batchMatMul = (x: Arr, y: Arr, attrs: BatchMatMulAttrs = {}): Arr => {
  const op = "BatchMatMulV2"
  const batch = planOrDispose([x, y], () => {
    if (x.ndim < 2 || y.ndim < 2) throw inputError(op, `operands must have rank ≥ 2, got ${fmtShape(x.shape)} and ${fmtShape(y.shape)}`)
    const kx = x.shape[x.ndim - (attrs.adjX ? 2 : 1)]
    const ky = y.shape[y.ndim - (attrs.adjY ? 1 : 2)]
    if (kx !== ky) throw inputError(op, `contracting dimensions differ: ${fmtShape(x.shape)} and ${fmtShape(y.shape)}`)
    const b = broadcastBatch(x.shape.slice(0, -2), y.shape.slice(0, -2))
    if (b === undefined) throw inputError(op, `batch dimensions do not broadcast: ${fmtShape(x.shape)} and ${fmtShape(y.shape)}`)
    return b
  })
  let a = attrs.adjX ? swapLast(x) : x
  let b = attrs.adjY ? swapLast(y) : y
  const [m, k] = a.shape.slice(-2) as [number, number]
  const n = b.shape[b.ndim - 1]!
  if (b.ndim === 2) {
    // Fold all batch dims into the rows: one plain matmul.
    return denseMatmul(a.reshape([-1, k]), b).reshape([...a.shape.slice(0, -2), m, n])
  }
  const rank = batch.length + 2
  if (a.ndim < rank) a = a.reshape([...Array<number>(rank - a.ndim).fill(1), ...a.shape])
  if (b.ndim < rank) b = b.reshape([...Array<number>(rank - b.ndim).fill(1), ...b.shape])
  return denseMatmul(a, b)
}
