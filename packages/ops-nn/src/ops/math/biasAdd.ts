/**
 * BiasAdd (and BiasAddV1): adds a vector along the channel dimension — the last one for NHWC,
 * dimension 1 for NCHW at every rank ≥ 2 (checked against TF 2.21's CPU kernel; the reference's
 * "third-to-last" does not hold for rank 3 or 5). Narrow integer types wrap.
 */
import { numpy as np } from "@jax-js/jax"
import type { DType, OpContext, Value } from "@tf2jax/core"
import { arrayValue, Attr, ConversionError, defineOp, InvalidAttrError } from "@tf2jax/core"
import { Schema } from "effect"
import { toArrays } from "./elementwise.js"
import { dtypeOf, fail, isNarrowInt, isRealType, requireDtype, shapeOf, wrapInt } from "./support.js"

const biasAddRun = (ctx: OpContext, inputs: ReadonlyArray<Value>, t: DType | undefined, dataFormat: string): Value => {
  const [value, bias] = inputs as [Value, Value]
  const d = dtypeOf(value, t)
  requireDtype(inputs, d, isRealType, ctx.where)
  const vs = shapeOf(value)
  const bs = shapeOf(bias)
  const channel = dataFormat === "NCHW" ? 1 : vs.length - 1
  if (vs.length < 2 || bs.length !== 1 || bs[0] !== vs[channel]) {
    fail(inputs, new ConversionError({ where: ctx.where, what: `bias [${bs.join(",")}] does not match dimension ${channel} of value [${vs.join(",")}] (${dataFormat})` }))
  }
  const [x, b] = toArrays(inputs, ctx.where) as [np.Array, np.Array]
  const laid = dataFormat === "NCHW" ? b.reshape([bs[0]!, ...new Array<number>(vs.length - 2).fill(1)]) : b
  const y = np.add(x, laid)
  return arrayValue(isNarrowInt(d) ? wrapInt(y, d) : y, d)
}

export const biasAdd = defineOp({
  ops: ["BiasAdd"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), data_format: Schema.optionalKey(Attr.string) }),
  inputs: "value",
  check: (a, ctx) => {
    const f = a.data_format ?? "NHWC"
    if (f !== "NHWC" && f !== "NCHW") {
      throw new InvalidAttrError({ node: ctx.node.name, op: ctx.node.op, attr: "data_format", what: `${f} is not NHWC or NCHW` })
    }
  },
  run: (ctx, inputs, a) => biasAddRun(ctx, inputs as ReadonlyArray<Value>, a.T, a.data_format ?? "NHWC")
})

export const biasAddV1 = defineOp({
  ops: ["BiasAddV1"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type) }),
  inputs: "value",
  run: (ctx, inputs, a) => biasAddRun(ctx, inputs as ReadonlyArray<Value>, a.T, "NHWC")
})

/** BiasAddGrad (TF1 training graphs): the sum of the upstream gradient over every non-channel axis. */
export const biasAddGrad = defineOp({
  ops: ["BiasAddGrad"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), data_format: Schema.optionalKey(Attr.string) }),
  inputs: "array",
  check: (a, ctx) => {
    const f = a.data_format ?? "NHWC"
    if (f !== "NHWC" && f !== "NCHW") {
      throw new InvalidAttrError({ node: ctx.node.name, op: ctx.node.op, attr: "data_format", what: `${f} is not NHWC or NCHW` })
    }
  },
  run: (ctx, [dy], a) => {
    const g = dy as np.Array
    const rank = g.ndim
    if (rank < 2) throw new ConversionError({ where: ctx.where, what: `out_backprop must have rank ≥ 2, got ${rank}` })
    const channel = (a.data_format ?? "NHWC") === "NCHW" ? 1 : rank - 1
    const axes = [...Array(rank).keys()].filter((d) => d !== channel)
    return arrayValue(np.sum(g, axes), a.T ?? "float32")
  }
})

export const biasAddOps = [biasAdd, biasAddV1, biasAddGrad]
