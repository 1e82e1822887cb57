/**
 * GatherV2 / Gather and GatherNd, via lowering/gather.ts on the device. Static indices are
 * checked on the host (outside [−n, n) is an error, as TF's CPU kernel; negatives wrap); traced
 * indices wrap and clamp (a traced value cannot raise). With params and indices both static
 * the gather runs on the host and stays static (e.g. `tf.gather(shape, [0, 2])`).
 *
 * GatherNd's `bad_indices_policy` "IGNORE" gives zeros for out-of-range indices.
 */
import { numpy as np } from "@jax-js/jax"
import type { HostTensor, OpContext, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostValues, staticValue, stridesOf } from "@tf2jax/core"
import { Schema } from "effect"
import { gatherNd as lowerGatherNd, gatherV2 as lowerGatherV2 } from "../../lowering/index.js"
import { type Arr, attrError, type Ctx, device, dtypeOf, fmt, guard, hostTensors, inputError, intOf, isStatic, lower, shapeOf } from "./common.js"
import { hostIndexMap, rawNumber } from "./hostIndex.js"

/** An index checked against [−n, n) and wrapped; `undefined` when out of range and `ignore`. */
const wrapIndex = (ctx: Ctx, i: number, n: number, ignore = false): number | undefined => {
  if (i < -n || i >= n) {
    if (ignore) return undefined
    throw inputError(ctx, `index ${i} is out of range for a dimension of size ${n}`)
  }
  return i < 0 ? i + n : i
}

interface GatherGeometry {
  readonly axis: number
  readonly batchDims: number
  readonly outShape: Array<number>
}

const gatherGeometry = (ctx: Ctx, params: ReadonlyArray<number>, indices: ReadonlyArray<number>, axisIn: number, batchIn: number): GatherGeometry => {
  const axis = axisIn < 0 ? axisIn + params.length : axisIn
  if (axis < 0 || axis >= params.length) throw inputError(ctx, `axis ${axisIn} is out of range for params ${fmt(params)}`)
  const batchDims = batchIn < 0 ? batchIn + indices.length : batchIn
  if (batchDims < 0 || batchDims > indices.length || batchDims > axis) {
    throw attrError(ctx, "batch_dims", `${batchIn} must be in [-rank(indices), min(rank(indices), axis)] (axis ${axisIn}, indices ${fmt(indices)})`)
  }
  for (let d = 0; d < batchDims; d++) {
    if (params[d] !== indices[d]) throw inputError(ctx, `batch dimension ${d} differs: params ${fmt(params)}, indices ${fmt(indices)}`)
  }
  const outShape = [...params.slice(0, axis), ...indices.slice(batchDims), ...params.slice(axis + 1)]
  return { axis, batchDims, outShape }
}

/** GatherV2 of two host tensors. */
const hostGatherV2 = (ctx: Ctx, p: HostTensor, idx: HostTensor, g: GatherGeometry): HostTensor => {
  const n = p.shape[g.axis]!
  const iv = hostValues(idx)
  const wrapped = Array.from(iv, (i) => wrapIndex(ctx, i, n)!)
  const pStrides = stridesOf(p.shape)
  const iStrides = stridesOf(idx.shape)
  const ri = idx.shape.length - g.batchDims
  return hostIndexMap(p, g.outShape, (c) => {
    // c = [batch…, pre…, index dims…, post…]
    let io = 0
    for (let d = 0; d < g.batchDims; d++) io += c[d]! * iStrides[d]!
    for (let d = 0; d < ri; d++) io += c[g.axis + d]! * iStrides[g.batchDims + d]!
    let o = 0
    for (let d = 0; d < g.axis; d++) o += c[d]! * pStrides[d]!
    o += wrapped[io]! * pStrides[g.axis]!
    for (let d = g.axis + 1; d < p.shape.length; d++) o += c[d - 1 + ri]! * pStrides[d]!
    return o
  })
}

const runGather = (ctx: OpContext, params: Value, indices: Value, axisIn: number, batchIn: number): Value => {
  const dtype = dtypeOf(ctx, params)
  const g = guard(ctx, [params, indices], () => gatherGeometry(ctx, shapeOf(ctx, params), shapeOf(ctx, indices), axisIn, batchIn))
  const host = hostTensors([params, indices], dtype, g.outShape)
  if (host) return staticValue(guard(ctx, [], () => hostGatherV2(ctx, host[0]!, host[1]!, g)))
  const idx = isStatic(indices) ? indices.tensor : device(ctx, indices)
  const p = device(ctx, params)
  return arrayValue(lower(ctx, () => lowerGatherV2(p, idx, g.axis, g.batchDims)), dtype)
}

export const gatherV2 = defineOp({
  ops: ["GatherV2"],
  attrs: Schema.Struct({
    batch_dims: Attr.int,
    Tparams: Schema.optionalKey(Attr.type),
    Tindices: Schema.optionalKey(Attr.type),
    Taxis: Schema.optionalKey(Attr.type)
  }),
  inputs: ["value", "value", "static"],
  run: (ctx, [p, i, a], attrs) => {
    const axis = guard(ctx, [p, i], () => intOf(ctx, a as HostTensor, "axis"))
    return runGather(ctx, p as Value, i as Value, axis, attrs.batch_dims)
  }
})

export const gatherV1 = defineOp({
  ops: ["Gather"],
  attrs: Schema.Struct({ validate_indices: Attr.bool, Tparams: Schema.optionalKey(Attr.type), Tindices: Schema.optionalKey(Attr.type) }),
  inputs: ["value", "value"],
  run: (ctx, [p, i]) => runGather(ctx, p as Value, i as Value, 0, 0)
})

const POLICIES = ["", "DEFAULT", "ERROR", "IGNORE"]

/** GatherNd of two host tensors (row by row over the last index dimension). */
const hostGatherNd = (ctx: Ctx, p: HostTensor, idx: HostTensor, ignore: boolean): HostTensor => {
  const k = idx.shape[idx.shape.length - 1]!
  const lead = idx.shape.slice(0, -1)
  const rest = p.shape.slice(k)
  const iv = hostValues(idx)
  const pStrides = stridesOf(p.shape)
  const rows = Array.from({ length: iv.length / Math.max(k, 1) }, (_, r) => {
    let o = 0
    for (let j = 0; j < k; j++) {
      const w = wrapIndex(ctx, iv[r * k + j]!, p.shape[j]!, ignore)
      if (w === undefined) return -1
      o += w * pStrides[j]!
    }
    return o
  })
  const outShape = [...lead, ...rest]
  const restStrides = stridesOf(rest)
  return hostIndexMap(
    p,
    outShape,
    (c) => {
      let r = 0
      for (let d = 0; d < lead.length; d++) r = r * lead[d]! + c[d]!
      const base = rows[r]!
      if (base < 0) return -1
      let o = base
      for (let d = 0; d < rest.length; d++) o += c[lead.length + d]! * restStrides[d]!
      return o
    },
    rawNumber(p.dtype, 0)
  )
}

/** Whether each index row of a traced `[…, K]` tensor is inside `dims` (consumes `idx`). */
const rowsInRange = (idx: Arr, dims: ReadonlyArray<number>): Arr => {
  const i = idx.dtype === np.int32 ? idx : idx.astype(np.int32)
  const hi = np.array(Int32Array.from(dims), { dtype: np.int32, shape: [dims.length] })
  return np.all(np.logicalAnd(i.ref.greaterEqual(0), i.less(hi)), -1)
}

export const gatherNd = defineOp({
  ops: ["GatherNd"],
  attrs: Schema.Struct({ Tparams: Schema.optionalKey(Attr.type), Tindices: Schema.optionalKey(Attr.type), bad_indices_policy: Attr.string }),
  inputs: ["value", "value"],
  check: (a, ctx) => {
    if (!POLICIES.includes(a.bad_indices_policy)) throw attrError(ctx, "bad_indices_policy", `${a.bad_indices_policy} is not supported`)
  },
  run: (ctx, [pi, ii], a) => {
    const [params, indices] = [pi as Value, ii as Value]
    const dtype = dtypeOf(ctx, params)
    const ignore = a.bad_indices_policy === "IGNORE"
    const { k, outShape } = guard(ctx, [params, indices], () => {
      const ps = shapeOf(ctx, params)
      const is = shapeOf(ctx, indices)
      const k = is[is.length - 1]
      if (k === undefined || k > ps.length) throw inputError(ctx, `indices ${fmt(is)} must have a last dimension ≤ rank(params) = ${ps.length}`)
      return { k, outShape: [...is.slice(0, -1), ...ps.slice(k)] }
    })
    const host = hostTensors([params, indices], dtype, outShape)
    if (host) return staticValue(guard(ctx, [], () => hostGatherNd(ctx, host[0]!, host[1]!, ignore)))
    const pShape = shapeOf(ctx, params)
    if (isStatic(indices)) {
      // The lowering checks static indices; with IGNORE the bad rows are zeroed here.
      const vals = hostValues(indices.tensor)
      const keep = Array.from({ length: vals.length / Math.max(k, 1) }, (_, r) =>
        Array.from({ length: k }, (_, j) => vals[r * k + j]!).every((x, j) => x >= 0 && x < pShape[j]!)
      )
      const safe: HostTensor = ignore
        ? { dtype: "int32", shape: indices.tensor.shape, data: Int32Array.from(vals, (x, q) => (keep[Math.floor(q / k)] ? x : 0)) }
        : indices.tensor
      const out = lower(ctx, () => lowerGatherNd(device(ctx, params), safe))
      if (!ignore || keep.every(Boolean)) return arrayValue(out, dtype)
      const mask = np.array(Int32Array.from(keep, Number), { dtype: np.int32, shape: indices.tensor.shape.slice(0, -1) }).astype(np.bool)
      return arrayValue(np.where(mask.reshape([...mask.shape, ...pShape.slice(k).map(() => 1)]), out, 0), dtype)
    }
    const idx = device(ctx, indices)
    const inRange = ignore ? rowsInRange(idx.ref, pShape.slice(0, k)) : undefined
    const out = lower(ctx, () => lowerGatherNd(device(ctx, params), idx))
    if (!inRange) return arrayValue(out, dtype)
    return arrayValue(np.where(inRange.reshape([...inRange.shape, ...pShape.slice(k).map(() => 1)]), out, 0), dtype)
  }
})

export const gatherOps = [gatherV2, gatherV1, gatherNd]
