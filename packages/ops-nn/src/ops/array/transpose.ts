/**
 * Transpose / ConjugateTranspose (static `perm`) and InvertPermutation. Real tensors only:
 * ConjugateTranspose of a real tensor is Transpose.
 */
import { numpy as np } from "@jax-js/jax"
import type { HostTensor, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostFromValues, hostTranspose, hostValues, staticValue, UnsupportedDtypeError } from "@tf2jax/core"
import { Schema } from "effect"
import { type Ctx, device, dtypeOf, fmt, guard, inputError, intsOf, isStatic, keepStatic, shapeOf } from "./common.js"

/** Checks that `perm` is a permutation of [0, rank) (negative entries count from the end, as in TF). */
const permutation = (ctx: Ctx, perm: ReadonlyArray<number>, rank: number): Array<number> => {
  if (perm.length !== rank) throw inputError(ctx, `perm ${fmt(perm)} must have ${rank} entries`)
  const out = perm.map((p) => (p < 0 ? p + rank : p))
  const seen = new Set(out)
  if (seen.size !== rank || out.some((p) => p < 0 || p >= rank)) throw inputError(ctx, `${fmt(perm)} is not a permutation of ${rank} dims`)
  return out
}

export const transpose = defineOp({
  ops: ["Transpose", "ConjugateTranspose"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), Tperm: Schema.optionalKey(Attr.type) }),
  inputs: ["value", "static"],
  run: (ctx, [x, p]) => {
    const v = x as Value
    const perm = guard(ctx, [v], () => {
      const dtype = dtypeOf(ctx, v)
      if (dtype === "complex64" || dtype === "complex128") {
        throw new UnsupportedDtypeError({ dtype, where: ctx.where, what: "complex transposes are not supported" })
      }
      return permutation(ctx, intsOf(ctx, p as HostTensor, "perm"), shapeOf(ctx, v).length)
    })
    if (isStatic(v) && keepStatic(v.tensor.dtype, v.tensor.shape)) return staticValue(hostTranspose(v.tensor, perm))
    const dtype = dtypeOf(ctx, v)
    return arrayValue(np.transpose(device(ctx, v), perm), dtype)
  }
})

/** The inverse of a permutation; on the device it is the argsort of the permutation. */
export const invertPermutation = defineOp({
  ops: ["InvertPermutation"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type) }),
  inputs: "value",
  run: (ctx, [x]) => {
    const v = x as Value
    const dtype = dtypeOf(ctx, v)
    if (isStatic(v)) {
      const perm = guard(ctx, [v], () => {
        if (v.tensor.shape.length !== 1) throw inputError(ctx, `the permutation must be a vector, got ${fmt(v.tensor.shape)}`)
        const perm = Array.from(hostValues(v.tensor))
        if (perm.some((q) => q < 0)) throw inputError(ctx, `${fmt(perm)} is not a permutation`)
        return permutation(ctx, perm, perm.length)
      })
      const inv = new Array<number>(perm.length)
      perm.forEach((q, i) => (inv[q] = i))
      return staticValue(hostFromValues(dtype, [inv.length], inv))
    }
    // A traced input cannot be validated; argsort inverts any valid permutation.
    return arrayValue(np.argsort(device(ctx, v)), dtype)
  }
})

export const transposeOps = [transpose, invertPermutation]
