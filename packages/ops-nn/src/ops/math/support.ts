/**
 * Shared plumbing of the math converters: TF dtype classes, the narrow-integer wrap (DESIGN §8),
 * static-folding policy, and typed failures that release the inputs first (a converter owns its
 * inputs from the moment `run` is called, so it must dispose them when it refuses to run).
 */
import { numpy as np } from "@jax-js/jax"
import type { DType, HostTensor, JaxArray, Value } from "@tf2jax/core"
import { broadcastShapes, ConversionError, disposeValue, jaxDtypeOf, numElements, UnsupportedDtypeError } from "@tf2jax/core"

/** The TF dtype of a static or array value (`fallback` for other kinds). */
export const dtypeOf = (v: Value, fallback: DType = "float32"): DType =>
  v.kind === "static" ? v.tensor.dtype : v.kind === "array" ? v.dtype : fallback

export const shapeOf = (v: Value): ReadonlyArray<number> =>
  v.kind === "static" ? v.tensor.shape : v.kind === "array" ? v.array.shape : []

export const isFloatType = (d: DType): boolean => d === "float32" || d === "float64" || d === "float16" || d === "bfloat16"

export const isSignedIntType = (d: DType): boolean => d === "int8" || d === "int16" || d === "int32" || d === "int64"

export const isUnsignedIntType = (d: DType): boolean => d === "uint8" || d === "uint16" || d === "uint32" || d === "uint64"

export const isIntType = (d: DType): boolean => isSignedIntType(d) || isUnsignedIntType(d)

/** Float or integer (TF's `realnumbertypes`). */
export const isRealType = (d: DType): boolean => isFloatType(d) || isIntType(d)

/** Width in bits of an integer dtype as TF computes it. */
export const intBits = (d: DType): number =>
  d === "int8" || d === "uint8" ? 8 : d === "int16" || d === "uint16" ? 16 : d === "int64" || d === "uint64" ? 64 : 32

/**
 * Wraps an int32-held value to a narrow integer type (uint8/int8/uint16/int16), as TF's
 * arithmetic in that type would. jax-js computes these types in int32 (DESIGN §8); other dtypes
 * pass through (int32 wraps natively; int64 is computed in int32, a documented narrowing).
 */
export const wrapInt = (x: JaxArray, d: DType): JaxArray => {
  switch (d) {
    case "uint8":
      return np.bitwiseAnd(x, 0xff)
    case "uint16":
      return np.bitwiseAnd(x, 0xffff)
    case "int8":
      return np.bitwiseAnd(x.add(0x80), 0xff).sub(0x80)
    case "int16":
      return np.bitwiseAnd(x.add(0x8000), 0xffff).sub(0x8000)
    default:
      return x
  }
}

export const isNarrowInt = (d: DType): boolean => d === "uint8" || d === "uint16" || d === "int8" || d === "int16"

/** A scalar constant in the jax-js dtype `d` computes in (weakly typed JS numbers do not work everywhere, e.g. shifts). */
export const scalarOf = (v: number, d: DType, where: string): JaxArray =>
  np.full([], v, { dtype: jaxDtypeOf(d, where) as np.DType })

/** Disposes every array a list of inputs holds. */
export const disposeAll = (values: ReadonlyArray<Value | undefined>): void => {
  for (const v of values) if (v) disposeValue(v)
}

/** Releases the inputs, then throws. */
export const fail = (values: ReadonlyArray<Value | undefined>, error: Error): never => {
  disposeAll(values)
  throw error
}

/** Refuses a dtype the op does not accept (as TF's kernel registry would), releasing the inputs. */
export const requireDtype = (
  values: ReadonlyArray<Value | undefined>,
  dtype: DType,
  accepts: (d: DType) => boolean,
  where: string,
  what = "is not supported by this op"
): void => {
  if (!accepts(dtype)) fail(values, new UnsupportedDtypeError({ dtype, where, what }))
}

/**
 * Static inputs are folded on the host (so shape arithmetic stays concrete under `jit`) when the
 * result is small; bigger constant expressions go to the device, where they are equally exact.
 */
export const FOLD_LIMIT = 1 << 16

export const isFoldable = (values: ReadonlyArray<Value>): values is ReadonlyArray<Extract<Value, { kind: "static" }>> =>
  values.every((v) => v.kind === "static" && v.tensor.dtype !== "string")

/** The broadcast shape of several values, or a typed error naming them (inputs released). */
export const broadcastAll = (values: ReadonlyArray<Value>, where: string): Array<number> => {
  let shape: Array<number> = []
  for (const v of values) {
    const s = broadcastShapes(shape, shapeOf(v))
    if (!s) {
      return fail(values, new ConversionError({ where, what: `shapes ${values.map((x) => `[${shapeOf(x).join(",")}]`).join(" and ")} do not broadcast` }))
    }
    shape = s
  }
  return shape
}

export const smallEnough = (shape: ReadonlyArray<number>): boolean => numElements(shape) <= FOLD_LIMIT

/** The host tensors of static values. */
export const tensorsOf = (values: ReadonlyArray<Extract<Value, { kind: "static" }>>): Array<HostTensor> => values.map((v) => v.tensor)

/** TF's integer division-by-zero error (host folding; on the device jax-js gives 0 instead). */
export const divisionByZero = (where: string): ConversionError =>
  new ConversionError({ where, what: "integer division by zero" })

/** The jax-js dtype TF dtype `d` is computed in. */
export const jaxType = (d: DType, where: string): np.DType => jaxDtypeOf(d, where) as np.DType

/** Round half to even (TF's Round and Rint, float16 rounding), on host numbers. */
export const roundHalfEven = (v: number): number => {
  const r = Math.round(v)
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}
