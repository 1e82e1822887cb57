/**
 * Asserts and debugging plumbing.
 *
 * - `Assert`: a no-op, as in tf2jax (its condition and data are released unread).
 * - `CheckNumerics` / `CheckNumericsV2`: identity. With `enableCheckifyForAsserts` (read when
 *   the function runs), a value jax-js can read — eager, or `grad` without `jit` — is checked
 *   for NaN (and, for CheckNumerics/V2, ±Inf) and a `ConversionError` carrying the op's message
 *   is thrown. jax-js has no `checkify`, so under `jit` the check cannot run and the op is an
 *   identity.
 * - `Print` passes its first input through; `PrintV2` does nothing (both print nothing).
 */
import type { Value } from "@tf2jax/core"
import { Attr, ConversionError, defineOp, isFloating } from "@tf2jax/core"
import { Schema } from "effect"
import { readConcrete } from "../internal/values.js"

export const assertOp = defineOp({
  ops: ["Assert"],
  attrs: Schema.Struct({ T: Attr.types, summarize: Schema.optionalKey(Attr.int) }),
  inputs: "ignore",
  run: () => []
})

const checkNumerics = (v2: boolean) =>
  defineOp({
    ops: [v2 ? "CheckNumericsV2" : "CheckNumerics"],
    attrs: Schema.Struct({ T: Attr.type, message: Attr.string }),
    inputs: "value",
    run: (ctx, [x], a) => {
      const v = x as Value
      if (!ctx.config.enableCheckifyForAsserts || v.kind !== "array" || !isFloating(v.dtype)) return v
      const c = readConcrete(v.array)
      if (c === undefined) return v
      let nan = false
      let inf = false
      for (let i = 0; i < c.values.length; i++) {
        const e = c.values[i]!
        if (Number.isNaN(e)) nan = true
        else if (!Number.isFinite(e)) inf = true
      }
      if (nan || inf) {
        v.array.dispose()
        const found = nan && inf ? "NaN and Inf values" : nan ? "NaN values" : "Inf values"
        throw new ConversionError({ where: ctx.where, what: `${a.message} : Tensor had ${found}` })
      }
      return v
    }
  })

export const printOp = defineOp({
  ops: ["Print"],
  attrs: Schema.Struct({
    T: Attr.type,
    U: Attr.types,
    message: Schema.optionalKey(Attr.string),
    first_n: Schema.optionalKey(Attr.int),
    summarize: Schema.optionalKey(Attr.int)
  }),
  inputs: (i) => (i === 0 ? "value" : "ignore"),
  run: (_ctx, [x]) => x as Value
})

export const printV2Op = defineOp({
  ops: ["PrintV2"],
  attrs: Schema.Struct({ output_stream: Schema.optionalKey(Attr.string), end: Schema.optionalKey(Attr.string) }),
  inputs: "ignore",
  run: () => []
})

export const assertOps = [assertOp, checkNumerics(false), checkNumerics(true), printOp, printV2Op]
