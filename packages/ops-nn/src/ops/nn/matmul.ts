/**
 * Matrix products: MatMul, `_FusedMatMul` (BiasAdd + activation, as Grappler's remapper and the
 * TF.js converter emit it), BatchMatMul/V2/V3 (adjoints, NumPy batch broadcasting). A static,
 * transposed right operand (a Dense layer's kernel in a frozen graph) is transposed once on the
 * host instead of on every call.
 */
import { numpy as np } from "@jax-js/jax"
import type { Input, OpContext } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostToArray, jaxDtypeOf } from "@tf2jax/core"
import { Schema } from "effect"
import { batchMatMul, matMul } from "../../lowering/index.js"
import { type Arr, arrayOf, atNode, badAttr, releaseValues, staticOf } from "./common.js"
import { ACTIVATIONS, applyEpilogue, fusedSpecs } from "./fused.js"
import { transposed, weightPrep } from "./prepare.js"

const matMulFields = {
  T: Attr.type,
  transpose_a: Schema.optionalKey(Attr.bool),
  transpose_b: Schema.optionalKey(Attr.bool),
  grad_a: Schema.optionalKey(Attr.bool),
  grad_b: Schema.optionalKey(Attr.bool)
}

/** a @ b with TF's transposes; `b` (static or traced) and `a` consumed. */
const matMulOf = (ctx: OpContext, a: Arr, b: Input, transposeA: boolean, transposeB: boolean): Arr => {
  const bh = staticOf(b)
  if (bh !== undefined && transposeB && bh.shape.length === 2) {
    const bt = weightPrep.get([bh], "transpose2d", () => transposed(bh, [1, 0]))
    return matMul(a, hostToArray(bt, ctx.where), { transposeA })
  }
  return matMul(a, arrayOf(ctx, b), { transposeA, transposeB })
}

const matMulOp = defineOp({
  ops: ["MatMul"],
  attrs: Schema.Struct(matMulFields),
  inputs: ["array", "value"],
  run: (ctx, [a, b], t) =>
    arrayValue(atNode(ctx, () => matMulOf(ctx, a as Arr, b, t.transpose_a ?? false, t.transpose_b ?? false)), t.T)
})

const fusedAttrs = Schema.Struct({
  ...matMulFields,
  fused_ops: Attr.strings,
  num_args: Schema.optionalKey(Attr.int),
  epsilon: Schema.optionalKey(Attr.float),
  leakyrelu_alpha: Schema.optionalKey(Attr.float)
})

// TF's CPU kernel has no FusedBatchNorm form for matmuls.
const specOf = fusedSpecs({ batchNorm: false, activations: ACTIVATIONS })

const fusedMatMul = defineOp({
  ops: ["_FusedMatMul"],
  attrs: fusedAttrs,
  inputs: (i) => (i === 0 ? "array" : "value"),
  check: (a, ctx) => void specOf(a, ctx.node),
  run: (ctx, [a, b, ...args], t) => {
    const spec = specOf(t, ctx.node)
    if (args.length !== spec.args) {
      releaseValues([b, ...args])
      ;(a as Arr).dispose()
      throw badAttr(ctx.node, "num_args", `the node has ${args.length} args, fused_ops [${t.fused_ops.join(",")}] take ${spec.args}`)
    }
    let y: Arr
    try {
      y = atNode(ctx, () => matMulOf(ctx, a as Arr, b, t.transpose_a ?? false, t.transpose_b ?? false))
    } catch (e) {
      releaseValues(args)
      throw e
    }
    const extra = {
      ...(spec.add ? { addend: args[1] } : {}),
      ...(spec.activation === "Prelu" ? { alpha: args[args.length - 1] } : {})
    }
    const opts = { channelAxis: 1, epsilon: t.epsilon ?? 1e-4, leakyAlpha: t.leakyrelu_alpha ?? 0.2 }
    return arrayValue(applyEpilogue(ctx, y, spec, { kind: "bias", bias: args[0] }, extra, opts), t.T)
  }
})

const batchMatMulOp = defineOp({
  ops: ["BatchMatMul", "BatchMatMulV2"],
  attrs: Schema.Struct({
    T: Attr.type,
    adj_x: Schema.optionalKey(Attr.bool),
    adj_y: Schema.optionalKey(Attr.bool),
    grad_x: Schema.optionalKey(Attr.bool),
    grad_y: Schema.optionalKey(Attr.bool)
  }),
  inputs: ["array", "array"],
  run: (ctx, [x, y], a) =>
    arrayValue(atNode(ctx, () => batchMatMul(x as Arr, y as Arr, { adjX: a.adj_x ?? false, adjY: a.adj_y ?? false })), a.T)
})

/** V3 multiplies in the output dtype `Tout` (e.g. int8 × int8 → int32). */
const batchMatMulV3 = defineOp({
  ops: ["BatchMatMulV3"],
  attrs: Schema.Struct({
    Ta: Attr.type,
    Tb: Attr.type,
    Tout: Attr.type,
    adj_x: Schema.optionalKey(Attr.bool),
    adj_y: Schema.optionalKey(Attr.bool),
    grad_x: Schema.optionalKey(Attr.bool),
    grad_y: Schema.optionalKey(Attr.bool)
  }),
  inputs: ["array", "array"],
  run: (ctx, [x, y], a) => {
    const jd = jaxDtypeOf(a.Tout, ctx.where) as np.DType
    const cast = (v: Arr): Arr => (v.dtype === jd ? v : v.astype(jd))
    return arrayValue(
      atNode(ctx, () => batchMatMul(cast(x as Arr), cast(y as Arr), { adjX: a.adj_x ?? false, adjY: a.adj_y ?? false })),
      a.Tout
    )
  }
})

export const matmulOps = [matMulOp, fusedMatMul, batchMatMulOp, batchMatMulV3]
