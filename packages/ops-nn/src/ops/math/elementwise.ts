/**
 * Element-wise math: unary and binary ops with NumPy broadcasting. When every input is static
 * the result is computed on the host and stays static (shape arithmetic keeps jit-able).
 */
import { numpy as np } from "@jax-js/jax"
import type { DType, JaxArray, OpConverter, Value } from "@tf2jax/core"
import { allStatic, arrayValue, Attr, defineOp, hostElementwise, staticValue, toArray } from "@tf2jax/core"
import { Schema } from "effect"

const dtypeOf = (v: Value): DType =>
  v.kind === "static" ? v.tensor.dtype : v.kind === "array" ? v.dtype : "float32"

interface ElementwiseSpec {
  readonly ops: ReadonlyArray<string>
  /** The jax-js computation (consumes its arguments). */
  readonly jax: (...xs: Array<JaxArray>) => JaxArray
  /** The same on host numbers, when the op can be folded statically. */
  readonly host?: (...xs: Array<number>) => number
  /** Output dtype from the first input's dtype (default: the same). */
  readonly outDtype?: (input: DType) => DType
}

/** A converter for an element-wise op over one or more inputs of attr `T`. */
export const elementwise = (spec: ElementwiseSpec): OpConverter<{ readonly T?: DType }> =>
  defineOp({
    ops: spec.ops,
    attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type) }),
    inputs: "value",
    run: (ctx, inputs) => {
      const values = inputs as ReadonlyArray<Value>
      const dtype = (spec.outDtype ?? ((d: DType) => d))(dtypeOf(values[0]!))
      if (spec.host && allStatic(values)) {
        return staticValue(hostElementwise(dtype, values.map((v) => v.tensor), spec.host, ctx.where))
      }
      return arrayValue(spec.jax(...values.map((v) => toArray(v, ctx.where))), dtype)
    }
  })

export const add = elementwise({ ops: ["Add", "AddV2"], jax: (a, b) => np.add(a, b), host: (a, b) => a + b })
export const sub = elementwise({ ops: ["Sub"], jax: (a, b) => np.subtract(a, b), host: (a, b) => a - b })
export const mul = elementwise({ ops: ["Mul"], jax: (a, b) => np.multiply(a, b), host: (a, b) => a * b })

export const elementwiseOps = [add, sub, mul]
