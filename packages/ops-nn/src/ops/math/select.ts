/**
 * Select and SelectV2. SelectV2 broadcasts condition, t and e together. Select (v1) takes t and e
 * of one shape and a condition of that shape, a scalar, or a vector that picks whole rows (it
 * is laid along the first axis, not broadcast against the last). The gradient goes to the chosen
 * side, as TF's.
 */
import { numpy as np } from "@jax-js/jax"
import type { Value } from "@tf2jax/core"
import { Attr, ConversionError, defineOp, hostReshape } from "@tf2jax/core"
import { Schema } from "effect"
import type { MathAttrs } from "./elementwise.js"
import { mathOp } from "./elementwise.js"
import { fail, shapeOf } from "./support.js"

export const selectV2 = mathOp({
  ops: ["SelectV2"],
  typeInput: 1,
  jax: ([c, t, e]) => np.where(c!, t!, e!),
  host: () => (c, t, e) => (c ? t! : e!)
})

/** A rank-1 condition reshaped to [n, 1, …, 1] against rank-r branches. */
const alongFirstAxis = (c: Value, rank: number): Value => {
  const n = shapeOf(c)[0]!
  const shape = [n, ...new Array<number>(rank - 1).fill(1)]
  if (c.kind === "static") return { kind: "static", tensor: hostReshape(c.tensor, shape) }
  if (c.kind === "array") return { kind: "array", array: c.array.reshape(shape), dtype: c.dtype }
  return c
}

export const select = defineOp({
  ops: ["Select"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type) }) as unknown as Schema.Codec<MathAttrs, unknown>,
  inputs: "value",
  run: (ctx, inputs, attrs) => {
    const [c, t, e] = inputs as ReadonlyArray<Value>
    const cs = shapeOf(c!)
    const ts = shapeOf(t!)
    const es = shapeOf(e!)
    const same = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => a.length === b.length && a.every((d, i) => d === b[i])
    if (!same(ts, es) || !(cs.length === 0 || same(cs, ts) || (cs.length === 1 && ts.length > 1 && cs[0] === ts[0]))) {
      fail(inputs as ReadonlyArray<Value>, new ConversionError({
        where: ctx.where,
        what: `condition [${cs.join(",")}] and branches [${ts.join(",")}], [${es.join(",")}] do not fit Select (use SelectV2 to broadcast)`
      }))
    }
    const cond = cs.length === 1 && ts.length > 1 ? alongFirstAxis(c!, ts.length) : c!
    return selectV2.run(ctx, [cond, t, e], attrs)
  }
})

export const selectOps = [select, selectV2]
