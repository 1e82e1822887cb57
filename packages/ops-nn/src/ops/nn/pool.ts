/**
 * Pooling converters: MaxPool, MaxPoolV2 (ksize/strides as static inputs) and AvgPool, NHWC or
 * NCHW, on the vmap-safe shifted-slice lowerings (../../lowering/pool.ts).
 */
import type { HostTensor } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostValues } from "@tf2jax/core"
import { Schema } from "effect"
import { avgPool, maxPool } from "../../lowering/index.js"
import { type Arr, atNode, checkWindowAttrs } from "./common.js"

const poolFields = {
  T: Schema.optionalKey(Attr.type),
  ksize: Attr.ints,
  strides: Attr.ints,
  padding: Attr.string,
  data_format: Schema.optionalKey(Attr.string)
}

const maxPoolOp = defineOp({
  ops: ["MaxPool"],
  attrs: Schema.Struct({ ...poolFields, explicit_paddings: Schema.optionalKey(Attr.ints) }),
  inputs: ["array"],
  check: (a, ctx) => checkWindowAttrs(ctx.node, a),
  run: (ctx, [x], a) => {
    const attrs = {
      ksize: a.ksize,
      strides: a.strides,
      padding: a.padding,
      explicitPaddings: a.explicit_paddings ?? [],
      dataFormat: a.data_format ?? "NHWC"
    }
    return arrayValue(atNode(ctx, () => maxPool(x as Arr, attrs)), a.T ?? "float32")
  }
})

const maxPoolV2 = defineOp({
  ops: ["MaxPoolV2"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), padding: Attr.string, data_format: Schema.optionalKey(Attr.string) }),
  inputs: ["array", "static", "static"],
  check: (a, ctx) => checkWindowAttrs(ctx.node, { ...a, strides: [] }, ["SAME", "VALID"]),
  run: (ctx, [x, ksize, strides], a) => {
    const attrs = {
      ksize: Array.from(hostValues(ksize as HostTensor)),
      strides: Array.from(hostValues(strides as HostTensor)),
      padding: a.padding,
      dataFormat: a.data_format ?? "NHWC"
    }
    return arrayValue(atNode(ctx, () => maxPool(x as Arr, attrs)), a.T ?? "float32")
  }
})

const avgPoolOp = defineOp({
  ops: ["AvgPool"],
  attrs: Schema.Struct(poolFields),
  inputs: ["array"],
  check: (a, ctx) => checkWindowAttrs(ctx.node, a, ["SAME", "VALID"]),
  run: (ctx, [x], a) => {
    const attrs = { ksize: a.ksize, strides: a.strides, padding: a.padding, dataFormat: a.data_format ?? "NHWC" }
    return arrayValue(atNode(ctx, () => avgPool(x as Arr, attrs)), a.T ?? "float32")
  }
})

export const poolOps = [maxPoolOp, maxPoolV2, avgPoolOp]
