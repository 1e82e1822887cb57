/**
 * The element-wise converter builder: unary, binary and n-ary ops with NumPy broadcasting.
 * When every input is static (and the result small) the op is computed on the host and stays
 * static, so shape arithmetic keeps graphs jit-able (DESIGN §4); otherwise it runs in jax-js.
 * Narrow integer results (uint8, int8, uint16, int16) are wrapped as TF's arithmetic wraps.
 */
import type { DType, JaxArray, OpConverter, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostElementwise, staticValue, toArray } from "@tf2jax/core"
import { Schema } from "effect"
import { materialize } from "../../lowering/barrier.js"
import { broadcastAll, disposeAll, dtypeOf, isFoldable, isNarrowInt, requireDtype, smallEnough, tensorsOf, wrapInt } from "./support.js"

/** Decoded attrs besides `T` (declared with `MathOpSpec.attrs`). */
export type MathAttrs = Readonly<Record<string, unknown>>

export interface MathOpSpec {
  readonly ops: ReadonlyArray<string>
  /** Attrs besides `T` (unknown attrs are refused). */
  readonly attrs?: Schema.Struct.Fields
  /** The jax-js computation; consumes `xs`. `dtype` is the op's `T` (the TF dtype of its inputs). */
  readonly jax: (xs: Array<JaxArray>, dtype: DType, where: string, attrs: MathAttrs) => JaxArray
  /** The host computation for static folding, per dtype (`undefined`: always on the device). */
  readonly host?: (dtype: DType, where: string, attrs: MathAttrs) => ((...xs: Array<number>) => number) | undefined
  /** Output dtype from `T` (default: `T`). */
  readonly outDtype?: (dtype: DType) => DType
  /** The dtypes TF registers kernels for (others: `UnsupportedDtypeError`). */
  readonly accepts?: (dtype: DType) => boolean
  /** The input whose dtype is `T` (default 0; Select's is 1). */
  readonly typeInput?: number
  /** A result decided before broadcasting (e.g. Equal on incompatible shapes); inputs consumed. */
  readonly shortcut?: (values: ReadonlyArray<Value>, attrs: MathAttrs) => Value | undefined
  /** Expensive per element (exp, log, trigonometry…): a small result is computed once, see `computeOnce`. */
  readonly costly?: boolean
}

/** Results up to this many elements of a costly op get their own buffer. */
const COMPUTE_ONCE_MAX = 4096

/**
 * Under `jit`, jax-js fuses an element-wise producer into each consumer, and a consumer that
 * broadcasts it re-evaluates it per output element: centernet's squeeze-excite
 * `x[1,128,128,128] · sigmoid(s[1,1,1,128])` computed 2.1 M exponentials for 128 distinct ones
 * (20–39 ms of a 500 ms inference). Small results of costly ops are therefore materialised;
 * for results that are never broadcast this costs one tiny kernel.
 */
const computeOnce = (y: JaxArray, dtype: DType): JaxArray =>
  (dtype === "float32" || dtype === "float64") && y.size > 0 && y.size <= COMPUTE_ONCE_MAX ? materialize(y) : y

/** Uploads every value, releasing all of them if one cannot be uploaded. */
export const toArrays = (values: ReadonlyArray<Value>, where: string): Array<JaxArray> => {
  const out: Array<JaxArray> = []
  try {
    for (const v of values) out.push(toArray(v, where))
  } catch (e) {
    for (const a of out) a.dispose()
    disposeAll(values.slice(out.length))
    throw e
  }
  return out
}

/** A converter for an element-wise op of attr `T`. */
export const mathOp = (spec: MathOpSpec): OpConverter<MathAttrs> =>
  defineOp({
    ops: spec.ops,
    attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), ...spec.attrs }) as unknown as Schema.Codec<MathAttrs, unknown>,
    inputs: "value",
    run: (ctx, inputs, attrs) => {
      const values = inputs as ReadonlyArray<Value>
      const dtype = dtypeOf(values[spec.typeInput ?? 0]!, attrs["T"] as DType | undefined)
      if (spec.accepts) requireDtype(values, dtype, spec.accepts, ctx.where)
      const early = spec.shortcut?.(values, attrs)
      if (early) return early
      const shape = broadcastAll(values, ctx.where)
      const out = spec.outDtype ? spec.outDtype(dtype) : dtype
      const host = spec.host?.(dtype, ctx.where, attrs)
      if (host && isFoldable(values) && smallEnough(shape)) {
        return staticValue(hostElementwise(out, tensorsOf(values), host, ctx.where))
      }
      const y = spec.jax(toArrays(values, ctx.where), dtype, ctx.where, attrs)
      const r = isNarrowInt(out) ? wrapInt(y, out) : y
      return arrayValue(spec.costly ? computeOnce(r, out) : r, out)
    }
  })

/** The public, simpler form (user-defined element-wise ops): dtype-independent callbacks. */
export interface ElementwiseSpec {
  readonly ops: ReadonlyArray<string>
  /** The jax-js computation (consumes its arguments). */
  readonly jax: (...xs: Array<JaxArray>) => JaxArray
  /** The same on host numbers, when the op can be folded statically. */
  readonly host?: (...xs: Array<number>) => number
  /** Output dtype from the first input's dtype (default: the same). */
  readonly outDtype?: (input: DType) => DType
}

/** A converter for an element-wise op over one or more inputs of attr `T`. */
export const elementwise = (spec: ElementwiseSpec): OpConverter<MathAttrs> => {
  const host = spec.host
  return mathOp({
    ops: spec.ops,
    jax: (xs) => spec.jax(...xs),
    ...(host ? { host: () => host } : {}),
    ...(spec.outDtype ? { outDtype: spec.outDtype } : {})
  })
}
