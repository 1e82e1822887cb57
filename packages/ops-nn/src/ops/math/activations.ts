/**
 * Activations: Relu, Relu6, Elu, Selu, LeakyRelu, Sigmoid, Softplus, Softsign, TF.js's Prelu,
 * and Softmax/LogSoftmax over the last axis.
 *
 * Each is a select on TF's own condition, so the gradient at the kinks is TF's: Relu's is 0 at 0,
 * Relu6's is 1 only inside (0, 6), Elu's and Selu's take the linear side at 0, LeakyRelu's and
 * Prelu's are alpha at 0. Exponentials on the masked side get a safe argument (double `where`),
 * so the unselected branch cannot turn the gradient into NaN. NaN inputs give NaN, as in TF.
 * TF has no Gelu/Swish/Silu ops (they are composites); TF.js's fused activations live with the
 * fused ops.
 */
import { lax, nn, numpy as np } from "@jax-js/jax"
import type { JaxArray } from "@tf2jax/core"
import { Attr } from "@tf2jax/core"
import { Schema } from "effect"
import { mathOp } from "./elementwise.js"
import { preciseLog } from "./precise.js"
import { isFloatType, isRealType } from "./support.js"

/**
 * Relu: x where x > 0, else max(x, 0) without gradient — 0, or NaN for NaN with TF's zero
 * gradient (NaN > 0 is false). Four ops, as Relu is everywhere.
 */
export const relu = mathOp({
  ops: ["Relu"],
  accepts: isRealType,
  jax: ([x]) => np.where(np.greater(x!.ref, 0), x!.ref, lax.stopGradient(np.maximum(x!, 0)))
})

/** Relu6: x inside (0, 6) — the only place TF's Relu6Grad passes the gradient —, else the clip (NaN kept). */
export const relu6 = mathOp({
  ops: ["Relu6"],
  accepts: isRealType,
  jax: ([x]) => {
    const inside = np.logicalAnd(np.greater(x!.ref, 0), np.less(x!.ref, 6))
    return np.where(inside, x!.ref, lax.stopGradient(np.minimum(np.maximum(x!, 0), 6)))
  }
})

/** exp-side argument: x where x < 0, else 0 (so exp never overflows on the masked side). */
const negativePart = (x: JaxArray): JaxArray => np.where(np.less(x.ref, 0), x, 0)

export const elu = mathOp({
  ops: ["Elu"],
  accepts: isFloatType,
  jax: ([x]) => np.where(np.less(x!.ref, 0), np.expm1(negativePart(x!.ref)), x!)
})

const SELU_SCALE = 1.0507009873554804934193349852946
const SELU_SCALE_ALPHA = 1.7580993408473768599402175208123

export const selu = mathOp({
  ops: ["Selu"],
  accepts: isFloatType,
  jax: ([x]) => np.where(np.less(x!.ref, 0), np.expm1(negativePart(x!.ref)).mul(SELU_SCALE_ALPHA), x!.mul(SELU_SCALE))
})

export const leakyRelu = mathOp({
  ops: ["LeakyRelu"],
  attrs: { alpha: Schema.optionalKey(Attr.float) },
  accepts: isFloatType,
  jax: ([x], _d, _w, attrs) => {
    const alpha = (attrs["alpha"] as number | undefined) ?? 0.2
    return np.where(np.greater(x!.ref, 0), x!.ref, x!.mul(alpha))
  }
})

export const sigmoid = mathOp({ ops: ["Sigmoid"], accepts: isFloatType, costly: true, jax: ([x]) => nn.sigmoid(x!) })

/**
 * TF's Softplus: x above −log(ε) − 2, exp(x) below log(ε) + 2, log(exp(x) + 1) between
 * (ε: the dtype's machine epsilon). Its gradient is sigmoid(x) up to those cut-offs.
 */
export const softplus = mathOp({
  ops: ["Softplus"],
  accepts: isFloatType,
  jax: ([x], d) => {
    const threshold = Math.log(d === "float64" ? 2 ** -52 : d === "bfloat16" ? 2 ** -7 : d === "float16" ? 2 ** -10 : 2 ** -23) + 2
    const large = np.greater(x!.ref, -threshold)
    const small = np.less(x!.ref, threshold)
    const middle = np.where(np.logicalOr(large.ref, small.ref), 0, x!.ref)
    const mid = preciseLog(np.exp(middle).add(1))
    const low = np.exp(np.where(small.ref, x!.ref, 0))
    return np.where(large, x!, np.where(small, low, mid))
  }
})

export const softsign = mathOp({
  ops: ["Softsign"],
  accepts: isFloatType,
  jax: ([x]) => x!.ref.div(np.abs(x!).add(1))
})

/** TF.js's fused `Prelu(x, alpha)`: x where x > 0, else alpha·x (no TF op def: outputs declared). */
export const prelu = {
  ...mathOp({
    ops: ["Prelu"],
    accepts: isFloatType,
    jax: ([x, alpha]) => np.where(np.greater(x!.ref, 0), x!.ref, x!.mul(alpha!))
  }),
  outputs: [{ name: "output" }]
}

export const softmax = mathOp({ ops: ["Softmax"], accepts: isFloatType, jax: ([x]) => nn.softmax(x!, -1) })
/** x − max − log Σ exp(x − max), with the accurate log (jax-js's logSoftmax uses its own log). */
export const logSoftmax = mathOp({
  ops: ["LogSoftmax"],
  accepts: isFloatType,
  jax: ([x]) => {
    const shifted = x!.sub(lax.stopGradient(np.max(x!.ref, -1, { keepdims: true })))
    return shifted.ref.sub(preciseLog(np.sum(np.exp(shifted), -1, { keepdims: true })))
  }
})

export const activationOps = [relu, relu6, elu, selu, leakyRelu, sigmoid, softplus, softsign, prelu, softmax, logSoftmax]
