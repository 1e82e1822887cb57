/**
 * Where with one input (argwhere): the coordinates of the non-zero elements, int64
 * `[count, rank]`. The output shape depends on the input's values, so the input must be
 * static (a traced input is a StaticValueRequiredError naming the node); Where with three
 * inputs is Select (math ops).
 */
import type { Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostFromValues, hostToArray, hostValues, staticValue, stridesOf } from "@tf2jax/core"
import { Schema } from "effect"
import { guard, inputError, keepStatic, release } from "./common.js"

export const where = defineOp({
  ops: ["Where"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type) }),
  inputs: ["value"],
  run: (ctx, [x]) => {
    const v = x as Value
    if (v.kind !== "static") {
      release([v])
      return ctx.requireStatic(0, "Where (argwhere) has a data-dependent output shape, so its input must be known when converting")
    }
    const t = v.tensor
    const rank = t.shape.length
    guard(ctx, [], () => {
      if (rank === 0) throw inputError(ctx, "Where needs an input of rank ≥ 1")
    })
    const strides = stridesOf(t.shape)
    const coords: Array<number> = []
    hostValues(t).forEach((e, i) => {
      // NaN is non-zero, as in TF.
      if (e !== 0) for (let d = 0; d < rank; d++) coords.push(Math.floor(i / strides[d]!) % t.shape[d]!)
    })
    const shape = [coords.length / rank, rank]
    const out = hostFromValues("int64", shape, coords)
    return keepStatic("int64", shape) ? staticValue(out) : arrayValue(hostToArray(out, ctx.where), "int64")
  }
})

export const whereOps = [where]
