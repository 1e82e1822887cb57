/**
 * FusedBatchNorm / V2 / V3 with TensorFlow's semantics (checked against TF 2.21's CPU kernel):
 *
 * - inference (`is_training` false): y = (x − mean)·scale·rsqrt(variance + ε) + offset; the
 *   batch_mean/batch_variance outputs pass the given statistics through (so do the reserve
 *   spaces, as XLA does — TF's CPU kernel leaves them uninitialised).
 * - training: normalise with the batch statistics (biased variance). batch_mean is the batch
 *   mean and batch_variance the Bessel-corrected variance (n / max(n − 1, 1)), each blended
 *   into the given running value when `exponential_avg_factor` f ≠ 1:
 *   (1 − f)·running + f·batch. reserve_space_1/2 are the batch mean and biased variance. With
 *   f = 1 the running statistics are not read (Keras passes empty tensors then).
 *
 * A graph updates its moving statistics by assigning these outputs (AssignVariableOp, or
 * AssignSub of (old − new)·momentum), which the engine's variable ops do.
 */
import { numpy as np } from "@jax-js/jax"
import type { Input, OpContext, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, refValue, staticValue } from "@tf2jax/core"
import { Schema } from "effect"
import { type Arr, arrayOf, badAttr, metaOf, releaseValues } from "./common.js"

const attrs = Schema.Struct({
  T: Attr.type,
  U: Schema.optionalKey(Attr.type),
  epsilon: Schema.optionalKey(Attr.float),
  exponential_avg_factor: Schema.optionalKey(Attr.float),
  data_format: Schema.optionalKey(Attr.string),
  is_training: Schema.optionalKey(Attr.bool)
})
type Attrs = typeof attrs.Type

const FORMATS: Readonly<Record<string, { readonly rank: number; readonly channelsFirst: boolean }>> = {
  NHWC: { rank: 4, channelsFirst: false },
  NCHW: { rank: 4, channelsFirst: true },
  NDHWC: { rank: 5, channelsFirst: false },
  NCDHW: { rank: 5, channelsFirst: true }
}

/** `[C]` → shaped to broadcast along the channel axis of a rank-`rank` array. */
const perChannel = (v: Arr, rank: number, channelsFirst: boolean): Arr =>
  channelsFirst ? v.reshape([v.shape[0]!, ...Array<number>(rank - 2).fill(1)]) : v

const run = (ctx: OpContext, inputs: ReadonlyArray<Input>, a: Attrs): ReadonlyArray<Value> => {
  const [xIn, scale, offset, mean, variance] = inputs
  const x = xIn as Arr
  const df = a.data_format ?? "NHWC"
  const fmt = FORMATS[df]
  const stats = [scale, offset, mean, variance]
  if (fmt === undefined || x.ndim !== fmt.rank) {
    x.dispose()
    releaseValues(stats)
    throw badAttr(ctx.node, "data_format", fmt === undefined ? `${df} is not supported` : `${df} needs a rank-${fmt.rank} input, got rank ${x.ndim}`)
  }
  const eps = a.epsilon ?? 1e-4
  const rank = x.ndim
  const chan = (input: Input): Arr => perChannel(arrayOf(ctx, input), rank, fmt.channelsFirst)
  const U = a.U ?? a.T
  const reserve3: Array<Value> = ctx.node.op === "FusedBatchNormV3" ? [staticValue({ dtype: U, shape: [0], data: new Float32Array(0) })] : []

  if (!(a.is_training ?? true)) {
    const m = mean as Value
    const v = variance as Value
    const factor = chan(scale).mul(np.reciprocal(np.sqrt(chan(refValue(v)).add(eps))))
    const y = x.sub(chan(refValue(m))).mul(factor).add(chan(offset))
    return [arrayValue(y, a.T), m, v, refValue(m), refValue(v), ...reserve3]
  }

  const c = x.shape[fmt.channelsFirst ? 1 : rank - 1]!
  const axes = x.shape.map((_, i) => i).filter((i) => i !== (fmt.channelsFirst ? 1 : rank - 1))
  const n = x.size / Math.max(c, 1)
  const f = a.exponential_avg_factor ?? 1
  if (f !== 1 && (metaOf(mean).shape[0] !== c || metaOf(variance).shape[0] !== c)) {
    x.dispose()
    releaseValues(stats)
    throw badAttr(ctx.node, "exponential_avg_factor", `with a factor ≠ 1, mean and variance need ${c} elements (the running statistics)`)
  }
  const bm = np.mean(x.ref, axes, { keepdims: true })
  const d = x.sub(bm.ref)
  const bv = np.mean(np.square(d.ref), axes, { keepdims: true })
  const y = d.mul(chan(scale).mul(np.reciprocal(np.sqrt(bv.ref.add(eps))))).add(chan(offset))
  const batchMean = bm.reshape([c])
  const batchVar = bv.reshape([c])
  const corrected = batchVar.ref.mul(n / Math.max(n - 1, 1))
  let outMean: Arr
  let outVar: Arr
  if (f === 1) {
    releaseValues([mean, variance])
    outMean = batchMean.ref
    outVar = corrected
  } else {
    outMean = arrayOf(ctx, mean).mul(1 - f).add(batchMean.ref.mul(f))
    outVar = arrayOf(ctx, variance).mul(1 - f).add(corrected.mul(f))
  }
  return [arrayValue(y, a.T), arrayValue(outMean, U), arrayValue(outVar, U), arrayValue(batchMean, U), arrayValue(batchVar, U), ...reserve3]
}

const fusedBatchNorm = defineOp({
  ops: ["FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"],
  attrs,
  inputs: ["array", "value", "value", "value", "value"],
  check: (a, ctx) => {
    const df = a.data_format ?? "NHWC"
    if (FORMATS[df] === undefined) throw badAttr(ctx.node, "data_format", `${df} is not supported (${Object.keys(FORMATS).join(", ")})`)
  },
  run
})

export const batchNormOps = [fusedBatchNorm]
