/**
 * Samplers over jax-js's threefry keys, shared by the stateful and stateless ops.
 *
 * jax-js draws with threefry2x32 (bitwise equal to JAX's partitionable scheme) and its normal
 * uses Box–Muller; TensorFlow uses Philox. So values never equal TF's, even for a stateless op
 * with the same seed: tests compare shapes, dtypes, ranges and sample statistics.
 *
 * @internal
 */
import { lax, numpy as np, random } from "@jax-js/jax"
import type { DType, JaxArray } from "@tf2jax/core"
import { jaxDtypeOf } from "@tf2jax/core"

/** Casts a float32 sample to the op's dtype (float64 is sampled in float32, then widened). */
const asFloat = (x: JaxArray, dtype: DType, where: string): JaxArray => {
  const jd = jaxDtypeOf(dtype, where) as np.DType
  return x.dtype === jd ? x : x.astype(jd)
}

/** Uniform in [0, 1). Consumes `key`. */
export const uniform = (key: JaxArray, shape: ReadonlyArray<number>, dtype: DType, where: string): JaxArray =>
  asFloat(random.uniform(key, [...shape]), dtype, where)

/** Standard normal. Consumes `key`. */
export const normal = (key: JaxArray, shape: ReadonlyArray<number>, dtype: DType, where: string): JaxArray =>
  asFloat(random.normal(key, [...shape]), dtype, where)

/**
 * erfinv on (−0.9545, 0.9545) (|erfinv| ≤ 2/√2): the central branch (w < 5) of M. Giles'
 * single-precision polynomial ("Approximating the erfinv function", GPU Computing Gems, 2011),
 * w = −log(1 − x²). jax-js has no erfinv.
 */
const erfinvCentral = (x: JaxArray): JaxArray => {
  const w = np.log(np.subtract(1, x.ref.mul(x.ref))).mul(-1).sub(2.5)
  const coefficients = [
    2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 2.1858087e-4, -1.25372503e-3, -4.17768164e-3, 0.246640727,
    1.50140941
  ]
  let p: JaxArray = np.fullLike(w.ref, coefficients[0]!)
  for (const c of coefficients.slice(1)) p = p.mul(w.ref).add(c)
  w.dispose()
  return p.mul(x)
}

/** Φ(−2) and Φ(2): the standard normal CDF at ∓2 standard deviations. */
const PHI_MINUS_2 = 0.022750131948179195
const PHI_PLUS_2 = 0.9772498680518208

/**
 * A normal truncated to (−2, 2), as TensorFlow's (which redraws values beyond two standard
 * deviations): the inverse CDF of a uniform on (Φ(−2), Φ(2)). Consumes `key`.
 */
export const truncatedNormal = (key: JaxArray, shape: ReadonlyArray<number>, dtype: DType, where: string): JaxArray => {
  const u = random.uniform(key, [...shape])
  const p = u.mul(PHI_PLUS_2 - PHI_MINUS_2).add(PHI_MINUS_2)
  const z = erfinvCentral(p.mul(2).sub(1)).mul(Math.SQRT2)
  return asFloat(np.clip(z, -2, 2), dtype, where)
}

/** Integers uniform in [minval, maxval) (modulo reduction of 32 random bits). Consumes `key`. */
export const uniformInt = (key: JaxArray, shape: ReadonlyArray<number>, minval: number, maxval: number, dtype: DType, where: string): JaxArray => {
  const jd = jaxDtypeOf(dtype, where) as np.DType
  return random.randint(key, { minval, maxval, shape: [...shape], dtype: jd })
}

/**
 * Integers uniform in [minval, maxval) for traced bounds: floor(u·(max − min)) + min with u
 * uniform in [0, 1) in float32 (exact for ranges below 2^24). Consumes everything.
 */
export const uniformIntTraced = (key: JaxArray, shape: ReadonlyArray<number>, minval: JaxArray, maxval: JaxArray, dtype: DType, where: string): JaxArray => {
  const jd = jaxDtypeOf(dtype, where) as np.DType
  const lo = minval.astype(np.float32)
  const span = maxval.astype(np.float32).sub(lo.ref)
  const u = random.uniform(key, [...shape])
  return np.floor(u.mul(span)).add(lo).astype(jd)
}

/** Every bit pattern of the dtype equally likely (32-bit types; 64-bit types computed in 32). Consumes `key`. */
export const fullRangeInt = (key: JaxArray, shape: ReadonlyArray<number>, dtype: DType, where: string): JaxArray => {
  const jd = jaxDtypeOf(dtype, where) as np.DType
  const bits = random.bits(key, [...shape])
  return jd === np.uint32 ? bits : lax.bitcastConvertType(bits, jd)
}
