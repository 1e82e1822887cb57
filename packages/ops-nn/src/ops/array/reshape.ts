/**
 * Reshape, Squeeze, ExpandDims, EnsureShape: new shapes over the same elements. Static inputs
 * stay static (a reshape is free on the host); the target shape must be static.
 */
import type { HostTensor, OpContext, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostReshape, staticValue } from "@tf2jax/core"
import { Schema } from "effect"
import { axisOf, type Ctx, fmt, guard, inputError, intOf, intsOf, product, shapeOf } from "./common.js"

/** The value with a new shape (consumes it). */
export const withShape = (v: Value, shape: ReadonlyArray<number>): Value => {
  if (v.kind === "static") return staticValue(hostReshape(v.tensor, shape))
  if (v.kind === "array") return arrayValue(v.array.reshape([...shape]), v.dtype)
  return v
}

/**
 * TF's Reshape target: at most one −1, inferred from the element count. With an empty input
 * and a zero among the sizes, TF infers −1 ignoring the zero dims on both sides.
 */
export const reshapeTarget = (ctx: Ctx, input: ReadonlyArray<number>, sizes: ReadonlyArray<number>): Array<number> => {
  const n = product(input)
  let unknown = -1
  let known = 1
  let hasZero = false
  sizes.forEach((s, i) => {
    if (s === -1) {
      if (unknown >= 0) throw inputError(ctx, `only one dimension of the shape ${fmt(sizes)} may be -1`)
      unknown = i
    } else if (s < 0) throw inputError(ctx, `size ${s} at index ${i} of the shape ${fmt(sizes)} is negative`)
    else if (s === 0) hasZero = true
    else known *= s
  })
  const out = [...sizes]
  if (unknown >= 0) {
    let count = 1
    let inputZero = false
    for (const d of input) {
      if (d > 0 || !hasZero) count *= d
      else inputZero = true
    }
    const missing = Math.floor(count / known)
    if (!inputZero && missing * known !== count) {
      throw inputError(ctx, `cannot reshape ${fmt(input)} (${n} elements) to ${fmt(sizes)}: not a multiple of ${known}`)
    }
    out[unknown] = missing
  }
  if (product(out) !== n) throw inputError(ctx, `cannot reshape ${fmt(input)} (${n} elements) to ${fmt(sizes)}`)
  return out
}

export const reshape = defineOp({
  ops: ["Reshape"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), Tshape: Schema.optionalKey(Attr.type) }),
  inputs: ["value", "static"],
  run: (ctx, [x, s]) => {
    const v = x as Value
    const target = guard(ctx, [v], () => reshapeTarget(ctx, shapeOf(ctx, v), intsOf(ctx, s as HostTensor, "shape")))
    return withShape(v, target)
  }
})

/** Squeeze: the listed size-1 dims, or all of them when the list is empty (TF's quirk). */
export const squeeze = defineOp({
  ops: ["Squeeze"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), squeeze_dims: Attr.ints }),
  inputs: "value",
  run: (ctx, [x], a) => {
    const v = x as Value
    const target = guard(ctx, [v], () => {
      const shape = shapeOf(ctx, v)
      if (a.squeeze_dims.length === 0) return shape.filter((d) => d !== 1)
      const axes = new Set(a.squeeze_dims.map((d) => axisOf(ctx, d, shape.length, "squeeze dimension")))
      for (const d of axes) {
        if (shape[d] !== 1) throw inputError(ctx, `cannot squeeze dimension ${d} of size ${shape[d]} (input ${fmt(shape)})`)
      }
      return shape.filter((_, i) => !axes.has(i))
    })
    return withShape(v, target)
  }
})

/** ExpandDims: `dim` in [−rank−1, rank]. */
export const expandDims = defineOp({
  ops: ["ExpandDims"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), Tdim: Schema.optionalKey(Attr.type) }),
  inputs: ["value", "static"],
  run: (ctx: OpContext, [x, d]) => {
    const v = x as Value
    const target = guard(ctx, [v], () => {
      const shape = shapeOf(ctx, v)
      const axis = axisOf(ctx, intOf(ctx, d as HostTensor, "dim"), shape.length + 1, "dim")
      return [...shape.slice(0, axis), 1, ...shape.slice(axis)]
    })
    return withShape(v, target)
  }
})

/** EnsureShape: passes the input through when its shape is compatible with `shape` (−1 = any). */
export const ensureShape = defineOp({
  ops: ["EnsureShape"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), shape: Attr.shape }),
  inputs: "value",
  run: (ctx, [x], a) => {
    const v = x as Value
    guard(ctx, [v], () => {
      const shape = shapeOf(ctx, v)
      const want = a.shape
      if (want === null) return
      if (want.length !== shape.length || want.some((d, i) => d >= 0 && d !== shape[i])) {
        throw inputError(ctx, `shape ${fmt(shape)} is not compatible with the expected ${fmt(want.map((d) => (d < 0 ? -1 : d)))}`)
      }
    })
    return v
  }
})

export const reshapeOps = [reshape, squeeze, expandDims, ensureShape]
