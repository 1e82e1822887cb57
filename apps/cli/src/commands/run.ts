/**
 * `tf2jax run MODEL [--signature NAME] --input name=file.npy … [--jit] [--seed N] --out DIR`:
 * converts a signature and runs it on `.npy` inputs, writing one `.npy` per output.
 */
import { jit, random } from "@jax-js/jax"
import type { JaxArray, Signature } from "@tf2jax/core"
import { convertFromRestored, loadModelFromPath } from "@tf2jax/core"
import { DefaultLayer } from "tf2jax"
import { Console, Effect, FileSystem, Path } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { arrayFromNpy, npyFromArray } from "../npy.js"
import { pickSignature, UsageError } from "./shared.js"

export const run = Command.make(
  "run",
  {
    model: Argument.String("model").pipe(Argument.withDescription("The model (see `tf2jax inspect --help`)")),
    signature: Flag.String("signature").pipe(Flag.withDescription("Signature key (default: serving_default, or the only one)"), Flag.optional),
    input: Flag.String("input").pipe(
      Flag.withDescription("An input as key=path.npy (repeat for each input)"),
      Flag.atLeast(0)
    ),
    jit: Flag.Boolean("jit").pipe(Flag.withDescription("Run under jax-js jit"), Flag.withDefault(false)),
    seed: Flag.Int("seed").pipe(Flag.withDescription("PRNG seed when the model has random ops"), Flag.withDefault(0)),
    out: Flag.String("out").pipe(Flag.withDescription("Directory for the output .npy files"))
  },
  Effect.fn(function* (args) {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const model = yield* loadModelFromPath(args.model)
    const sig: Signature = yield* pickSignature(model, args.signature._tag === "Some" ? args.signature.value : undefined)
    const inputs: Record<string, JaxArray> = {}
    for (const spec of args.input) {
      const eq = spec.indexOf("=")
      if (eq <= 0) return yield* new UsageError({ what: `--input "${spec}" must be key=path.npy` })
      const key = spec.slice(0, eq)
      if (!(key in sig.inputs)) {
        return yield* new UsageError({ what: `signature ${sig.key} has no input "${key}" (inputs: ${Object.keys(sig.inputs).join(", ")})` })
      }
      const file = spec.slice(eq + 1)
      const bytes = yield* fs.readFile(file)
      inputs[key] = yield* Effect.try({ try: () => arrayFromNpy(bytes, file), catch: (e) => new UsageError({ what: String(e instanceof Error ? e.message : e) }) })
    }
    const { fn, params } = yield* convertFromRestored(sig).pipe(Effect.provide(DefaultLayer))
    const options = fn.requiresRng ? { rng: random.key(args.seed) } : {}
    const call = args.jit ? jit(fn) : fn
    const [outputs] = yield* Effect.try({ try: () => call(params, inputs, options), catch: (e) => e })
    yield* fs.makeDirectory(args.out, { recursive: true })
    for (const [key, array] of Object.entries(outputs as Record<string, JaxArray>)) {
      const file = path.join(args.out, `${key.replace(/[^A-Za-z0-9_.-]/g, "_")}.npy`)
      const bytes = yield* Effect.promise(() => npyFromArray(array))
      yield* fs.writeFile(file, bytes)
      yield* Console.log(`${key}: ${String(array.dtype)}[${array.shape.join(",")}] → ${file}`)
    }
  })
).pipe(Command.withDescription("Run a model's signature on .npy inputs and write .npy outputs"))
