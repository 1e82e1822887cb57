/**
 * `Cast` with TensorFlow's CPU semantics (checked against TF 2.21):
 * - float → int truncates toward zero; NaN, ±∞ and values outside int32 give INT_MIN (x86's
 *   conversion result), and the narrow types (uint8, int8, uint16, int16) keep the low bits of
 *   that int32 (−1.5 → uint8 255, 300.7 → 44, NaN → 0). float32 → uint32 converts through int32
 *   below 2^31 (wrapping negatives), exactly up to 2^32, and gives 2^31 beyond; float64 →
 *   uint32 wraps the truncated value modulo 2^32 (out-of-range and NaN → 0);
 * - int → narrower int wraps; anything → bool is `x ≠ 0` (NaN → true);
 * - → float16 / bfloat16 rounds to nearest even in the narrow format (overflow → ±∞, float16
 *   subnormals included); `Truncate = true` first clears the dropped mantissa bits, as TF does.
 *   jax-js holds both types in float32 (DESIGN §8), so the rounding is done with bit operations,
 *   and float → float casts pass the gradient straight through (TF's Cast gradient);
 * - int64 is computed in int32 (DESIGN §8): a float → int64 cast outside the int32 range gives
 *   INT_MIN on the device (static values keep TF's int64 result).
 * Static inputs are cast on the host with the same rules (shape arithmetic stays static).
 */
import { lax, numpy as np } from "@jax-js/jax"
import type { DType, HostTensor, JaxArray, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostFromValues, hostValues, staticValue, toArray, UnsupportedDtypeError } from "@tf2jax/core"
import { Schema } from "effect"
import { dtypeOf, fail, isFloatType, isIntType, jaxType, roundHalfEven, smallEnough, wrapInt } from "./support.js"

const INT32_MIN = -(2 ** 31)
const TWO32 = 2 ** 32

const isCastable = (d: DType): boolean => isFloatType(d) || isIntType(d) || d === "bool"
const CASTABLE = "Cast supports real and bool types only (complex and string are not computed)"
const isWideUnsigned = (d: DType): boolean => d === "uint32" || d === "uint64"

// ---------------------------------------------------------------------------------------------
// float16 / bfloat16 rounding in float32 bits

/** Mantissa bits float32 has beyond the narrow format. */
const droppedBits = (d: "float16" | "bfloat16"): number => (d === "float16" ? 13 : 16)

/** Rounds float32 values to the nearest float16/bfloat16 (kept in float32). No gradient. */
const roundNarrow = (x: JaxArray, d: "float16" | "bfloat16", truncate: boolean): JaxArray => {
  const drop = droppedBits(d)
  let bits = lax.bitcastConvertType(lax.stopGradient(x.ref), np.uint32)
  if (truncate) bits = np.bitwiseAnd(bits, (0xffffffff << drop) >>> 0)
  // (Typed constants: under jit jax-js rounds JS-number constants through float32.)
  const magnitude = np.bitwiseAnd(bits.ref, np.full([], 0x7fffffff, { dtype: np.uint32 }))
  const negative = np.notEqual(np.bitwiseAnd(bits, 0x80000000), 0)
  const lsb = np.bitwiseAnd(np.rightShift(magnitude.ref, np.full([], drop, { dtype: np.uint32 })), 1)
  const half = (1 << (drop - 1)) - 1
  const roundedBits = np.bitwiseAnd(magnitude.ref.add(half).add(lsb), (0xffffffff << drop) >>> 0)
  let y = lax.bitcastConvertType(roundedBits, np.float32)
  if (d === "float16") {
    const ax = lax.bitcastConvertType(magnitude, np.float32)
    y = np.where(np.greater(y.ref, 65504), Infinity, y)
    // Below 2^-14 float16 is subnormal: a fixed grid of 2^-24 (the scaling is exact).
    const subnormal = np.round(ax.ref.mul(2 ** 24)).mul(2 ** -24)
    y = np.where(np.less(ax, 2 ** -14), subnormal, y)
  } else {
    magnitude.dispose()
  }
  y = np.where(negative, np.negative(y.ref), y)
  return np.where(np.isnan(x.ref), x, y)
}

/**
 * float64 → float32 with `Truncate` (TF clears the 29 extra mantissa bits, then casts): toward
 * zero — one ulp down where rounding went up — and ±∞ only from |x| ≥ 2^128.
 */
const truncateToFloat32 = (x: JaxArray): JaxArray => {
  const r = x.ref.astype(np.float32)
  const ax = np.abs(x)
  // 2^128 as a typed constant: under jit jax-js rounds JS numbers through float32 (→ ∞).
  const limit = np.full([], 2 ** 128, { dtype: np.float64 })
  const grew = np.logicalAnd(np.greater(np.abs(r.ref.astype(np.float64)), ax.ref), np.less(ax, limit))
  const down = lax.bitcastConvertType(lax.bitcastConvertType(r.ref, np.uint32).sub(1), np.float32)
  return np.where(grew, down, r)
}

/**
 * `y` with the gradient of the identity in `x` (TF's float → float Cast gradient); exact, since
 * y − x is exact for a rounding of x. ±∞ (where y − x is NaN) is its own rounding: x itself.
 */
const straightThrough = (x: JaxArray, y: JaxArray): JaxArray => {
  const infinite = np.isinf(x.ref)
  const through = x.ref.add(lax.stopGradient(y.sub(x.ref)))
  return np.where(infinite, x, through)
}

// ---------------------------------------------------------------------------------------------
// device casts

const floatToInt = (x: JaxArray, src: DType, dst: DType, where: string): JaxArray => {
  if (isWideUnsigned(dst)) {
    if (src === "float64") {
      const t = np.trunc(x.ref)
      const ok = np.less(np.abs(x), 2 ** 63)
      const wrapped = t.ref.sub(np.floor(t.mul(1 / TWO32)).mul(TWO32))
      return np.where(ok, wrapped, 0).astype(np.uint32)
    }
    // Negative values wrap through int32; [0, 2^32) converts directly; the rest is 2^31.
    const viaInt = x.ref.astype(np.int32).astype(np.uint32)
    const direct = x.ref.astype(np.uint32)
    const inRange = np.logicalAnd(np.greaterEqual(x.ref, INT32_MIN), np.less(x.ref, TWO32))
    const value = np.where(np.less(x, 0), viaInt, direct)
    return np.where(inRange, value, np.full([], 2 ** 31, { dtype: np.uint32 }))
  }
  const t = x.ref.astype(np.int32)
  const ok = np.logicalAnd(np.greaterEqual(x.ref, INT32_MIN), np.less(x, 2 ** 31))
  return wrapInt(np.where(ok, t, np.full([], INT32_MIN, { dtype: jaxType("int32", where) })), dst)
}

/** int → int: convert the storage type, then wrap to a narrow target. */
const intToInt = (x: JaxArray, dst: DType, where: string): JaxArray => {
  const target = jaxType(dst, where)
  return wrapInt(x.dtype === target ? x : x.astype(target), dst)
}

/** Casts a device array from TF dtype `src` to `dst` (consumes `x`). */
export const castArray = (x: JaxArray, src: DType, dst: DType, truncate: boolean, where: string): JaxArray => {
  if (dst === "bool") return np.notEqual(x, 0)
  if (src === "bool") return x.astype(jaxType(dst, where))
  if (isFloatType(dst)) {
    if (dst === "float64") return x.astype(np.float64)
    const differentiable = isFloatType(src)
    let x32: JaxArray
    if (src === "float64" && truncate) {
      const t = truncateToFloat32(x.ref)
      x32 = straightThrough(x.astype(np.float32), t)
    } else x32 = x.astype(np.float32)
    if (dst === "float32") return x32
    const y = roundNarrow(x32.ref, dst as "float16" | "bfloat16", truncate)
    if (differentiable) return straightThrough(x32, y)
    x32.dispose()
    return y
  }
  return isFloatType(src) ? floatToInt(x, src, dst, where) : intToInt(x, dst, where)
}

// ---------------------------------------------------------------------------------------------
// host casts

const F32 = new Float32Array(1)
const U32 = new Uint32Array(F32.buffer)

const hostRoundNarrow = (v: number, d: "float16" | "bfloat16", truncate: boolean): number => {
  if (Number.isNaN(v)) return v
  const drop = droppedBits(d)
  F32[0] = v
  let bits = U32[0]!
  if (truncate) bits = (bits & ((0xffffffff << drop) >>> 0)) >>> 0
  const negative = bits >>> 31 === 1
  const magnitude = bits & 0x7fffffff
  const lsb = (magnitude >>> drop) & 1
  U32[0] = ((magnitude + (1 << (drop - 1)) - 1 + lsb) & ((0xffffffff << drop) >>> 0)) >>> 0
  let y = F32[0]!
  if (d === "float16") {
    U32[0] = magnitude
    const ax = F32[0]!
    if (y > 65504) y = Infinity
    if (ax < 2 ** -14) y = roundHalfEven(ax * 2 ** 24) * 2 ** -24
  }
  return negative ? -y : y
}

const hostTruncateToFloat32 = (v: number): number => {
  const r = Math.fround(v)
  if (!(Math.abs(r) > Math.abs(v)) || Math.abs(v) >= 2 ** 128) return r
  F32[0] = r
  U32[0] = U32[0]! - 1
  return F32[0]!
}

/** One element cast on the host (ints come back as integral numbers; storage wraps them). */
const hostCastFn = (src: DType, dst: DType, truncate: boolean): ((v: number) => number) => {
  if (dst === "bool") return (v) => (v !== 0 ? 1 : 0)
  if (isFloatType(dst)) {
    const to32 = src === "float64" && truncate ? hostTruncateToFloat32 : Math.fround
    if (dst === "float64") return (v) => v
    if (dst === "float32") return to32
    return (v) => hostRoundNarrow(to32(v), dst as "float16" | "bfloat16", truncate)
  }
  if (!isFloatType(src)) return (v) => v
  if (dst === "int64") return (v) => (v >= -(2 ** 63) && v < 2 ** 63 ? Math.trunc(v) : -(2 ** 63))
  if (dst === "uint64") return (v) => (v >= -(2 ** 63) && v < 2 ** 63 ? Math.trunc(v) : 2 ** 63)
  if (dst === "uint32") {
    if (src === "float64") {
      return (v) => {
        if (!(Math.abs(v) < 2 ** 63)) return 0
        const t = Math.trunc(v)
        return t - Math.floor(t / TWO32) * TWO32
      }
    }
    return (v) => (v >= INT32_MIN && v < TWO32 ? Math.trunc(v) : 2 ** 31)
  }
  return (v) => (v >= INT32_MIN && v < 2 ** 31 ? Math.trunc(v) : INT32_MIN)
}

export const castHost = (t: HostTensor, dst: DType, truncate: boolean): HostTensor => {
  const f = hostCastFn(t.dtype, dst, truncate)
  const values = hostValues(t)
  for (let i = 0; i < values.length; i++) values[i] = f(values[i]!)
  return hostFromValues(dst, t.shape, values)
}

// ---------------------------------------------------------------------------------------------

export const cast = defineOp({
  ops: ["Cast"],
  attrs: Schema.Struct({
    SrcT: Schema.optionalKey(Attr.type),
    DstT: Attr.type,
    Truncate: Schema.optionalKey(Attr.bool)
  }),
  inputs: "value",
  check: (a, ctx) => {
    for (const d of [a.SrcT, a.DstT]) {
      if (d !== undefined && !isCastable(d)) throw new UnsupportedDtypeError({ dtype: d, where: ctx.where, what: CASTABLE })
    }
  },
  run: (ctx, inputs, a): Value => {
    const v = inputs[0] as Value
    const src = dtypeOf(v, a.SrcT)
    const dst = a.DstT
    if (!isCastable(src)) fail([v], new UnsupportedDtypeError({ dtype: src, where: ctx.where, what: CASTABLE }))
    if (src === dst) return v
    const truncate = a.Truncate ?? false
    if (v.kind === "static" && smallEnough(v.tensor.shape)) return staticValue(castHost(v.tensor, dst, truncate))
    return arrayValue(castArray(toArray(v, ctx.where), src, dst, truncate, ctx.where), dst)
  }
})

export const castOps = [cast]
