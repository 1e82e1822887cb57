/**
 * OneHot with a static depth, on/off values static or traced, any `axis` (tf2jax supports
 * only the last). Indices outside [0, depth) — negatives included — give all-off rows, as in TF.
 */
import { numpy as np } from "@jax-js/jax"
import type { HostTensor, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostFromValues, hostValues, staticValue } from "@tf2jax/core"
import { Schema } from "effect"
import { device, dtypeOf, guard, hostTensors, inputError, intOf, product, scalarArray, shapeOf } from "./common.js"

export const oneHot = defineOp({
  ops: ["OneHot"],
  attrs: Schema.Struct({ axis: Attr.int, T: Schema.optionalKey(Attr.type), TI: Schema.optionalKey(Attr.type) }),
  inputs: ["value", "static", "value", "value"],
  run: (ctx, [ii, d, onI, offI], a) => {
    const [indices, on, off] = [ii as Value, onI as Value, offI as Value]
    const { depth, axis, outShape } = guard(ctx, [indices, on, off], () => {
      const depth = intOf(ctx, d as HostTensor, "depth", false)
      if (depth < 0) throw inputError(ctx, `depth ${depth} must be non-negative`)
      if (shapeOf(ctx, on).length !== 0 || shapeOf(ctx, off).length !== 0) throw inputError(ctx, "on_value and off_value must be scalars")
      const shape = shapeOf(ctx, indices)
      if (a.axis < -1 || a.axis > shape.length) throw inputError(ctx, `axis ${a.axis} must be in [-1, ${shape.length}]`)
      const axis = a.axis === -1 ? shape.length : a.axis
      return { depth, axis, outShape: [...shape.slice(0, axis), depth, ...shape.slice(axis)] }
    })
    const dtype = dtypeOf(ctx, on)
    const host = hostTensors([indices, on, off], dtype, outShape)
    if (host) {
      const iv = hostValues(host[0]!)
      const [onV, offV] = [hostValues(host[1]!)[0]!, hostValues(host[2]!)[0]!]
      const outer = product(outShape.slice(0, axis))
      const inner = product(outShape.slice(axis + 1))
      const values = new Float64Array(product(outShape))
      // out[o, k, i] = indices[o, i] == k ? on : off
      for (let o = 0; o < outer; o++) {
        for (let k = 0; k < depth; k++) {
          for (let i = 0; i < inner; i++) values[(o * depth + k) * inner + i] = iv[o * inner + i] === k ? onV : offV
        }
      }
      return staticValue(hostFromValues(dtype, outShape, values))
    }
    const idx = device(ctx, indices)
    const shape = idx.shape
    const expanded = idx.reshape([...shape.slice(0, axis), 1, ...shape.slice(axis)])
    const classes = np.arange(depth, undefined, undefined, { dtype: idx.dtype }).reshape(outShape.map((n, i) => (i === axis ? n : 1)))
    const hit = np.equal(expanded, classes)
    return arrayValue(np.where(hit, scalarArray(ctx, on), scalarArray(ctx, off)), dtype)
  }
})

export const oneHotOps = [oneHot]
