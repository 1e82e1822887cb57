/**
 * TopKV2 along the last axis with a static k, via lowering/reduceIndex.ts (ties keep the lower
 * index first, as TF). `sorted = false` leaves TF's order unspecified; sorted order is valid.
 * Indices are int32 on the device whatever `index_type` says (DESIGN §8). Static input:
 * computed on the host.
 */
import type { DType, HostTensor, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostFromValues, hostTake, hostValues, staticValue } from "@tf2jax/core"
import { Schema } from "effect"
import { topK as lowerTopK } from "../../lowering/index.js"
import { attrError, device, dtypeOf, fmt, guard, hostable, inputError, intOf, lower, shapeOf } from "./common.js"

const INDEX_TYPES: ReadonlyArray<DType> = ["int16", "int32", "int64"]

/** Per row of the last axis: indices of the k largest, larger first, ties by lower index. */
const hostTopK = (t: HostTensor, k: number): { values: HostTensor; indices: Array<number> } => {
  const n = t.shape[t.shape.length - 1]!
  const v = hostValues(t)
  const rows = v.length / Math.max(n, 1)
  const indices: Array<number> = []
  for (let r = 0; r < rows; r++) {
    const order = Array.from({ length: n }, (_, i) => i)
    // NaN ranks above everything (TF treats NaN as the largest value).
    const key = (i: number) => (Number.isNaN(v[r * n + i]!) ? Infinity : v[r * n + i]!)
    order.sort((a, b) => key(b) - key(a) || a - b)
    indices.push(...order.slice(0, k))
  }
  const shape = [...t.shape.slice(0, -1), k]
  return { values: hostTake(t, shape, (i) => Math.floor(i / k) * n + indices[i]!), indices }
}

export const topKV2 = defineOp({
  ops: ["TopKV2"],
  attrs: Schema.Struct({
    sorted: Attr.bool,
    T: Schema.optionalKey(Attr.type),
    Tk: Schema.optionalKey(Attr.type),
    index_type: Attr.type
  }),
  inputs: ["value", "static"],
  check: (a, ctx) => {
    if (!INDEX_TYPES.includes(a.index_type)) throw attrError(ctx, "index_type", `${a.index_type} is not int16, int32 or int64`)
  },
  run: (ctx, [x, kt], a) => {
    const v = x as Value
    const { k, shape } = guard(ctx, [v], () => {
      const shape = shapeOf(ctx, v)
      const k = intOf(ctx, kt as HostTensor, "k", false)
      if (shape.length < 1 || k < 0 || k > shape[shape.length - 1]!) throw inputError(ctx, `k = ${k} must be in [0, last dim] of ${fmt(shape)}`)
      return { k, shape }
    })
    const dtype = dtypeOf(ctx, v)
    const outShape = [...shape.slice(0, -1), k]
    if (hostable(v, dtype, outShape)) {
      const { values, indices } = hostTopK(v.tensor, k)
      return [staticValue(values), staticValue(hostFromValues(a.index_type, outShape, indices))]
    }
    const [values, indices] = lower(ctx, () => lowerTopK(device(ctx, v), k))
    return [arrayValue(values, dtype), arrayValue(indices, a.index_type)]
  }
})

export const topKOps = [topKV2]
