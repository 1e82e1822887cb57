/**
 * `tf2jax inspect PATH [--json]`: what a model holds — format, producer, signatures,
 * functions, variables, op histogram.
 */
import { describeModel, loadModelFromPath } from "@tf2jax/core"
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { stderrProgress } from "../progress.js"
import { renderDescription } from "../render/renderDescription.js"

export const inspect = Command.make(
  "inspect",
  {
    path: Argument.String("path").pipe(
      Argument.withDescription("A SavedModel or Hub directory, a .pb, a .meta, a TF.js model.json, or a .tar.gz")
    ),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print JSON instead of text"), Flag.withDefault(false)),
    tags: Flag.String("tags").pipe(
      Flag.withDescription("Comma-separated meta-graph tags to load (default: serve)"),
      Flag.optional
    )
  },
  Effect.fn(function* ({ path, json, tags }) {
    const progress = stderrProgress()
    const options = tags._tag === "Some" ? { tags: tags.value.split(",").filter((t) => t !== ""), onProgress: progress.onProgress } : { onProgress: progress.onProgress }
    const model = yield* loadModelFromPath(path, options).pipe(Effect.ensuring(Effect.sync(progress.stop)))
    const description = describeModel(model)
    yield* Console.log(json ? JSON.stringify(description, null, 2) : renderDescription(description))
  })
).pipe(
  Command.withDescription("Describe a TensorFlow model: format, signatures, functions, variables and ops"),
  Command.withExamples([
    { command: "tf2jax inspect path/to/saved_model_dir", description: "Summarise a SavedModel" },
    { command: "tf2jax inspect model.json --json", description: "Machine-readable description of a TF.js model" }
  ])
)
