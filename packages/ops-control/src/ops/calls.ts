/**
 * Function calls: `PartitionedCall` / `StatefulPartitionedCall` run a library function (named
 * by attr `f`) on the inputs. Parameters are shared with the caller, so variable reads and
 * assignments inside the callee see and update the same values.
 */
import type { Value } from "@tf2jax/core"
import { Attr, defineOp } from "@tf2jax/core"
import { Schema } from "effect"

export const partitionedCall = defineOp({
  ops: ["PartitionedCall", "StatefulPartitionedCall"],
  attrs: Schema.Struct({
    f: Attr.func,
    Tin: Attr.types,
    Tout: Attr.types,
    config: Schema.optionalKey(Attr.string),
    config_proto: Schema.optionalKey(Attr.string),
    executor_type: Schema.optionalKey(Attr.string)
  }),
  inputs: "raw",
  calls: (a) => [a.f.name],
  run: (ctx, inputs, a) => {
    const fn = ctx.fn(a.f.name)
    return fn.call(inputs as ReadonlyArray<Value>, fn.needsRng ? ctx.rng() : undefined)
  }
})

export const callOps = [partitionedCall]
