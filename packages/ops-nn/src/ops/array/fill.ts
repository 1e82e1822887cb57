/**
 * Tensor creation: Fill, Range, ZerosLike, OnesLike, Empty. Dims, range bounds and Empty's
 * shape must be static (they fix the output shape); results from static inputs stay static.
 */
import { numpy as np } from "@jax-js/jax"
import type { DType, HostTensor, OpContext, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostFromValues, hostToArray, hostValues, staticValue } from "@tf2jax/core"
import { Schema } from "effect"
import { device, dtypeOf, fmt, guard, inputError, intsOf, isStatic, jaxDtype, keepStatic, shapeOf, type Ctx } from "./common.js"
import { hostFull, rawNumber, rawScalar } from "./hostIndex.js"

const dimsOf = (ctx: Ctx, t: HostTensor): Array<number> => {
  if (t.shape.length > 1) throw inputError(ctx, `dims must be a vector, got shape ${fmt(t.shape)}`)
  const dims = intsOf(ctx, t, "dims")
  if (dims.some((d) => d < 0)) throw inputError(ctx, `dims ${fmt(dims)} must be non-negative`)
  return dims
}

/** A device array of `shape` filled with a host number (or bool). */
const deviceFull = (ctx: OpContext, dtype: DType, shape: ReadonlyArray<number>, value: number): Value =>
  arrayValue(np.full([...shape], dtype === "bool" ? value !== 0 : value, { dtype: jaxDtype(ctx, dtype) }), dtype)

export const fill = defineOp({
  ops: ["Fill"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), index_type: Schema.optionalKey(Attr.type) }),
  inputs: ["static", "value"],
  run: (ctx, [d, x]) => {
    const v = x as Value
    const dims = guard(ctx, [v], () => {
      if (shapeOf(ctx, v).length !== 0) throw inputError(ctx, `value must be a scalar, got shape ${fmt(shapeOf(ctx, v))}`)
      return dimsOf(ctx, d as HostTensor)
    })
    const dtype = dtypeOf(ctx, v)
    if (isStatic(v)) {
      if (keepStatic(dtype, dims)) return staticValue(hostFull(dtype, dims, rawScalar(v.tensor)))
      return deviceFull(ctx, dtype, dims, hostValues(v.tensor)[0]!)
    }
    return arrayValue(np.broadcastTo(device(ctx, v), dims), dtype)
  }
})

/** Range(start, limit, delta) as TF computes it: `start + i·delta` in the output dtype. */
export const range = defineOp({
  ops: ["Range"],
  attrs: Schema.Struct({ Tidx: Schema.optionalKey(Attr.type) }),
  inputs: "static",
  run: (ctx, inputs) => {
    const [s, l, dl] = inputs as ReadonlyArray<HostTensor>
    const dtype = s!.dtype
    const isInt = !dtype.startsWith("float") && dtype !== "bfloat16"
    // float32 arithmetic is rounded like TF's (float64 and ints are exact in JS numbers).
    const r = dtype === "float64" || isInt ? (x: number) => x : Math.fround
    const scalar = (t: HostTensor, what: string): number => {
      if (t.shape.length !== 0 && !(t.shape.length === 1 && t.shape[0] === 1)) throw inputError(ctx, `${what} must be a scalar`)
      return r(hostValues(t)[0]!)
    }
    const [start, limit, delta] = [scalar(s!, "start"), scalar(l!, "limit"), scalar(dl!, "delta")]
    if (delta === 0) throw inputError(ctx, "delta must not be zero")
    if (delta > 0 ? start > limit : start < limit) {
      throw inputError(ctx, `requires start ${delta > 0 ? "<=" : ">="} limit when delta ${delta > 0 ? ">" : "<"} 0: ${start}/${limit}`)
    }
    const n = isInt ? Math.ceil(Math.abs(limit - start) / Math.abs(delta)) : Math.ceil(Math.abs(r(r(limit - start) / delta)))
    const values = Array.from({ length: n }, (_, i) => r(start + r(r(i) * delta)))
    const t = hostFromValues(dtype, [n], values)
    return keepStatic(dtype, [n]) ? staticValue(t) : arrayValue(hostToArray(t, ctx.where), dtype)
  }
})

/** ZerosLike / OnesLike: same dtype and shape; static in, static out. */
const likeOp = (op: string, one: boolean) =>
  defineOp({
    ops: [op],
    attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type) }),
    inputs: "value",
    run: (ctx, [x]) => {
      const v = x as Value
      const dtype = guard(ctx, [v], () => dtypeOf(ctx, v))
      const shape = shapeOf(ctx, v)
      if (isStatic(v)) {
        if (keepStatic(dtype, shape)) return staticValue(hostFull(dtype, shape, rawNumber(dtype, one ? 1 : 0)))
        return deviceFull(ctx, dtype, shape, one ? 1 : 0)
      }
      // zerosLike/onesLike keep vmap's batch dimension (np.zeros(x.shape) would not).
      const arr = device(ctx, v)
      return arrayValue(one ? np.onesLike(arr) : np.zerosLike(arr), dtype)
    }
  })

export const zerosLike = likeOp("ZerosLike", false)
export const onesLike = likeOp("OnesLike", true)

/** Empty: TF leaves the contents uninitialised unless `init`; zeros are a valid answer either way. */
export const empty = defineOp({
  ops: ["Empty"],
  attrs: Schema.Struct({ dtype: Attr.type, init: Attr.bool }),
  inputs: ["static"],
  run: (ctx, [s], a) => {
    const dims = dimsOf(ctx, s as HostTensor)
    if (keepStatic(a.dtype, dims)) return staticValue(hostFull(a.dtype, dims, rawNumber(a.dtype, 0)))
    return deviceFull(ctx, a.dtype, dims, 0)
  }
})

export const fillOps = [fill, range, zerosLike, onesLike, empty]
