/**
 * Convolution converters: Conv2D, DepthwiseConv2dNative, Conv2DBackpropInput, and the fused
 * forms Grappler's remapper and the TF.js converter emit — `_FusedConv2D`,
 * `_FusedDepthwiseConv2dNative` (oneDNN) and TF.js's `FusedDepthwiseConv2dNative` (no leading
 * underscore, no TF op def). NHWC and NCHW; SAME, VALID and EXPLICIT padding; strides and
 * dilations (the lowerings in ../../lowering do the work).
 */
import type { HostTensor, Input, NodeDef, OpContext } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostValues, staticValue } from "@tf2jax/core"
import { Schema } from "effect"
import { type Arr, atNode, badAttr, checkWindowAttrs, convAttrFields, releaseValues, staticOf, windowAttrs } from "./common.js"
import { conv2dBackpropInputOf, conv2dOf, depthwiseOf } from "./convWeights.js"
import { ACTIVATIONS, applyEpilogue, batchNormBase, type FusedBase, fusedSpecs } from "./fused.js"

const conv2D = defineOp({
  ops: ["Conv2D"],
  attrs: Schema.Struct(convAttrFields),
  inputs: ["array", "value"],
  check: (a, ctx) => checkWindowAttrs(ctx.node, a),
  run: (ctx, [x, filter], a) => arrayValue(atNode(ctx, () => conv2dOf(ctx, x as Arr, filter, windowAttrs(a))), a.T)
})

const depthwiseConv2dNative = defineOp({
  ops: ["DepthwiseConv2dNative"],
  attrs: Schema.Struct(convAttrFields),
  inputs: ["array", "value"],
  check: (a, ctx) => checkWindowAttrs(ctx.node, a),
  run: (ctx, [x, filter], a) => arrayValue(atNode(ctx, () => depthwiseOf(ctx, x as Arr, filter, windowAttrs(a))), a.T)
})

const conv2DBackpropInput = defineOp({
  ops: ["Conv2DBackpropInput"],
  attrs: Schema.Struct(convAttrFields),
  inputs: ["static", "value", "array"],
  check: (a, ctx) => checkWindowAttrs(ctx.node, a),
  run: (ctx, [sizes, filter, dy], a) => {
    const inputSizes = Array.from(hostValues(sizes as HostTensor))
    return arrayValue(atNode(ctx, () => conv2dBackpropInputOf(ctx, inputSizes, filter, dy as Arr, windowAttrs(a))), a.T)
  }
})

/** The attrs of the fused convolutions (a superset: TF's `_FusedConv2D`, oneDNN's and TF.js's depthwise). */
const fusedConvAttrs = Schema.Struct({
  ...convAttrFields,
  fused_ops: Attr.strings,
  num_args: Schema.optionalKey(Attr.int),
  epsilon: Schema.optionalKey(Attr.float),
  leakyrelu_alpha: Schema.optionalKey(Attr.float),
  TArgs: Schema.optionalKey(Attr.types),
  num_host_args: Schema.optionalKey(Attr.int),
  filter_format: Schema.optionalKey(Attr.string)
})
type FusedConvAttrs = typeof fusedConvAttrs.Type

/** The validated fused-op spec of a node (parsed once per decoded attrs). */
const specOf = fusedSpecs({ batchNorm: true, activations: ACTIVATIONS })

const checkFused = (a: FusedConvAttrs, node: NodeDef): void => {
  checkWindowAttrs(node, a)
  if ((a.filter_format ?? "HWIO") !== "HWIO") throw badAttr(node, "filter_format", `${a.filter_format} is not supported (HWIO only)`)
  if ((a.num_host_args ?? 0) !== 0) throw badAttr(node, "num_host_args", "host args are not supported")
  specOf(a, node)
}

type ConvOf = (ctx: OpContext, x: Arr, filter: Input, attrs: ReturnType<typeof windowAttrs>, factor?: HostTensor) => Arr

/**
 * conv → base (bias, or batch norm: folded into a static filter) → addend → activation.
 * Consumes every input.
 */
const runFused = (convOf: ConvOf) => (ctx: OpContext, inputs: ReadonlyArray<Input>, a: FusedConvAttrs) => {
  const [x, filter, ...args] = inputs
  const spec = specOf(a, ctx.node)
  if (args.length !== spec.args) {
    releaseValues([filter, ...args])
    ;(x as Arr).dispose()
    throw badAttr(ctx.node, "num_args", `the node has ${args.length} args, fused_ops [${a.fused_ops.join(",")}] take ${spec.args}`)
  }
  const nBase = spec.base === "BiasAdd" ? 1 : 4
  const addend = spec.add ? args[nBase] : undefined
  const alpha = spec.activation === "Prelu" ? args[args.length - 1] : undefined
  const w = windowAttrs(a)
  let base: FusedBase = spec.base === "BiasAdd" ? { kind: "bias", bias: args[0] } : batchNormBase(args.slice(0, 4), a.epsilon ?? 1e-4)
  // Static filter and statistics: conv(x, w·factor) + shift, the scaled filter prepared once.
  const folded = base.kind === "affine" && staticOf(filter) !== undefined ? base : undefined
  let y: Arr
  try {
    y = atNode(ctx, () => convOf(ctx, x as Arr, filter, w, folded?.factor))
  } catch (e) {
    releaseValues(args)
    throw e
  }
  if (folded !== undefined) base = { kind: "bias", bias: staticValue(folded.shift) }
  const epilogue = { channelAxis: (a.data_format ?? "NHWC") === "NCHW" ? 1 : 3, epsilon: a.epsilon ?? 1e-4, leakyAlpha: a.leakyrelu_alpha ?? 0.2 }
  const extra = { ...(addend === undefined ? {} : { addend }), ...(alpha === undefined ? {} : { alpha }) }
  return arrayValue(applyEpilogue(ctx, y, spec, base, extra, epilogue), a.T)
}

const fusedConv2D = defineOp({
  ops: ["_FusedConv2D"],
  attrs: fusedConvAttrs,
  inputs: (i) => (i === 0 ? "array" : "value"),
  check: (a, ctx) => checkFused(a, ctx.node),
  run: runFused(conv2dOf)
})

/** TF.js's `FusedDepthwiseConv2dNative` has no TF op def (so no attr defaults and no declared outputs). */
const fusedDepthwiseConv2dNative = defineOp({
  ops: ["FusedDepthwiseConv2dNative", "_FusedDepthwiseConv2dNative"],
  attrs: fusedConvAttrs,
  inputs: (i) => (i === 0 ? "array" : "value"),
  outputs: [{ name: "output" }],
  check: (a, ctx) => checkFused(a, ctx.node),
  run: runFused(depthwiseOf)
})

export const convOps = [conv2D, depthwiseConv2dNative, conv2DBackpropInput, fusedConv2D, fusedDepthwiseConv2dNative]
