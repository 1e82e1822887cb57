/**
 * Reductions over a static axis list (`reduction_indices`; negative axes count from the end, an
 * empty list is the identity, duplicates are TF's error): Sum, Mean, Max, Min, Prod, All, Any,
 * EuclideanNorm, plus L2Loss (Σx²/2 over everything).
 *
 * TF semantics: integer Mean truncates (and sums without wrapping, so uint8 means are right);
 * integer Sum/Prod wrap in narrow types; reducing an empty axis gives the identity (0, 1, ±∞ or
 * the integer extremes, true/false; Mean: NaN for floats, 0 for integers). Max/Min split the
 * gradient equally among ties (TF's rule, also jax-js's). Prod's gradient is the product of the
 * other elements (exclusive cumulative products from both sides, as TF computes it), so zeros
 * get finite gradients. Static inputs fold on the host (shape arithmetic stays static).
 */
import { lax, numpy as np } from "@jax-js/jax"
import type { DType, HostTensor, JaxArray, Value } from "@tf2jax/core"
import {
  arrayValue,
  Attr,
  ConversionError,
  defineOp,
  hostFromValues,
  hostReduce,
  numElements,
  staticValue,
  toArray,
  toNumbers
} from "@tf2jax/core"
import { Schema } from "effect"
import { withGradient } from "./gradients.js"
import {
  disposeAll,
  dtypeOf,
  fail,
  intBits,
  isFloatType,
  isIntType,
  isNarrowInt,
  isRealType,
  jaxType,
  requireDtype,
  shapeOf,
  smallEnough,
  wrapInt
} from "./support.js"

type Kind = "sum" | "mean" | "max" | "min" | "prod" | "all" | "any" | "norm"

const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1

/** The value of a reduction over nothing. */
const identity = (kind: Kind, d: DType): number => {
  switch (kind) {
    case "sum":
    case "norm":
    case "any":
      return 0
    case "prod":
    case "all":
      return 1
    case "mean":
      return isFloatType(d) ? NaN : 0
    case "max":
      return isFloatType(d) ? -Infinity : d.startsWith("uint") ? 0 : d === "int8" ? -128 : d === "int16" ? -32768 : INT32_MIN
    case "min":
      return isFloatType(d) ? Infinity : d === "uint8" ? 255 : d === "uint16" ? 65535 : d === "uint32" ? 2 ** 32 - 1 : d === "int8" ? 127 : d === "int16" ? 32767 : INT32_MAX
  }
}

/** Normalised, checked axes (throws TF's errors as typed ones). */
export const reductionAxes = (axes: ReadonlyArray<number>, rank: number, where: string): Array<number> => {
  const out: Array<number> = []
  for (const a of axes) {
    const r = a < 0 ? a + rank : a
    if (r < 0 || r >= Math.max(rank, 1)) throw new ConversionError({ where, what: `axis ${a} is out of range for rank ${rank}` })
    if (out.includes(r)) throw new ConversionError({ where, what: `axes contain duplicate dimension ${r}` })
    out.push(r)
  }
  return rank === 0 ? [] : out
}

/**
 * The product of all other elements along `axes`, in x's shape (no gradient): exclusive
 * cumulative products from the left and from the right, over the axes flattened into one.
 */
const productOfOthers = (x: JaxArray, axes: ReadonlyArray<number>): JaxArray => {
  const rank = x.ndim
  const kept = [...Array(rank).keys()].filter((a) => !axes.includes(a))
  const perm = [...kept, ...axes]
  const keptShape = kept.map((a) => x.shape[a]!)
  const n = numElements(axes.map((a) => x.shape[a]!))
  const flat = np.transpose(lax.stopGradient(x), perm).reshape([...keptShape, n])
  const head = new Array<[]>(keptShape.length).fill([])
  const exclusive = (t: JaxArray) => np.cumulativeProd(t, { axis: -1, includeInitial: true }).slice(...head, [0, n])
  const left = exclusive(flat.ref)
  const right = np.flip(exclusive(np.flip(flat, -1)), -1)
  const inverse = perm.map((_, i) => perm.indexOf(i))
  return np.transpose(left.mul(right).reshape(perm.map((a) => x.shape[a]!)), inverse)
}

const deviceReduce = (kind: Kind, x: JaxArray, axes: Array<number>, keepdims: boolean, d: DType): JaxArray => {
  const opts = { keepdims }
  switch (kind) {
    case "sum":
      return np.sum(x, axes, opts)
    case "mean": {
      if (isFloatType(d)) return np.mean(x, axes, opts)
      const count = numElements(axes.map((a) => x.shape[a]!))
      return np.sum(x, axes, opts).div(count)
    }
    case "max":
      return np.max(x, axes, opts)
    case "min":
      return np.min(x, axes, opts)
    case "prod": {
      if (!isFloatType(d)) return np.prod(x, axes, opts)
      const value = np.prod(x.ref, axes, opts)
      const others = productOfOthers(x.ref, axes)
      return withGradient(value, [{ x, coef: others, project: (t) => np.sum(t, axes, opts) }])
    }
    case "all":
      return np.all(x, axes, opts)
    case "any":
      return np.any(x, axes, opts)
    case "norm": {
      if (isFloatType(d)) return np.sqrt(np.sum(x.ref.mul(x), axes, opts))
      // Integer norms truncate the square root of the (wrapping) integer sum of squares.
      return np.sqrt(np.sum(x.ref.mul(x), axes, opts).astype(np.float32)).astype(np.int32)
    }
  }
}

/** The host fold of a reduction, or undefined when it does not fold for this dtype. */
const hostFold = (kind: Kind, t: HostTensor, axes: Array<number>, keep: boolean): HostTensor | undefined => {
  const d = t.dtype
  const int32ish = isIntType(d) && intBits(d) <= 32
  switch (kind) {
    case "sum":
      return hostReduce(t, axes, keep, 0, (a, x) => a + x)
    case "mean": {
      const finish = isFloatType(d) ? (a: number, n: number) => a / n : (a: number, n: number) => Math.trunc(a / n)
      return hostReduce(t, axes, keep, 0, (a, x) => a + x, d, finish)
    }
    case "max":
      return hostReduce(t, axes, keep, -Infinity, (a, x) => Math.max(a, x))
    case "min":
      return hostReduce(t, axes, keep, Infinity, (a, x) => Math.min(a, x))
    case "prod":
      return hostReduce(t, axes, keep, 1, int32ish ? (a, x) => Math.imul(a, x) : (a, x) => a * x)
    case "all":
      return hostReduce(t, axes, keep, 1, (a, x) => (a && x ? 1 : 0))
    case "any":
      return hostReduce(t, axes, keep, 0, (a, x) => (a || x ? 1 : 0))
    case "norm":
      return undefined
  }
}

const reduceAttrs = Schema.Struct({
  keep_dims: Schema.optionalKey(Attr.bool),
  T: Schema.optionalKey(Attr.type),
  Tidx: Schema.optionalKey(Attr.type)
})

const reduction = (op: string, kind: Kind, accepts: (d: DType) => boolean) =>
  defineOp({
    ops: [op],
    attrs: reduceAttrs,
    inputs: ["value", "static"],
    run: (ctx, inputs, attrs): Value => {
      const x = inputs[0] as Value
      const axisList = toNumbers(inputs[1] as HostTensor)
      const d = dtypeOf(x, attrs.T ?? (kind === "all" || kind === "any" ? "bool" : "float32"))
      requireDtype([x], d, accepts, ctx.where)
      const shape = shapeOf(x)
      let axes: Array<number>
      try {
        axes = reductionAxes(axisList, shape.length, ctx.where)
      } catch (e) {
        return fail([x], e as Error)
      }
      const keep = attrs.keep_dims ?? false
      if (axes.length === 0) return x
      const outShape = keep ? shape.map((s, i) => (axes.includes(i) ? 1 : s)) : shape.filter((_, i) => !axes.includes(i))
      if (axes.some((a) => shape[a] === 0)) {
        // Nothing to reduce: the identity, a constant whatever the input.
        disposeAll([x])
        const fill = identity(kind, d)
        if (smallEnough(outShape)) return staticValue(hostFromValues(d, outShape, new Array<number>(numElements(outShape)).fill(fill)))
        return arrayValue(np.full(outShape, d === "bool" ? fill === 1 : fill, { dtype: jaxType(d, ctx.where) }), d)
      }
      if (x.kind === "static" && smallEnough(shape)) {
        const folded = hostFold(kind, x.tensor, axes, keep)
        if (folded) return staticValue(folded)
      }
      const y = deviceReduce(kind, toArray(x, ctx.where), axes, keep, d)
      return arrayValue(isNarrowInt(d) ? wrapInt(y, d) : y, d)
    }
  })

export const sum = reduction("Sum", "sum", isRealType)
export const mean = reduction("Mean", "mean", isRealType)
export const max = reduction("Max", "max", isRealType)
export const min = reduction("Min", "min", isRealType)
export const prod = reduction("Prod", "prod", isRealType)
export const all = reduction("All", "all", (d) => d === "bool")
export const any = reduction("Any", "any", (d) => d === "bool")
export const euclideanNorm = reduction("EuclideanNorm", "norm", isRealType)

/** `L2Loss(t) = Σ t² / 2`, a scalar. */
export const l2Loss = defineOp({
  ops: ["L2Loss"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type) }),
  inputs: ["value"],
  run: (ctx, inputs, attrs): Value => {
    const x = inputs[0] as Value
    const d = dtypeOf(x, attrs.T)
    requireDtype([x], d, isFloatType, ctx.where)
    const a = toArray(x, ctx.where)
    return arrayValue(np.sum(a.ref.mul(a)).mul(0.5), d)
  }
})

export const reductionOps = [sum, mean, max, min, prod, all, any, euclideanNorm, l2Loss]
