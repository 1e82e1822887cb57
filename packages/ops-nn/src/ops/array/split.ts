/**
 * Split (equal parts) and SplitV (static sizes, one of which may be −1) along a static axis.
 * Static inputs give static pieces; device pieces are slices of one array.
 */
import type { HostTensor, OpContext, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, staticValue } from "@tf2jax/core"
import { Schema } from "effect"
import { axisOf, axisRange, device, dtypeOf, fmt, guard, hostable, inputError, intOf, intsOf, shapeOf } from "./common.js"
import { hostSliceAxis } from "./hostIndex.js"

/** Splits a value (consumed) into pieces of `sizes` along `axis`. */
const splitValue = (ctx: OpContext, v: Value, axis: number, sizes: ReadonlyArray<number>): Array<Value> => {
  const dtype = dtypeOf(ctx, v)
  const shape = shapeOf(ctx, v)
  const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0))
  if (hostable(v, dtype, shape)) return sizes.map((n, i) => staticValue(hostSliceAxis(v.tensor, axis, starts[i]!, starts[i]! + n)))
  const arr = device(ctx, v)
  const outs = sizes.map((n, i) => arrayValue(arr.ref.slice(...axisRange(shape.length, axis, starts[i]!, starts[i]! + n)), dtype))
  arr.dispose()
  return outs
}

export const split = defineOp({
  ops: ["Split"],
  attrs: Schema.Struct({ num_split: Attr.int, T: Schema.optionalKey(Attr.type) }),
  inputs: ["static", "value"],
  run: (ctx, [a, x], attrs) => {
    const v = x as Value
    const { axis, sizes } = guard(ctx, [v], () => {
      const shape = shapeOf(ctx, v)
      const axis = axisOf(ctx, intOf(ctx, a as HostTensor, "axis"), shape.length)
      const n = attrs.num_split
      if (n < 1 || shape[axis]! % n !== 0) throw inputError(ctx, `dimension ${axis} of ${fmt(shape)} is not divisible into ${n} parts`)
      return { axis, sizes: Array.from({ length: n }, () => shape[axis]! / n) }
    })
    return splitValue(ctx, v, axis, sizes)
  }
})

export const splitV = defineOp({
  ops: ["SplitV"],
  attrs: Schema.Struct({ num_split: Attr.int, T: Schema.optionalKey(Attr.type), Tlen: Schema.optionalKey(Attr.type) }),
  inputs: ["value", "static", "static"],
  run: (ctx, [x, s, a], attrs) => {
    const v = x as Value
    const { axis, sizes } = guard(ctx, [v], () => {
      const shape = shapeOf(ctx, v)
      const axis = axisOf(ctx, intOf(ctx, a as HostTensor, "axis"), shape.length)
      const sizes = intsOf(ctx, s as HostTensor, "size_splits")
      const dim = shape[axis]!
      if (sizes.length !== attrs.num_split) throw inputError(ctx, `size_splits ${fmt(sizes)} must have num_split = ${attrs.num_split} entries`)
      const unknown = sizes.flatMap((n, i) => (n === -1 ? [i] : []))
      const known = sizes.reduce((t, n) => (n === -1 ? t : t + n), 0)
      if (unknown.length > 1 || sizes.some((n) => n < -1)) throw inputError(ctx, `size_splits ${fmt(sizes)}: at most one -1, others ≥ 0`)
      const out = [...sizes]
      if (unknown.length === 1) out[unknown[0]!] = dim - known
      if (out.some((n) => n < 0) || out.reduce((t, n) => t + n, 0) !== dim) {
        throw inputError(ctx, `size_splits ${fmt(sizes)} do not add up to dimension ${axis} of ${fmt(shape)}`)
      }
      return { axis, sizes: out }
    })
    return splitValue(ctx, v, axis, sizes)
  }
})

export const splitOps = [split, splitV]
