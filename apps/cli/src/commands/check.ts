/**
 * `tf2jax check MODEL [--signature NAME]`: which ops have no converter. Exit 1 if any.
 */
import { findUnsupportedOps, loadModelFromPath } from "@tf2jax/core"
import type { Convertible } from "@tf2jax/core"
import { DefaultLayer } from "tf2jax"
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { UnsupportedFound } from "./shared.js"

export const check = Command.make(
  "check",
  {
    model: Argument.String("model").pipe(Argument.withDescription("The model (see `tf2jax inspect --help`)")),
    signature: Flag.String("signature").pipe(Flag.withDescription("Only this signature"), Flag.optional)
  },
  Effect.fn(function* (args) {
    const model = yield* loadModelFromPath(args.model)
    const targets: Array<[string, Convertible]> = []
    for (const sig of Object.values(model.signatures)) {
      if (args.signature._tag === "None" || args.signature.value === sig.key) targets.push([`signature ${sig.key}`, sig])
    }
    if (targets.length === 0 && args.signature._tag === "None") {
      for (const f of Object.values(model.functions)) for (const c of f.concreteFunctions) targets.push([`function ${f.path} (${c.name})`, c])
    }
    let missing = 0
    for (const [name, target] of targets) {
      const ops = yield* findUnsupportedOps(target).pipe(Effect.provide(DefaultLayer))
      missing += ops.length
      yield* Console.log(ops.length === 0 ? `${name}: all ops supported` : `${name}: ${ops.length} unsupported op type(s)`)
      for (const o of ops) yield* Console.log(`  ${o.op} ×${o.count} (e.g. node "${o.exampleNode}"${o.exampleFunction ? ` in ${o.exampleFunction}` : ""})`)
    }
    if (missing > 0) return yield* new UnsupportedFound({ count: missing })
  })
).pipe(Command.withDescription("List the ops of a model that have no converter (exit 1 if any)"))
