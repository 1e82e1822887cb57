/**
 * TF GatherV2 / GatherNd / ScatterNd on `np.take` and its VJP.
 *
 * Index hygiene: jax-js's `np.take` returns garbage for negative or out-of-range indices, and
 * eager differs from jit (notes/jax-js.md §6.4). TF's CPU kernels reject such indices. Here:
 * - gathers wrap negative indices (i + n, NumPy style) and clamp the rest into [0, n−1] on
 *   the device (a traced index cannot raise); static (host) indices are checked on the host
 *   and an index outside [−n, n) throws, as TF's CPU kernel does;
 * - ScatterNd drops updates whose index is out of range (TF's GPU behaviour; the CPU kernel
 *   raises), by routing them to a scratch row that is cut off.
 *
 * jax-js has no public scatter: scatter-add is the VJP of `np.take`, which lowers to jax-js's
 * internal Scatter primitive (duplicates accumulate, as TF's ScatterNd requires).
 */
import { numpy as np, vjp } from "@jax-js/jax"
import { type HostTensor, toNumbers } from "@tf2jax/core"
import { gradSafeGather, notAView } from "./barrier.js"
import { type Arr, attrError, fmtShape, inputError, int32Const, planOrDispose, product } from "./common.js"

/** A static index tensor (a host tensor of integers). */
export type HostIndices = Pick<HostTensor, "dtype" | "shape" | "data">

const isHost = (i: Arr | HostIndices): i is HostIndices => !("ref" in i)

const indexShape = (i: Arr | HostIndices): number[] => [...i.shape]

/** Wraps negatives and clamps traced int indices into [0, n) (consumes `idx`). */
const wrapClamp = (idx: Arr, n: number | Arr): Arr => {
  const i = idx.dtype === np.int32 ? idx : idx.astype(np.int32)
  const nRef = typeof n === "number" ? n : n.ref
  const wrapped = np.where(i.ref.less(0), i.ref.add(nRef), i)
  const hi = typeof n === "number" ? n - 1 : n.sub(1)
  return np.clip(wrapped, 0, hi)
}

/** Host indices wrapped into [0, n); throws on anything outside [−n, n). */
const hostWrap = (op: string, idx: HostIndices, n: number | ReadonlyArray<number>): Int32Array => {
  const vals = toNumbers(idx as HostTensor)
  const out = new Int32Array(vals.length)
  const k = typeof n === "number" ? 1 : n.length
  for (let q = 0; q < vals.length; q++) {
    const dim = typeof n === "number" ? n : n[q % k]!
    const v = vals[q]!
    if (!Number.isInteger(v) || v < -dim || v >= dim) {
      throw inputError(op, `index ${v} is out of range for a dimension of size ${dim}`)
    }
    out[q] = v < 0 ? v + dim : v
  }
  return out
}

/**
 * GatherV2: `params[b..., pre..., indices[b..., i...], post...]` along `axis` with
 * `batchDims` leading batch dims shared by params and indices (both may be negative, TF
 * style). Consumes `params` and a device `indices`.
 */
export const gatherV2 = (params: Arr, indices: Arr | HostIndices, axis: number, batchDims = 0): Arr => {
  const op = "GatherV2"
  const dev = isHost(indices) ? undefined : indices
  const { a, b, host } = planOrDispose([params, dev], () => {
    const iShape = indexShape(indices)
    const b = batchDims < 0 ? batchDims + iShape.length : batchDims
    const a = axis < 0 ? axis + params.ndim : axis
    if (a < 0 || a >= params.ndim) throw attrError(op, "axis", `axis ${axis} is out of range for params ${fmtShape(params.shape)}`)
    if (b < 0 || b > iShape.length || b > a) {
      throw attrError(op, "batch_dims", `batch_dims ${batchDims} must be in [0, min(rank(indices), axis)]`)
    }
    for (let d = 0; d < b; d++) {
      if (params.shape[d] !== iShape[d]) throw inputError(op, `batch dimension ${d} differs: params ${fmtShape(params.shape)}, indices ${fmtShape(iShape)}`)
    }
    const host = isHost(indices) ? int32Const(hostWrap(op, indices, params.shape[a]!), iShape) : undefined
    return { a, b, host }
  })
  const n = params.shape[a]!
  const idx = host ?? wrapClamp(dev!, n)
  if (b === 0) return gradSafeGather(np.take(params, idx, a))
  // Batched: one flat row gather. params → [B, P, n, Q]; row = (b·P + p)·n + idx[b, i].
  const batch = params.shape.slice(0, b)
  const pre = params.shape.slice(b, a)
  const post = params.shape.slice(a + 1)
  const iRest = idx.shape.slice(b)
  const [bf, pf, qf, inf] = [product(batch), product(pre), product(post), product(iRest)]
  const base = new Int32Array(bf * pf)
  for (let r = 0; r < base.length; r++) base[r] = r * n
  const rows = idx.reshape([bf, 1, inf]).add(int32Const(base, [bf, pf, 1]))
  const out = gradSafeGather(np.take(params.reshape([bf * pf * n, qf]), rows, 0))
  return out.reshape([...batch, ...pre, ...iRest, ...post])
}

/** Row-major strides of the first `k` dims of `shape`, over those dims only. */
const leadStrides = (shape: ReadonlyArray<number>, k: number): Int32Array => {
  const s = new Int32Array(k)
  for (let i = k - 1, acc = 1; i >= 0; i--) {
    s[i] = acc
    acc *= shape[i]!
  }
  return s
}

/** Flat row index of `[..., K]` int indices over the first K dims of `shape` (consumes `idx`). */
const flatRows = (idx: Arr, shape: ReadonlyArray<number>, k: number, mode: "clamp" | "drop"): Arr => {
  const dims = int32Const(Int32Array.from(shape.slice(0, k)), [k])
  const i = idx.dtype === np.int32 ? idx : idx.astype(np.int32)
  const strides = int32Const(leadStrides(shape, k), [k])
  if (mode === "clamp") return np.sum(wrapClamp(i, dims).mul(strides), -1)
  // Drop: rows outside the shape go to row R = Π dims (a scratch row).
  const inRange = np.all(np.logicalAnd(i.ref.greaterEqual(0), i.ref.less(dims)), -1)
  const flat = np.sum(i.mul(strides), -1)
  return np.where(inRange, flat, product(shape.slice(0, k)))
}

/**
 * GatherNd: `out[i...] = params[indices[i..., 0], …, indices[i..., K−1], rest...]`.
 * Consumes `params` and a device `indices`.
 */
export const gatherNd = (params: Arr, indices: Arr | HostIndices): Arr => {
  const op = "GatherNd"
  const dev = isHost(indices) ? undefined : indices
  const { k, host } = planOrDispose([params, dev], () => {
    const iShape = indexShape(indices)
    const k = iShape[iShape.length - 1]
    if (iShape.length === 0 || k === undefined || k > params.ndim) {
      throw inputError(op, `indices ${fmtShape(iShape)} must have a last dimension ≤ rank(params) = ${params.ndim}`)
    }
    let host: Arr | undefined
    if (isHost(indices)) {
      const wrapped = hostWrap(op, indices, params.shape.slice(0, k))
      const st = leadStrides(params.shape, k)
      const rows = new Int32Array(wrapped.length / Math.max(k, 1))
      for (let r = 0; r < rows.length; r++) {
        let v = 0
        for (let j = 0; j < k; j++) v += wrapped[r * k + j]! * st[j]!
        rows[r] = v
      }
      host = int32Const(rows, iShape.slice(0, -1))
    }
    return { k, host }
  })
  const lead = indexShape(indices).slice(0, -1)
  const rest = params.shape.slice(k)
  const rows = host ?? flatRows(dev!, params.shape, k, "clamp")
  const table = params.reshape([product(params.shape.slice(0, k)), product(rest)])
  return gradSafeGather(np.take(table, rows, 0)).reshape([...lead, ...rest])
}

/**
 * Scatter-add of `updates` (`[M, ...rest]`) into zeros of `[rows, ...rest]` at int row
 * indices `rowIdx` (`[M]`, all in [0, rows)); duplicates accumulate. The VJP of `np.take`
 * (jax-js has no public scatter). Both operands go through `notAView` so that it compiles
 * under jit. Consumes `rowIdx` and `updates`.
 */
export const scatterAddRows = (rows: number, rowIdx: Arr, updates: Arr): Arr => {
  const rest = updates.shape.slice(1)
  const idx = notAView(rowIdx)
  const [out, pullback] = vjp((t: Arr) => np.take(t, idx, 0), [np.zeros([rows, ...rest], { dtype: updates.dtype })])
  out.dispose()
  const [ct] = pullback(notAView(updates)) as [Arr]
  pullback.dispose()
  return ct
}

/**
 * ScatterNd: zeros of the static `shape` with `updates[i...]` added at
 * `indices[i..., :K]` (duplicates accumulate; out-of-range indices are dropped).
 * Consumes a device `indices` and `updates`.
 */
export const scatterNd = (indices: Arr | HostIndices, updates: Arr, shape: ReadonlyArray<number>): Arr => {
  const op = "ScatterNd"
  const dev = isHost(indices) ? undefined : indices
  const { k, lead, host } = planOrDispose([dev, updates], () => {
    const iShape = indexShape(indices)
    const k = iShape[iShape.length - 1]
    if (iShape.length === 0 || k === undefined || k > shape.length) {
      throw inputError(op, `indices ${fmtShape(iShape)} must have a last dimension ≤ rank(shape) = ${shape.length}`)
    }
    const lead = iShape.slice(0, -1)
    const want = [...lead, ...shape.slice(k)]
    if (updates.ndim !== want.length || updates.shape.some((d, i) => d !== want[i])) {
      throw inputError(op, `updates ${fmtShape(updates.shape)} must have shape ${fmtShape(want)}`)
    }
    let host: Arr | undefined
    if (isHost(indices)) {
      const vals = toNumbers(indices as HostTensor)
      const st = leadStrides(shape, k)
      const rows = new Int32Array(vals.length / Math.max(k, 1))
      const scratch = product(shape.slice(0, k))
      for (let r = 0; r < rows.length; r++) {
        let v = 0
        for (let j = 0; j < k; j++) {
          const x = vals[r * k + j]!
          if (x < 0 || x >= shape[j]!) {
            v = -1
            break
          }
          v += x * st[j]!
        }
        rows[r] = v < 0 ? scratch : v
      }
      host = int32Const(rows, [rows.length])
    }
    return { k, lead, host }
  })
  const nRows = product(shape.slice(0, k))
  const rest = shape.slice(k)
  const rows = host ?? flatRows(dev!, shape, k, "drop").reshape([product(lead)])
  const acc = scatterAddRows(nRows + 1, rows, updates.reshape([product(lead), product(rest)]))
  return acc.slice([0, nRows]).reshape([...shape])
}
