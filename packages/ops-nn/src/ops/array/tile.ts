/**
 * Tile and BroadcastTo (static multiples / target shape), BroadcastArgs (shape arithmetic:
 * static in, static out; a traced pair of shapes is broadcast on the device).
 */
import { numpy as np } from "@jax-js/jax"
import type { HostTensor, Value } from "@tf2jax/core"
import { arrayValue, Attr, broadcastShapes, defineOp, hostFromValues, stridesOf, staticValue } from "@tf2jax/core"
import { Schema } from "effect"
import { device, dtypeOf, fmt, guard, hostable, inputError, intsOf, isStatic, shapeOf } from "./common.js"
import { hostBroadcast, hostIndexMap } from "./hostIndex.js"

export const tile = defineOp({
  ops: ["Tile"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), Tmultiples: Schema.optionalKey(Attr.type) }),
  inputs: ["value", "static"],
  run: (ctx, [x, m]) => {
    const v = x as Value
    const { shape, reps } = guard(ctx, [v], () => {
      const shape = shapeOf(ctx, v)
      const reps = intsOf(ctx, m as HostTensor, "multiples")
      if (reps.length !== shape.length || reps.some((r) => r < 0)) {
        throw inputError(ctx, `multiples ${fmt(reps)} must be ${shape.length} non-negative integers (input ${fmt(shape)})`)
      }
      return { shape, reps }
    })
    const dtype = dtypeOf(ctx, v)
    const out = shape.map((d, i) => d * reps[i]!)
    if (hostable(v, dtype, out)) {
      const strides = stridesOf(shape)
      return staticValue(hostIndexMap(v.tensor, out, (c) => c.reduce((o, ci, i) => o + (ci % shape[i]!) * strides[i]!, 0)))
    }
    const arr = device(ctx, v)
    if (out.some((d) => d === 0)) {
      // np.tile cannot reshape to an empty result.
      const dt = arr.dtype
      arr.dispose()
      return arrayValue(np.zeros(out, { dtype: dt }), dtype)
    }
    return arrayValue(reps.every((r) => r === 1) ? arr : np.tile(arr, reps), dtype)
  }
})

/** Whether `from` broadcasts to exactly `to` (TF's BroadcastTo never shrinks `to`). */
const broadcastsTo = (from: ReadonlyArray<number>, to: ReadonlyArray<number>): boolean => {
  if (from.length > to.length) return false
  const off = to.length - from.length
  return from.every((d, i) => d === to[i + off] || d === 1)
}

export const broadcastTo = defineOp({
  ops: ["BroadcastTo"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), Tidx: Schema.optionalKey(Attr.type) }),
  inputs: ["value", "static"],
  run: (ctx, [x, s]) => {
    const v = x as Value
    const target = guard(ctx, [v], () => {
      const shape = shapeOf(ctx, v)
      const target = intsOf(ctx, s as HostTensor, "shape")
      if (target.some((d) => d < 0) || !broadcastsTo(shape, target)) {
        throw inputError(ctx, `cannot broadcast ${fmt(shape)} to ${fmt(target)}`)
      }
      return target
    })
    const dtype = dtypeOf(ctx, v)
    if (hostable(v, dtype, target)) return staticValue(hostBroadcast(v.tensor, target))
    return arrayValue(np.broadcastTo(device(ctx, v), target), dtype)
  }
})

/** BroadcastArgs(s0, s1): the broadcast shape of two shape vectors. */
export const broadcastArgs = defineOp({
  ops: ["BroadcastArgs"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type) }),
  inputs: "value",
  run: (ctx, inputs) => {
    const [a, b] = inputs as ReadonlyArray<Value>
    const dtype = dtypeOf(ctx, a!)
    const [sa, sb] = guard(ctx, [a!, b!], () => {
      const sa = shapeOf(ctx, a!)
      const sb = shapeOf(ctx, b!)
      if (sa.length !== 1 || sb.length !== 1) throw inputError(ctx, `s0 ${fmt(sa)} and s1 ${fmt(sb)} must be vectors`)
      return [sa[0]!, sb[0]!]
    })
    if (isStatic(a!) && isStatic(b!)) {
      const x = guard(ctx, [], () => intsOf(ctx, a.tensor, "s0"))
      const y = guard(ctx, [], () => intsOf(ctx, b.tensor, "s1"))
      const r = broadcastShapes(x, y)
      if (r === undefined) throw inputError(ctx, `incompatible shapes: ${fmt(x)} and ${fmt(y)}`)
      return staticValue(hostFromValues(dtype, [r.length], r))
    }
    // Traced shapes: left-pad the shorter with ones, then take the non-1 entry (unchecked).
    const n = Math.max(sa, sb)
    const padOnes = (t: Value, len: number) => {
      const arr = device(ctx, t)
      return len === n ? arr : np.concatenate([np.ones([n - len], { dtype: arr.dtype }), arr])
    }
    const pa = padOnes(a!, sa)
    const pb = padOnes(b!, sb)
    return arrayValue(np.where(pa.ref.equal(1), pb, pa), dtype)
  }
})

export const tileOps = [tile, broadcastTo, broadcastArgs]
