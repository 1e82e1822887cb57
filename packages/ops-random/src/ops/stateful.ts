/**
 * Stateful random ops: `RandomUniform`, `RandomStandardNormal`, `TruncatedNormal`,
 * `RandomUniformInt`. Each is declared `random: true`: the converted function then requires an
 * `rng` key (`MissingRngKeyError` without one) and the engine gives every random node its own
 * sub-key, also inside called functions and loops. TF's `seed`/`seed2` attrs are ignored, as in
 * tf2jax (a warning when they are set): the values come from the caller's key, and never
 * equal TensorFlow's (Philox).
 */
import type { BuildContext, HostTensor, Value } from "@tf2jax/core"
import { Attr, ConversionError, arrayValue, defineOp, hostValues, toArray } from "@tf2jax/core"
import { Schema } from "effect"
import { normal, truncatedNormal, uniform, uniformInt, uniformIntTraced } from "../internal/sample.js"

/** The dims of a static `shape` input. */
export const dimsOf = (t: HostTensor, where: string): Array<number> => {
  const dims = Array.from(hostValues(t))
  if (t.shape.length > 1 || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ConversionError({ where, what: `shape must be a vector of non-negative sizes, got [${dims.join(", ")}]` })
  }
  return dims
}

const warnSeeds = (a: { readonly seed?: number; readonly seed2?: number }, ctx: BuildContext): void => {
  if ((a.seed ?? 0) !== 0 || (a.seed2 ?? 0) !== 0) {
    console.warn(`tf2jax: ${ctx.where} has seed=${a.seed ?? 0}, seed2=${a.seed2 ?? 0}; seeds are ignored (values come from the rng key)`)
  }
}

const seeds = {
  seed: Schema.optionalKey(Attr.int),
  seed2: Schema.optionalKey(Attr.int)
}

const floatOp = (op: string, sample: typeof uniform) =>
  defineOp({
    ops: [op],
    attrs: Schema.Struct({ ...seeds, dtype: Attr.type, T: Attr.type }),
    inputs: ["static"],
    random: true,
    check: warnSeeds,
    run: (ctx, [shape], a) => arrayValue(sample(ctx.rng(), dimsOf(shape as HostTensor, ctx.where), a.dtype, ctx.where), a.dtype)
  })

export const randomUniform = floatOp("RandomUniform", uniform)
export const randomStandardNormal = floatOp("RandomStandardNormal", normal)
export const truncatedNormalOp = floatOp("TruncatedNormal", truncatedNormal)

export const randomUniformInt = defineOp({
  ops: ["RandomUniformInt"],
  attrs: Schema.Struct({ ...seeds, Tout: Attr.type, T: Attr.type }),
  inputs: ["static", "value", "value"],
  random: true,
  check: warnSeeds,
  run: (ctx, [shape, lo, hi], a) => randomInt(ctx.rng(), dimsOf(shape as HostTensor, ctx.where), lo as Value, hi as Value, a.Tout, ctx.where)
})

/** Integers in [lo, hi): exact modulo sampling for static bounds, float-based for traced ones. */
export const randomInt = (
  key: Parameters<typeof uniformInt>[0],
  dims: ReadonlyArray<number>,
  lo: Value,
  hi: Value,
  dtype: Parameters<typeof uniformInt>[4],
  where: string
): Value => {
  if (lo.kind === "static" && hi.kind === "static") {
    const min = hostValues(lo.tensor)[0]!
    const max = hostValues(hi.tensor)[0]!
    if (!(max > min)) {
      key.dispose()
      throw new ConversionError({ where, what: `needs minval < maxval, got [${min}, ${max})` })
    }
    return arrayValue(uniformInt(key, dims, min, max, dtype, where), dtype)
  }
  return arrayValue(uniformIntTraced(key, dims, toArray(lo, where), toArray(hi, where), dtype, where), dtype)
}

export const statefulOps = [randomUniform, randomStandardNormal, truncatedNormalOp, randomUniformInt]
