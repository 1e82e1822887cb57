/**
 * The epilogues of TF's fused ops (`_FusedConv2D`, `_FusedMatMul`, `_FusedDepthwiseConv2dNative`,
 * TF.js's `FusedDepthwiseConv2dNative`): `fused_ops` = a base (BiasAdd, or FusedBatchNorm with
 * scale/offset/mean/variance args), optionally oneDNN's residual `Add` (one more arg), then
 * optionally an activation (Prelu takes one more arg: TF.js's alpha).
 *
 * Activations follow TF's kernels, including which side of a kink gets the gradient (ReluGrad
 * passes it where x > 0, Relu6Grad where 0 < x < 6, LeakyReluGrad uses α where x ≤ 0).
 */
import { lax, nn, numpy as np } from "@jax-js/jax"
import type { HostTensor, Input, NodeDef, OpContext, Value } from "@tf2jax/core"
import { hostToArray, hostValues, toArray } from "@tf2jax/core"
import { type Arr, badAttr, staticOf } from "./common.js"
import { vectorLike, weightPrep } from "./prepare.js"

export const ACTIVATIONS = ["Relu", "Relu6", "Elu", "LeakyRelu", "Sigmoid", "Tanh", "Prelu", "GeluExact", "GeluApproximate"] as const
export type Activation = (typeof ACTIVATIONS)[number]

export interface FusedSpec {
  readonly base: "BiasAdd" | "FusedBatchNorm"
  /** oneDNN's `BiasAdd, Add`: an addend (output-shaped) follows the bias. */
  readonly add: boolean
  readonly activation: Activation | undefined
  /** Number of args after the two main inputs. */
  readonly args: number
}

/**
 * `parseFusedOps` memoised per decoded attrs object (the engine decodes a node's attrs once),
 * so `check` and every `run` share one validated spec.
 */
export const fusedSpecs = (allow: { readonly batchNorm: boolean; readonly activations: ReadonlyArray<Activation> }) => {
  const specs = new WeakMap<object, FusedSpec>()
  return (a: { readonly fused_ops: ReadonlyArray<string>; readonly num_args?: number }, node: NodeDef): FusedSpec => {
    let s = specs.get(a)
    if (s === undefined) {
      s = parseFusedOps(node, a.fused_ops, a.num_args, allow)
      specs.set(a, s)
    }
    return s
  }
}

/** Validates `fused_ops` / `num_args` (at conversion time). */
export const parseFusedOps = (
  node: NodeDef,
  fusedOps: ReadonlyArray<string>,
  numArgs: number | undefined,
  allow: { readonly batchNorm: boolean; readonly activations: ReadonlyArray<Activation> }
): FusedSpec => {
  const [base, ...rest] = fusedOps
  if (base !== "BiasAdd" && !(base === "FusedBatchNorm" && allow.batchNorm)) {
    throw badAttr(node, "fused_ops", `[${fusedOps.join(",")}] is not supported: it must start with BiasAdd${allow.batchNorm ? " or FusedBatchNorm" : ""}`)
  }
  const add = base === "BiasAdd" && rest[0] === "Add"
  if (add) rest.shift()
  const activation = rest.shift()
  if (rest.length > 0 || (activation !== undefined && !allow.activations.includes(activation as Activation))) {
    throw badAttr(node, "fused_ops", `[${fusedOps.join(",")}] is not supported (activations: ${allow.activations.join(", ")})`)
  }
  const args = (base === "BiasAdd" ? 1 : 4) + (add ? 1 : 0) + (activation === "Prelu" ? 1 : 0)
  if (numArgs !== undefined && numArgs !== args) {
    throw badAttr(node, "num_args", `${numArgs} does not match fused_ops [${fusedOps.join(",")}] (${args} args)`)
  }
  return { base, add, activation: activation as Activation | undefined, args }
}

/** How the base of the epilogue is applied. */
export type FusedBase =
  | { readonly kind: "bias"; readonly bias: Input }
  /** Batch norm with static statistics, reduced on the host to y·factor + shift. */
  | { readonly kind: "affine"; readonly factor: HostTensor; readonly shift: HostTensor }
  | { readonly kind: "batchNorm"; readonly scale: Input; readonly offset: Input; readonly mean: Input; readonly variance: Input }

/** Where the channel axis of the output is, and the attrs the activations need. */
export interface EpilogueOptions {
  readonly channelAxis: number
  readonly epsilon: number
  readonly leakyAlpha: number
}

/**
 * The batch-norm base from its 4 args: folded on the host (cached per statistics tensors) when
 * they are all static, else applied on the device.
 */
export const batchNormBase = (args: ReadonlyArray<Input>, epsilon: number): FusedBase => {
  const [scale, offset, mean, variance] = args
  const hs = [scale, offset, mean, variance].map(staticOf)
  if (hs.every((h) => h !== undefined)) {
    const [s, o, m, v] = hs as [HostTensor, HostTensor, HostTensor, HostTensor]
    // TF: (y − mean)·factor + offset with factor = scale·rsqrt(variance + ε), computed in float32.
    const factor = weightPrep.get([s, v], `bn-factor:${epsilon}`, () => {
      const sv = hostValues(s)
      const vv = hostValues(v)
      return vectorLike(s, Array.from(sv, (x, i) => Math.fround(x * Math.fround(1 / Math.sqrt(Math.fround(vv[i]! + epsilon))))))
    })
    const shift = weightPrep.get([s, o, m, v], `bn-shift:${epsilon}`, () => {
      const f = hostValues(factor)
      const ov = hostValues(o)
      const mv = hostValues(m)
      return vectorLike(o, Array.from(ov, (x, i) => x - mv[i]! * f[i]!))
    })
    return { kind: "affine", factor, shift }
  }
  return { kind: "batchNorm", scale: scale!, offset: offset!, mean: mean!, variance: variance! }
}

/** A per-channel vector shaped to broadcast along `axis` of a rank-`rank` array. */
const channelVector = (v: Arr, axis: number, rank: number): Arr =>
  axis === rank - 1 || v.ndim !== 1 ? v : v.reshape([v.shape[0]!, ...Array<number>(rank - 1 - axis).fill(1)])

/**
 * Applies base, addend and activation to `y` (consumed), consuming every input it is given:
 * `base`'s inputs, `addend` and `alpha` (Prelu).
 */
export const applyEpilogue = (
  ctx: OpContext,
  y: Arr,
  spec: FusedSpec,
  base: FusedBase,
  extra: { readonly addend?: Input; readonly alpha?: Input },
  o: EpilogueOptions
): Arr => {
  const rank = y.ndim
  const vec = (input: Input): Arr => channelVector(toArray(input as Value, ctx.where), o.channelAxis, rank)
  const host = (t: HostTensor): Arr => channelVector(hostToArray(t, ctx.where), o.channelAxis, rank)
  let out: Arr
  if (base.kind === "bias") out = y.add(vec(base.bias))
  else if (base.kind === "affine") out = y.mul(host(base.factor)).add(host(base.shift))
  else {
    // TF's order: (y − mean)·(scale·rsqrt(variance + ε)) + offset.
    const factor = vec(base.scale).mul(np.reciprocal(np.sqrt(vec(base.variance).add(o.epsilon))))
    out = y.sub(vec(base.mean)).mul(factor).add(vec(base.offset))
  }
  if (spec.add) out = out.add(toArray(extra.addend as Value, ctx.where))
  return spec.activation === undefined ? out : activate(spec.activation, out, o, () => vec(extra.alpha))
}

/** One of the fused activations (consumes `y`). */
export const activate = (act: Activation, y: Arr, o: { readonly leakyAlpha: number }, alpha?: () => Arr): Arr => {
  switch (act) {
    case "Relu":
      return np.where(y.ref.greater(0), y, 0)
    case "Relu6":
      return np.where(y.ref.greater(0), np.where(y.ref.less(6), y, 6), 0)
    case "Elu":
      return np.where(y.ref.less(0), np.exp(y.ref).sub(1), y)
    case "LeakyRelu":
      return np.where(y.ref.greater(0), y.ref, y.mul(o.leakyAlpha))
    case "Prelu":
      return np.where(y.ref.greater(0), y.ref, y.mul(alpha!()))
    case "Sigmoid":
      return nn.sigmoid(y)
    case "Tanh":
      return np.tanh(y)
    case "GeluExact":
      return y.ref.mul(lax.erf(y.mul(Math.SQRT1_2)).add(1)).mul(0.5)
    case "GeluApproximate": {
      const inner = y.ref.add(np.power(y.ref, 3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))
      return y.mul(np.tanh(inner).add(1)).mul(0.5)
    }
  }
}
