/**
 * ReverseV2 (static axes), Reverse (TF1: a bool per dim) and Roll (static shifts and axes;
 * shifts on the same axis add up). Roll on the device is two slices and a concatenation.
 */
import { numpy as np } from "@jax-js/jax"
import type { HostTensor, OpContext, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostValues, staticValue, stridesOf } from "@tf2jax/core"
import { Schema } from "effect"
import { axisOf, axisRange, device, dtypeOf, fmt, guard, hostable, inputError, intsOf, shapeOf } from "./common.js"
import { hostIndexMap } from "./hostIndex.js"

/** Reverses a value (consumed) along distinct, normalised axes. */
const reverseValue = (ctx: OpContext, v: Value, axes: ReadonlyArray<number>): Value => {
  if (axes.length === 0) return v
  const dtype = dtypeOf(ctx, v)
  const shape = shapeOf(ctx, v)
  if (hostable(v, dtype, shape)) {
    const strides = stridesOf(shape)
    const flip = shape.map((_, d) => axes.includes(d))
    return staticValue(hostIndexMap(v.tensor, shape, (c) => c.reduce((o, ci, d) => o + (flip[d] ? shape[d]! - 1 - ci : ci) * strides[d]!, 0)))
  }
  return arrayValue(np.flip(device(ctx, v), [...axes]), dtype)
}

export const reverseV2 = defineOp({
  ops: ["ReverseV2"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), Tidx: Schema.optionalKey(Attr.type) }),
  inputs: ["value", "static"],
  run: (ctx, [x, a]) => {
    const v = x as Value
    const axes = guard(ctx, [v], () => {
      const rank = shapeOf(ctx, v).length
      const axes = intsOf(ctx, a as HostTensor, "axis").map((d) => axisOf(ctx, d, rank))
      if (new Set(axes).size !== axes.length) throw inputError(ctx, `axis ${fmt(axes)} names a dimension twice`)
      return axes
    })
    return reverseValue(ctx, v, axes)
  }
})

export const reverseV1 = defineOp({
  ops: ["Reverse"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type) }),
  inputs: ["value", "static"],
  run: (ctx, [x, d]) => {
    const v = x as Value
    const axes = guard(ctx, [v], () => {
      const dims = Array.from(hostValues(d as HostTensor))
      if (dims.length !== shapeOf(ctx, v).length) throw inputError(ctx, `dims must have one entry per dimension of ${fmt(shapeOf(ctx, v))}`)
      return dims.flatMap((b, i) => (b ? [i] : []))
    })
    return reverseValue(ctx, v, axes)
  }
})

export const roll = defineOp({
  ops: ["Roll"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), Tshift: Schema.optionalKey(Attr.type), Taxis: Schema.optionalKey(Attr.type) }),
  inputs: ["value", "static", "static"],
  run: (ctx, [x, s, a]) => {
    const v = x as Value
    const shape = guard(ctx, [v], () => shapeOf(ctx, v))
    const shifts = guard(ctx, [v], () => {
      const sh = intsOf(ctx, s as HostTensor, "shift")
      const ax = intsOf(ctx, a as HostTensor, "axis")
      if (sh.length !== ax.length || (s as HostTensor).shape.length > 1) {
        throw inputError(ctx, `shift ${fmt(sh)} and axis ${fmt(ax)} must be scalars or vectors of one length`)
      }
      // Net shift per dim in [0, n).
      const net = shape.map(() => 0)
      ax.forEach((d, i) => (net[axisOf(ctx, d, shape.length)]! += sh[i]!))
      return net.map((t, d) => (shape[d]! === 0 ? 0 : ((t % shape[d]!) + shape[d]!) % shape[d]!))
    })
    if (shifts.every((t) => t === 0)) return v
    const dtype = dtypeOf(ctx, v)
    if (hostable(v, dtype, shape)) {
      const strides = stridesOf(shape)
      return staticValue(
        hostIndexMap(v.tensor, shape, (c) => c.reduce((o, ci, d) => o + ((ci - shifts[d]! + shape[d]!) % shape[d]!) * strides[d]!, 0))
      )
    }
    let y = device(ctx, v)
    shifts.forEach((t, d) => {
      if (t === 0) return
      const n = shape[d]!
      const tail = y.ref.slice(...axisRange(shape.length, d, n - t, n))
      y = np.concatenate([tail, y.slice(...axisRange(shape.length, d, 0, n - t))], d)
    })
    return arrayValue(y, dtype)
  }
})

export const reverseOps = [reverseV2, reverseV1, roll]
