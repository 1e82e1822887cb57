/**
 * Shape, ShapeN, Size, Rank: read only the input's dtype/shape ("meta" inputs) and return
 * static values, which is what keeps Shape → StridedSlice → Pack → Reshape chains concrete
 * under jit (jax-js shapes are always known when tracing).
 */
import type { DType, HostTensor, InputMeta, OpContext } from "@tf2jax/core"
import { Attr, defineOp, hostFromValues, staticValue } from "@tf2jax/core"
import { Schema } from "effect"
import { attrError, type Ctx, product } from "./common.js"

const INT32_MAX = 2 ** 31 - 1

const checkOutType = (outType: DType, ctx: Ctx): void => {
  if (outType !== "int32" && outType !== "int64") throw attrError(ctx, "out_type", `${outType} is not int32 or int64`)
}

/** A vector (or scalar) of sizes in `out_type`; int32 sizes must fit (TF checks too). */
const sizes = (ctx: OpContext, values: ReadonlyArray<number>, shape: ReadonlyArray<number>, outType: DType): HostTensor => {
  if (outType === "int32" && values.some((v) => v > INT32_MAX)) {
    throw attrError(ctx, "out_type", `a size exceeds int32 (${values.join(", ")}); use int64`)
  }
  return hostFromValues(outType, shape, values)
}

const outTypeAttrs = Schema.Struct({ T: Schema.optionalKey(Attr.type), out_type: Attr.type })

export const shape = defineOp({
  ops: ["Shape"],
  attrs: outTypeAttrs,
  inputs: "meta",
  check: (a, ctx) => checkOutType(a.out_type, ctx),
  run: (ctx, [m], a) => {
    const s = (m as InputMeta).shape
    return staticValue(sizes(ctx, s, [s.length], a.out_type))
  }
})

export const shapeN = defineOp({
  ops: ["ShapeN"],
  attrs: Schema.Struct({ N: Schema.optionalKey(Attr.int), T: Schema.optionalKey(Attr.type), out_type: Attr.type }),
  inputs: "meta",
  check: (a, ctx) => checkOutType(a.out_type, ctx),
  run: (ctx, metas, a) =>
    metas.map((m) => {
      const s = (m as InputMeta).shape
      return staticValue(sizes(ctx, s, [s.length], a.out_type))
    })
})

export const size = defineOp({
  ops: ["Size"],
  attrs: outTypeAttrs,
  inputs: "meta",
  check: (a, ctx) => checkOutType(a.out_type, ctx),
  run: (ctx, [m], a) => staticValue(sizes(ctx, [product((m as InputMeta).shape)], [], a.out_type))
})

export const rank = defineOp({
  ops: ["Rank"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type) }),
  inputs: "meta",
  run: (_ctx, [m]) => staticValue(hostFromValues("int32", [], [(m as InputMeta).shape.length]))
})

export const shapeOps = [shape, shapeN, size, rank]
