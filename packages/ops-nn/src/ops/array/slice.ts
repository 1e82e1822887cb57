/**
 * Slice and StridedSlice with static begin/end/size/strides, via the host-side plan of
 * lowering/stridedSlice.ts (jax-js has no strided slicing): the plan is applied to host
 * tensors (shape arithmetic such as `tf.shape(x)[0]` stays static) or to device arrays.
 */
import type { HostTensor, OpContext, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, staticValue } from "@tf2jax/core"
import { Schema } from "effect"
import { applyStridedSlice, applyStridedSliceHost, type StridedSlicePlan, stridedSlicePlan } from "../../lowering/index.js"
import { device, dtypeOf, fmt, guard, hostable, inputError, intsOf, shapeOf } from "./common.js"

/** Applies a plan to a value (consumed), on the host when it can stay static. */
const applyPlan = (ctx: OpContext, v: Value, plan: StridedSlicePlan): Value => {
  const dtype = dtypeOf(ctx, v)
  if (hostable(v, dtype, plan.outputShape)) return staticValue(applyStridedSliceHost(v.tensor, plan))
  return arrayValue(applyStridedSlice(device(ctx, v), plan), dtype)
}

/** Slice(input, begin, size): size −1 means "to the end"; TF rejects out-of-range windows. */
export const slice = defineOp({
  ops: ["Slice"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), Index: Schema.optionalKey(Attr.type) }),
  inputs: ["value", "static", "static"],
  run: (ctx, [x, b, s]) => {
    const v = x as Value
    const plan = guard(ctx, [v], () => {
      const shape = shapeOf(ctx, v)
      const begin = intsOf(ctx, b as HostTensor, "begin")
      const size = intsOf(ctx, s as HostTensor, "size")
      if (begin.length !== shape.length || size.length !== shape.length) {
        throw inputError(ctx, `begin ${fmt(begin)} and size ${fmt(size)} must have ${shape.length} entries`)
      }
      const end = shape.map((d, i) => {
        const e = size[i] === -1 ? d : begin[i]! + size[i]!
        if (begin[i]! < 0 || size[i]! < -1 || e > d) {
          throw inputError(ctx, `slice begin ${fmt(begin)}, size ${fmt(size)} is out of bounds for ${fmt(shape)}`)
        }
        return e
      })
      return stridedSlicePlan(shape, begin, end, shape.map(() => 1))
    })
    return applyPlan(ctx, v, plan)
  }
})

export const stridedSlice = defineOp({
  ops: ["StridedSlice"],
  attrs: Schema.Struct({
    T: Schema.optionalKey(Attr.type),
    Index: Schema.optionalKey(Attr.type),
    begin_mask: Attr.int,
    end_mask: Attr.int,
    ellipsis_mask: Attr.int,
    new_axis_mask: Attr.int,
    shrink_axis_mask: Attr.int
  }),
  inputs: ["value", "static", "static", "static"],
  run: (ctx, [x, b, e, s], a) => {
    const v = x as Value
    const plan = guard(ctx, [v], () =>
      stridedSlicePlan(
        shapeOf(ctx, v),
        intsOf(ctx, b as HostTensor, "begin"),
        intsOf(ctx, e as HostTensor, "end"),
        intsOf(ctx, s as HostTensor, "strides"),
        {
          beginMask: a.begin_mask,
          endMask: a.end_mask,
          ellipsisMask: a.ellipsis_mask,
          newAxisMask: a.new_axis_mask,
          shrinkAxisMask: a.shrink_axis_mask
        }
      )
    )
    return applyPlan(ctx, v, plan)
  }
})

export const sliceOps = [slice, stridedSlice]
