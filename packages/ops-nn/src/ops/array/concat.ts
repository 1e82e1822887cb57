/**
 * ConcatV2 / Concat, Pack, Unpack. All-static inputs are joined on the host (shape vectors
 * built by `tf.concat([tf.shape(x), [1]], 0)` or `tf.stack` stay static).
 */
import { numpy as np } from "@jax-js/jax"
import type { DType, HostTensor, Input, OpContext, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostConcat, hostReshape, staticValue } from "@tf2jax/core"
import { Schema } from "effect"
import { axisOf, device, dtypeOf, fmt, guard, hostable, hostTensors, inputError, intOf, shapeOf } from "./common.js"
import { hostSliceAxis } from "./hostIndex.js"

/** Concatenates values (consumed) along `axis` (may be negative). */
const concatValues = (ctx: OpContext, values: ReadonlyArray<Value>, axisIn: number): Value => {
  const { axis, dtype, shape } = guard(ctx, values, () => {
    if (values.length === 0) throw inputError(ctx, "nothing to concatenate")
    const shapes = values.map((v) => shapeOf(ctx, v))
    const first = shapes[0]!
    if (first.length === 0) throw inputError(ctx, "cannot concatenate scalars")
    const axis = axisOf(ctx, axisIn, first.length)
    for (const s of shapes) {
      if (s.length !== first.length || s.some((d, i) => i !== axis && d !== first[i])) {
        throw inputError(ctx, `shapes ${shapes.map(fmt).join(", ")} do not match outside axis ${axisIn}`)
      }
    }
    const shape = [...first]
    shape[axis] = shapes.reduce((n, s) => n + s[axis]!, 0)
    return { axis, dtype: dtypeOf(ctx, values[0]!), shape }
  })
  const host = hostTensors(values, dtype, shape)
  if (host) return staticValue(hostConcat(host, axis))
  return arrayValue(np.concatenate(values.map((v) => device(ctx, v)), axis), dtype)
}

const concatAttrs = Schema.Struct({ N: Schema.optionalKey(Attr.int), T: Schema.optionalKey(Attr.type), Tidx: Schema.optionalKey(Attr.type) })

/** ConcatV2(values…, axis): the axis comes last. */
export const concatV2 = defineOp({
  ops: ["ConcatV2"],
  attrs: concatAttrs,
  inputs: (i, n) => (i === n - 1 ? "static" : "value"),
  run: (ctx, inputs) => {
    const values = inputs.slice(0, -1) as ReadonlyArray<Value>
    const axis = guard(ctx, values, () => intOf(ctx, inputs[inputs.length - 1] as HostTensor, "axis"))
    return concatValues(ctx, values, axis)
  }
})

/** Concat(concat_dim, values…): the TF1 order. */
export const concatV1 = defineOp({
  ops: ["Concat"],
  attrs: Schema.Struct({ N: Schema.optionalKey(Attr.int), T: Schema.optionalKey(Attr.type) }),
  inputs: (i) => (i === 0 ? "static" : "value"),
  run: (ctx, inputs) => {
    const values = inputs.slice(1) as ReadonlyArray<Value>
    const axis = guard(ctx, values, () => intOf(ctx, inputs[0] as HostTensor, "concat_dim"))
    return concatValues(ctx, values, axis)
  }
})

/** Pack (tf.stack): equal shapes, a new axis in [−rank−1, rank]. */
export const pack = defineOp({
  ops: ["Pack"],
  attrs: Schema.Struct({ N: Schema.optionalKey(Attr.int), T: Schema.optionalKey(Attr.type), axis: Attr.int }),
  inputs: "value",
  run: (ctx, inputs, a) => {
    const values = inputs as ReadonlyArray<Value>
    const { axis, expanded } = guard(ctx, values, () => {
      if (values.length === 0) throw inputError(ctx, "nothing to pack")
      const shapes = values.map((v) => shapeOf(ctx, v))
      const first = shapes[0]!
      if (shapes.some((s) => fmt(s) !== fmt(first))) throw inputError(ctx, `shapes ${shapes.map(fmt).join(", ")} differ`)
      const axis = axisOf(ctx, a.axis, first.length + 1)
      return { axis, expanded: [...first.slice(0, axis), 1, ...first.slice(axis)] }
    })
    const dtype: DType = dtypeOf(ctx, values[0]!)
    const shape = [...expanded]
    shape[axis] = values.length
    const host = hostTensors(values, dtype, shape)
    if (host) return staticValue(hostConcat(host.map((t) => hostReshape(t, expanded)), axis))
    return arrayValue(np.concatenate(values.map((v) => device(ctx, v).reshape(expanded)), axis), dtype)
  }
})

/** Unpack (tf.unstack): `num` outputs along `axis`. */
export const unpack = defineOp({
  ops: ["Unpack"],
  attrs: Schema.Struct({ num: Attr.int, T: Schema.optionalKey(Attr.type), axis: Attr.int }),
  inputs: "value",
  run: (ctx, [x]: ReadonlyArray<Input>, a) => {
    const v = x as Value
    const { axis, shape } = guard(ctx, [v], () => {
      const shape = shapeOf(ctx, v)
      const axis = axisOf(ctx, a.axis, shape.length)
      if (shape[axis] !== a.num) throw inputError(ctx, `dimension ${a.axis} of ${fmt(shape)} is not num = ${a.num}`)
      return { axis, shape }
    })
    const dtype = dtypeOf(ctx, v)
    const rest = shape.filter((_, i) => i !== axis)
    if (hostable(v, dtype, rest)) {
      return Array.from({ length: a.num }, (_, i) => staticValue(hostReshape(hostSliceAxis(v.tensor, axis, i, i + 1), rest)))
    }
    const arr = device(ctx, v)
    const outs = Array.from({ length: a.num }, (_, i) =>
      arrayValue(arr.ref.slice(...shape.map((_, d) => (d === axis ? i : ([] as [])))), dtype)
    )
    arr.dispose()
    return outs
  }
})

export const concatOps = [concatV2, concatV1, pack, unpack]
