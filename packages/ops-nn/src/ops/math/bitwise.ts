/**
 * Bitwise ops on integers: BitwiseAnd/Or/Xor, LeftShift, RightShift, Invert, PopulationCount.
 *
 * TF clamps the shift count to [0, bits − 1] of the dtype (so `1 << 32` is INT_MIN and
 * `-8 >> 40` is −1), shifts signed types arithmetically, and wraps narrow types. jax-js computes
 * them in int32, shifts modulo 32 and right-shifts logically, so the clamp, the arithmetic shift
 * (`~(~x >> y)` for negative x) and the wrap are emulated. int64 is computed in int32 (DESIGN §8),
 * so its shifts clamp at 31.
 */
import { numpy as np } from "@jax-js/jax"
import type { DType, JaxArray } from "@tf2jax/core"
import { mathOp } from "./elementwise.js"
import { intBits, isIntType, isSignedIntType, jaxType } from "./support.js"

/** Host folding only where JS's 32-bit operators are exact. */
const hostInt = (f: (...xs: Array<number>) => number) => (d: DType) => (intBits(d) <= 32 ? f : undefined)

/** The largest shift TF honours for `d`, as computed here. */
const maxShift = (d: DType): number => Math.min(intBits(d), 32) - 1

const clampShift = (y: JaxArray, d: DType): JaxArray => np.clip(y, 0, maxShift(d))

export const bitwiseAnd = mathOp({
  ops: ["BitwiseAnd"],
  accepts: isIntType,
  jax: ([a, b]) => np.bitwiseAnd(a!, b!),
  host: hostInt((a, b) => a! & b!)
})

export const bitwiseOr = mathOp({
  ops: ["BitwiseOr"],
  accepts: isIntType,
  jax: ([a, b]) => np.bitwiseOr(a!, b!),
  host: hostInt((a, b) => a! | b!)
})

export const bitwiseXor = mathOp({
  ops: ["BitwiseXor"],
  accepts: isIntType,
  jax: ([a, b]) => np.bitwiseXor(a!, b!),
  host: hostInt((a, b) => a! ^ b!)
})

export const leftShift = mathOp({
  ops: ["LeftShift"],
  accepts: isIntType,
  jax: ([x, y], d) => np.leftShift(x!, clampShift(y!, d)),
  host: (d) => (intBits(d) <= 32 ? (a, b) => a! << Math.min(Math.max(b!, 0), maxShift(d)) : undefined)
})

export const rightShift = mathOp({
  ops: ["RightShift"],
  accepts: isIntType,
  jax: ([x, y], d) => {
    const s = clampShift(y!, d)
    if (!isSignedIntType(d)) return np.rightShift(x!, s)
    const logical = np.rightShift(x!.ref, s.ref)
    const fromNegative = np.invert(np.rightShift(np.invert(x!.ref), s))
    return np.where(np.less(x!, 0), fromNegative, logical)
  },
  host: (d) => {
    if (intBits(d) > 32) return undefined
    const signed = isSignedIntType(d)
    return (a, b) => {
      const s = Math.min(Math.max(b!, 0), maxShift(d))
      return signed ? a! >> s : a! >>> s
    }
  }
})

export const invert = mathOp({
  ops: ["Invert"],
  accepts: isIntType,
  jax: ([x]) => np.invert(x!),
  host: hostInt((a) => ~a!)
})

const popcount32 = (v: number): number => {
  let n = 0
  for (let u = v >>> 0; u !== 0; u >>>= 1) n += u & 1
  return n
}

/** `PopulationCount`: set bits of the two's-complement value in T's width; uint8 result. */
export const populationCount = mathOp({
  ops: ["PopulationCount"],
  accepts: isIntType,
  outDtype: () => "uint8",
  jax: ([x], d, where) => {
    const bits = intBits(d)
    const masked = bits < 32 ? np.bitwiseAnd(x!, (1 << bits) - 1) : x!
    // jax-js's bitwiseCount counts |x| for signed ints: count the uint32 view instead.
    const unsigned = masked.dtype === np.uint32 ? masked : masked.astype(np.uint32)
    return np.bitwiseCount(unsigned).astype(jaxType("int32", where))
  },
  host: (d) => {
    const bits = intBits(d)
    return bits > 32 ? undefined : (a) => popcount32(bits < 32 ? a! & ((1 << bits) - 1) : a!)
  }
})

export const bitwiseOps = [bitwiseAnd, bitwiseOr, bitwiseXor, leftShift, rightShift, invert, populationCount]
