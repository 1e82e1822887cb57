/**
 * ArgMax / ArgMin along a static `dimension`: the first index of the extremum on ties (TF's
 * rule), as int32 on the device (an int64 `output_type` is held in int32, DESIGN §8). The device
 * lowering is shared with TopKV2 (lowering/reduceIndex.ts); static inputs are folded on the host.
 */
import { numpy as np } from "@jax-js/jax"
import type { DType, HostTensor, JaxArray, Value } from "@tf2jax/core"
import { arrayValue, Attr, ConversionError, defineOp, hostFromValues, hostValues, numElements, staticValue, toArray, toNumbers } from "@tf2jax/core"
import { Schema } from "effect"
import { argMax, argMin } from "../../lowering/reduceIndex.js"
import { dtypeOf, fail, isRealType, requireDtype, shapeOf, smallEnough } from "./support.js"

/** Host arg-reduction: `better(candidate, best)` decides a strict improvement. */
const hostArg = (t: HostTensor, axis: number, better: (v: number, best: number) => boolean, out: DType): HostTensor => {
  const shape = t.shape
  const values = hostValues(t)
  const n = shape[axis]!
  const inner = numElements(shape.slice(axis + 1))
  const outer = numElements(shape.slice(0, axis))
  const result = new Float64Array(outer * inner)
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = values[o * n * inner + i]!
      let at = 0
      for (let k = 1; k < n; k++) {
        const v = values[(o * n + k) * inner + i]!
        if (better(v, best)) {
          best = v
          at = k
        }
      }
      result[o * inner + i] = at
    }
  }
  return hostFromValues(out, [...shape.slice(0, axis), ...shape.slice(axis + 1)], result)
}

const argOp = (op: "ArgMax" | "ArgMin") =>
  defineOp({
    ops: [op],
    attrs: Schema.Struct({
      T: Schema.optionalKey(Attr.type),
      Tidx: Schema.optionalKey(Attr.type),
      output_type: Schema.optionalKey(Attr.type)
    }),
    inputs: ["value", "static"],
    run: (ctx, inputs, a): Value => {
      const x = inputs[0] as Value
      const d = dtypeOf(x, a.T)
      requireDtype([x], d, (t) => isRealType(t) || t === "bool", ctx.where)
      const shape = shapeOf(x)
      const dim = toNumbers(inputs[1] as HostTensor)[0] ?? 0
      const axis = dim < 0 ? dim + shape.length : dim
      if (axis < 0 || axis >= shape.length) {
        return fail([x], new ConversionError({ where: ctx.where, what: `dimension ${dim} is out of range for rank ${shape.length}` }))
      }
      if (shape[axis] === 0) return fail([x], new ConversionError({ where: ctx.where, what: `reduction dimension ${dim} is empty` }))
      const out = a.output_type ?? "int64"
      if (x.kind === "static" && smallEnough(shape)) {
        return staticValue(hostArg(x.tensor, axis, op === "ArgMax" ? (v, b) => v > b : (v, b) => v < b, out))
      }
      let arr: JaxArray = toArray(x, ctx.where)
      if (d === "bool") arr = arr.astype(np.int32)
      return arrayValue(op === "ArgMax" ? argMax(arr, axis) : argMin(arr, axis), out)
    }
  })

export const argMaxOp = argOp("ArgMax")
export const argMinOp = argOp("ArgMin")

export const argReduceOps = [argMaxOp, argMinOp]

