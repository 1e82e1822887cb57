/**
 * ScatterNd and TensorScatterAdd / Sub / Update. jax-js has no public scatter: the device path
 * is lowering/gather.ts's scatter-add (the VJP of np.take; duplicates accumulate).
 *
 * Out-of-range indices: static ones are an error (TF's CPU kernel) unless
 * `bad_indices_policy` is "IGNORE"; traced ones are dropped (a traced value cannot raise).
 *
 * TensorScatterUpdate with duplicate indices: TF's CPU kernel applies updates in order, so
 * the last one wins; so does this (static indices: deduplicated on the host; traced: a
 * "no later equal index" mask, O(M²) in the number of updates). Only the winning update
 * receives a gradient (TF gives every duplicate one).
 */
import { numpy as np } from "@jax-js/jax"
import type { DType, HostTensor, OpContext, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostFromValues, hostValues, staticValue, stridesOf } from "@tf2jax/core"
import { Schema } from "effect"
import { scatterAddRows, scatterNd as lowerScatterNd } from "../../lowering/index.js"
import { type Arr, attrError, type Ctx, device, dtypeOf, fmt, guard, hostTensors, inputError, intsOf, isStatic, lower, product, shapeOf } from "./common.js"

const POLICIES = ["", "DEFAULT", "ERROR", "IGNORE"]

const scatterAttrs = Schema.Struct({ T: Schema.optionalKey(Attr.type), Tindices: Schema.optionalKey(Attr.type), bad_indices_policy: Attr.string })

const checkPolicy = (a: { readonly bad_indices_policy: string }, ctx: Ctx): void => {
  if (!POLICIES.includes(a.bad_indices_policy)) throw attrError(ctx, "bad_indices_policy", `${a.bad_indices_policy} is not supported`)
}

/** Checks indices `[…, K]` against `shape` and updates against `[…, shape[K:]]`; returns K and the row count M. */
const geometry = (ctx: Ctx, iShape: ReadonlyArray<number>, uShape: ReadonlyArray<number>, shape: ReadonlyArray<number>) => {
  const k = iShape[iShape.length - 1]
  if (iShape.length === 0 || k === undefined || k > shape.length) {
    throw inputError(ctx, `indices ${fmt(iShape)} must have a last dimension ≤ rank(shape) = ${shape.length}`)
  }
  const want = [...iShape.slice(0, -1), ...shape.slice(k)]
  if (fmt(uShape) !== fmt(want)) throw inputError(ctx, `updates ${fmt(uShape)} must have shape ${fmt(want)}`)
  return { k, m: product(iShape.slice(0, -1)) }
}

/** Flat row of each static index tuple: −1 where out of range and `ignore`, else an error. */
const hostRows = (ctx: Ctx, idx: HostTensor, shape: ReadonlyArray<number>, k: number, ignore: boolean): Int32Array => {
  const v = hostValues(idx)
  const strides = stridesOf(shape.slice(0, k))
  const rows = new Int32Array(v.length / Math.max(k, 1))
  for (let r = 0; r < rows.length; r++) {
    let o = 0
    for (let j = 0; j < k; j++) {
      const x = v[r * k + j]!
      if (x < 0 || x >= shape[j]!) {
        if (!ignore) throw inputError(ctx, `index ${fmt(Array.from(v.slice(r * k, r * k + k)))} is out of bounds for shape ${fmt(shape)}`)
        o = -1
        break
      }
      o += x * strides[j]!
    }
    rows[r] = o
  }
  return rows
}

/** Flat rows of traced `[…, K]` indices; out-of-range tuples map to row R = Π shape[:K] (consumes `idx`). */
const deviceRows = (idx: Arr, shape: ReadonlyArray<number>, k: number): Arr => {
  const i = idx.dtype === np.int32 ? idx : idx.astype(np.int32)
  const dims = np.array(Int32Array.from(shape.slice(0, k)), { dtype: np.int32, shape: [k] })
  const strides = np.array(Int32Array.from(stridesOf(shape.slice(0, k))), { dtype: np.int32, shape: [k] })
  const inRange = np.all(np.logicalAnd(i.ref.greaterEqual(0), i.ref.less(dims)), -1)
  const flat = np.sum(i.mul(strides), -1)
  return np.where(inRange, flat, product(shape.slice(0, k))).reshape([-1])
}

/** Scatter-add of host values (TF's ScatterNd / TensorScatterAdd on static inputs). */
const hostScatterAdd = (base: Float64Array, rows: Int32Array, updates: HostTensor, rest: number, sign: number): void => {
  const u = hostValues(updates)
  rows.forEach((r, m) => {
    if (r < 0) return
    for (let q = 0; q < rest; q++) base[r * rest + q]! += sign * u[m * rest + q]!
  })
}

/** ScatterNd(indices, updates, shape): zeros of `shape` plus the updates at the indices. */
export const scatterNd = defineOp({
  ops: ["ScatterNd"],
  attrs: scatterAttrs,
  inputs: ["value", "value", "static"],
  check: checkPolicy,
  run: (ctx, [ii, ui, si], a) => {
    const [indices, updates] = [ii as Value, ui as Value]
    const ignore = a.bad_indices_policy === "IGNORE"
    const dtype = dtypeOf(ctx, updates)
    const { shape, k, rows } = guard(ctx, [indices, updates], () => {
      const shape = intsOf(ctx, si as HostTensor, "shape")
      if (shape.some((d) => d < 0)) throw inputError(ctx, `shape ${fmt(shape)} must be non-negative`)
      const { k } = geometry(ctx, shapeOf(ctx, indices), shapeOf(ctx, updates), shape)
      return { shape, k, rows: isStatic(indices) ? hostRows(ctx, indices.tensor, shape, k, ignore) : undefined }
    })
    const host = hostTensors([indices, updates], dtype, shape)
    if (host && rows) {
      const out = new Float64Array(product(shape))
      hostScatterAdd(out, rows, host[1]!, product(shape.slice(k)), 1)
      return staticValue(hostFromValues(dtype, shape, out))
    }
    const idx = isStatic(indices) ? indices.tensor : device(ctx, indices)
    return arrayValue(lower(ctx, () => lowerScatterNd(idx, device(ctx, updates), shape)), dtype)
  }
})

interface TensorScatter {
  readonly tensor: Value
  readonly indices: Value
  readonly updates: Value
  readonly dtype: DType
  readonly shape: Array<number>
  readonly k: number
  readonly m: number
  /** Host rows when the indices are static. */
  readonly rows: Int32Array | undefined
}

const tensorScatterInputs = (ctx: OpContext, inputs: ReadonlyArray<unknown>, ignore: boolean): TensorScatter => {
  const [tensor, indices, updates] = inputs as ReadonlyArray<Value>
  return guard(ctx, [tensor!, indices!, updates!], () => {
    const shape = shapeOf(ctx, tensor!)
    const { k, m } = geometry(ctx, shapeOf(ctx, indices!), shapeOf(ctx, updates!), shape)
    const rows = isStatic(indices!) ? hostRows(ctx, indices.tensor, shape, k, ignore) : undefined
    return { tensor: tensor!, indices: indices!, updates: updates!, dtype: dtypeOf(ctx, tensor!), shape, k, m, rows }
  })
}

/** TensorScatterAdd / Sub: tensor ± ScatterNd(indices, updates). */
const addOp = (op: string, sign: 1 | -1) =>
  defineOp({
    ops: [op],
    attrs: scatterAttrs,
    inputs: ["value", "value", "value"],
    check: checkPolicy,
    run: (ctx, inputs, a) => {
      const s = tensorScatterInputs(ctx, inputs, a.bad_indices_policy === "IGNORE")
      const host = hostTensors([s.tensor, s.updates], s.dtype, s.shape)
      if (s.rows && host) {
        const out = hostValues(host[0]!)
        hostScatterAdd(out, s.rows, host[1]!, product(s.shape.slice(s.k)), sign)
        return staticValue(hostFromValues(s.dtype, s.shape, out))
      }
      const idx = s.rows ? (s.indices as { tensor: HostTensor }).tensor : device(ctx, s.indices)
      const upd = sign === 1 ? device(ctx, s.updates) : np.negative(device(ctx, s.updates))
      const scattered = lower(ctx, () => lowerScatterNd(idx, upd, s.shape))
      return arrayValue(np.add(device(ctx, s.tensor), scattered), s.dtype)
    }
  })

export const tensorScatterAdd = addOp("TensorScatterAdd", 1)
export const tensorScatterSub = addOp("TensorScatterSub", -1)

/** TensorScatterUpdate: the tensor with the indexed rows replaced (last duplicate wins). */
export const tensorScatterUpdate = defineOp({
  ops: ["TensorScatterUpdate"],
  attrs: scatterAttrs,
  inputs: ["value", "value", "value"],
  check: checkPolicy,
  run: (ctx, inputs, a) => {
    const s = tensorScatterInputs(ctx, inputs, a.bad_indices_policy === "IGNORE")
    const rowCount = product(s.shape.slice(0, s.k))
    const rest = product(s.shape.slice(s.k))
    if (s.rows) {
      const rows = s.rows
      // Last writer of each row wins; dropped (−1) rows write nothing.
      const last = new Map<number, number>()
      rows.forEach((r, m) => r >= 0 && last.set(r, m))
      const winners = [...last.values()].sort((x, y) => x - y)
      const host = hostTensors([s.tensor, s.updates], s.dtype, s.shape)
      if (host) {
        const out = hostValues(host[0]!)
        const uv = hostValues(host[1]!)
        for (const m of winners) for (let q = 0; q < rest; q++) out[rows[m]! * rest + q] = uv[m * rest + q]!
        return staticValue(hostFromValues(s.dtype, s.shape, out))
      }
      const tensor = device(ctx, s.tensor).reshape([rowCount, rest])
      let upd = device(ctx, s.updates).reshape([s.m, rest])
      if (winners.length === 0) {
        upd.dispose()
        return arrayValue(tensor.reshape(s.shape), s.dtype)
      }
      if (winners.length < s.m) upd = np.take(upd, np.array(Int32Array.from(winners), { dtype: np.int32 }), 0)
      const target = np.array(Int32Array.from(winners, (m) => rows[m]!), { dtype: np.int32 })
      const scattered = scatterAddRows(rowCount, target, upd)
      const written = new Int32Array(rowCount)
      for (const m of winners) written[rows[m]!] = 1
      const mask = np.array(written, { dtype: np.int32, shape: [rowCount, 1] }).astype(np.bool)
      return arrayValue(np.where(mask, scattered, tensor).reshape(s.shape), s.dtype)
    }
    // Traced indices: row r of update m wins unless a later update targets the same row.
    const r = deviceRows(device(ctx, s.indices), s.shape, s.k)
    const later = new Int32Array(s.m * s.m)
    for (let i = 0; i < s.m; i++) for (let j = i + 1; j < s.m; j++) later[i * s.m + j] = 1
    const laterMask = np.array(later, { dtype: np.int32, shape: [s.m, s.m] }).astype(np.bool)
    const overwritten = np.any(np.logicalAnd(np.equal(r.ref.reshape([s.m, 1]), r.ref.reshape([1, s.m])), laterMask), 1)
    const upd = device(ctx, s.updates).reshape([s.m, rest])
    const kept = np.where(overwritten.reshape([s.m, 1]), np.zerosLike(upd.ref), upd)
    const scattered = scatterAddRows(rowCount + 1, r.ref, kept).slice([0, rowCount])
    const count = scatterAddRows(rowCount + 1, r, np.ones([s.m, 1], { dtype: np.float32 })).slice([0, rowCount])
    const tensor = device(ctx, s.tensor).reshape([rowCount, rest])
    return arrayValue(np.where(count.greater(0), scattered, tensor).reshape(s.shape), s.dtype)
  }
})

export const scatterOps = [scatterNd, tensorScatterAdd, tensorScatterSub, tensorScatterUpdate]
