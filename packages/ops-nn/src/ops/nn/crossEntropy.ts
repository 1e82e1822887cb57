/**
 * Softmax cross-entropy losses (the training-graph ops Keras/Estimator models contain):
 * SparseSoftmaxCrossEntropyWithLogits (integer labels) and SoftmaxCrossEntropyWithLogits
 * (label distributions, broadcast against the logits). Both return the per-row loss and TF's
 * `backprop` output, softmax(features) − labels.
 */
import { nn, numpy as np } from "@jax-js/jax"
import { arrayValue, Attr, defineOp } from "@tf2jax/core"
import { Schema } from "effect"
import { type Arr, atNode } from "./common.js"
import { inputError, planOrDispose } from "../../lowering/common.js"

const sparse = defineOp({
  ops: ["SparseSoftmaxCrossEntropyWithLogits"],
  attrs: Schema.Struct({ T: Attr.type, Tlabels: Schema.optionalKey(Attr.type) }),
  inputs: ["array", "array"],
  run: (ctx, [f, l], a) =>
    atNode(ctx, () => {
      const features = f as Arr
      const labels = l as Arr
      const [b, c] = planOrDispose([features, labels], () => {
        if (features.ndim !== 2 || labels.ndim !== 1 || labels.shape[0] !== features.shape[0]) {
          throw inputError("SparseSoftmaxCrossEntropyWithLogits", `features must be [batch, classes] and labels [batch], got [${features.shape}] and [${labels.shape}]`)
        }
        return features.shape as [number, number]
      })
      const oneHot = np.equal(labels.reshape([b, 1]), np.arange(c).reshape([1, c])).astype(features.dtype)
      const logp = nn.logSoftmax(features, -1)
      const loss = np.sum(oneHot.ref.mul(logp.ref), -1).mul(-1)
      return [arrayValue(loss, a.T), arrayValue(np.exp(logp).sub(oneHot), a.T)]
    })
})

const dense = defineOp({
  ops: ["SoftmaxCrossEntropyWithLogits"],
  attrs: Schema.Struct({ T: Attr.type }),
  inputs: ["array", "array"],
  run: (ctx, [f, l], a) =>
    atNode(ctx, () => {
      const features = f as Arr
      const labels = l as Arr
      planOrDispose([features, labels], () => {
        if (features.ndim !== 2 || labels.ndim !== 2) {
          throw inputError("SoftmaxCrossEntropyWithLogits", `features and labels must be 2-D, got [${features.shape}] and [${labels.shape}]`)
        }
      })
      const logp = nn.logSoftmax(features, -1)
      const loss = np.sum(labels.ref.mul(logp.ref), -1).mul(-1)
      return [arrayValue(loss, a.T), arrayValue(np.exp(logp).sub(labels), a.T)]
    })
})

export const crossEntropyOps = [sparse, dense]
