/**
 * Unary math: Abs, Neg, Sign, Square, Sqrt, Rsqrt, Reciprocal/Inv, exponentials and logarithms,
 * trigonometric and hyperbolic functions and their inverses, Erf/Erfc, Floor/Ceil/Round/Rint,
 * and the float class tests IsNan/IsInf/IsFinite.
 *
 * Only exactly rounded ops fold on the host (the rounding family, Abs/Neg/Sign/Square, Sqrt,
 * Reciprocal): shape arithmetic such as `Cast(Round(size · scale))` stays static, while
 * transcendental functions always run in jax-js (one implementation, one rounding); Log and
 * Log1p get an accuracy repair (precise.ts). Asinh/Acosh/Atanh/Sinh keep jax-js's float32
 * accuracy (≈ 1e-5 of the output scale).
 * `Abs`'s gradient is TF's sign(x) (0 at 0; jax-js gives 1). `Round` is half-to-even; on integers
 * it is the identity (TF 2.21's CPU kernel returns zeros there, a bug we do not copy).
 */
import { lax, numpy as np } from "@jax-js/jax"
import type { DType, JaxArray } from "@tf2jax/core"
import type { MathOpSpec } from "./elementwise.js"
import { mathOp } from "./elementwise.js"
import { preciseLog, preciseLog1p } from "./precise.js"
import { intBits, isFloatType, isIntType, isRealType, isSignedIntType, roundHalfEven } from "./support.js"

const floatOrSigned = (d: DType): boolean => isFloatType(d) || isSignedIntType(d)

type Unary = (x: JaxArray, d: DType) => JaxArray
type HostUnary = (a: number) => number

/** A unary op; `host` given → folded on the host. */
const unary = (
  ops: ReadonlyArray<string>,
  accepts: (d: DType) => boolean,
  jax: Unary,
  host?: (d: DType) => HostUnary | undefined,
  extra: Partial<MathOpSpec> = {}
) =>
  mathOp({
    ops,
    accepts,
    jax: ([x], d) => jax(x!, d),
    ...(host ? { host: (d: DType) => host(d) as ((...xs: Array<number>) => number) | undefined } : {}),
    ...extra
  })

export const abs = unary(
  ["Abs"],
  floatOrSigned,
  (x, d) => (isFloatType(d) ? x.ref.mul(lax.stopGradient(np.sign(x))) : np.abs(x)),
  () => Math.abs
)

export const neg = unary(["Neg"], floatOrSigned, (x) => np.negative(x), () => (a) => -a)

export const sign = unary(
  ["Sign"],
  floatOrSigned,
  (x, d) => {
    if (isFloatType(d)) return np.sign(x)
    const pos = np.where(np.greater(x.ref, 0), 1, 0)
    return pos.sub(np.where(np.less(x, 0), 1, 0)).astype(np.int32)
  },
  () => Math.sign
)

export const square = unary(
  ["Square"],
  isRealType,
  (x) => x.ref.mul(x),
  (d) => (isIntType(d) && intBits(d) <= 32 ? (a) => Math.imul(a, a) : (a) => a * a)
)

export const sqrt = unary(["Sqrt"], isFloatType, (x) => np.sqrt(x), () => Math.sqrt)
export const rsqrt = unary(["Rsqrt"], isFloatType, (x) => np.reciprocal(np.sqrt(x)))
export const reciprocal = unary(["Reciprocal", "Inv"], isFloatType, (x) => np.reciprocal(x), () => (a) => 1 / a)

/** Transcendental ops: the jax-js function, float types only, never folded. */
const transcendental: ReadonlyArray<[string, (x: JaxArray) => JaxArray]> = [
  ["Exp", (x) => np.exp(x)],
  ["Expm1", (x) => np.expm1(x)],
  ["Log", (x) => preciseLog(x)],
  ["Log1p", (x) => preciseLog1p(x)],
  ["Sin", (x) => np.sin(x)],
  ["Cos", (x) => np.cos(x)],
  ["Tan", (x) => np.tan(x)],
  ["Asin", (x) => np.asin(x)],
  ["Acos", (x) => np.acos(x)],
  ["Atan", (x) => np.atan(x)],
  ["Sinh", (x) => np.sinh(x)],
  ["Cosh", (x) => np.cosh(x)],
  ["Tanh", (x) => np.tanh(x)],
  ["Asinh", (x) => np.asinh(x)],
  ["Acosh", (x) => np.acosh(x)],
  ["Atanh", (x) => np.atanh(x)],
  ["Erf", (x) => lax.erf(x)],
  ["Erfc", (x) => lax.erfc(x)]
]

export const transcendentalOps = transcendental.map(([op, f]) => unary([op], isFloatType, (x) => f(x), undefined, { costly: true }))

export const floor = unary(["Floor"], isFloatType, (x) => np.floor(x), () => Math.floor)
export const ceil = unary(["Ceil"], isFloatType, (x) => np.ceil(x), () => Math.ceil)
export const round = unary(
  ["Round"],
  isRealType,
  (x, d) => (isFloatType(d) ? np.round(x) : x),
  () => roundHalfEven
)
export const rint = unary(["Rint"], isFloatType, (x) => np.rint(x), () => roundHalfEven)

const toBool = (): DType => "bool"

export const isNan = unary(["IsNan"], isFloatType, (x) => np.isnan(x), () => (a) => (Number.isNaN(a) ? 1 : 0), { outDtype: toBool })
export const isInf = unary(
  ["IsInf"],
  isFloatType,
  (x) => np.isinf(x),
  () => (a) => (Math.abs(a) === Infinity ? 1 : 0),
  { outDtype: toBool }
)
export const isFinite = unary(["IsFinite"], isFloatType, (x) => np.isfinite(x), () => (a) => (Number.isFinite(a) ? 1 : 0), {
  outDtype: toBool
})

export const unaryOps = [abs, neg, sign, square, sqrt, rsqrt, reciprocal, ...transcendentalOps, floor, ceil, round, rint, isNan, isInf, isFinite]
