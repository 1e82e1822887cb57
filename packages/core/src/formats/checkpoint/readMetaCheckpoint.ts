/**
 * TF1 checkpoint folders: `<name>.meta` (a MetaGraphDef) + `<prefix>.index`/`.data-*` (a
 * TensorBundle) + the text file `checkpoint` naming the latest prefix.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { ReadError } from "../../errors.js"
import { dirname, joinRelative, type ModelSource } from "../../io/ModelSource.js"
import type { TfModel } from "../../model/TfModel.js"
import { utf8 } from "../../graph/ir.js"
import type { pb } from "../../proto/decode.js"
import type { ReadOptions } from "../options.js"
import { modelFromMetaGraph } from "../savedModel/metaGraph.js"

/** `model_checkpoint_path: "…"` of a `checkpoint` state file (a CheckpointState text proto). */
export const latestCheckpointPath = (text: string): string | undefined => {
  const m = /^\s*model_checkpoint_path:\s*"((?:[^"\\]|\\.)*)"/m.exec(text)
  return m ? m[1]!.replace(/\\(.)/g, "$1") : undefined
}

/** The checkpoint prefix for a `.meta` file: from `checkpoint` if it names one here, else the meta's own stem. */
const checkpointPrefix = (source: ModelSource, metaFile: string) =>
  Effect.gen(function* () {
    const dir = dirname(metaFile)
    const stateFile = dir === "" ? "checkpoint" : `${dir}/checkpoint`
    const own = metaFile.replace(/\.meta$/, "")
    if (!(yield* source.exists(stateFile))) return own
    const named = latestCheckpointPath(utf8.decode(yield* source.read(stateFile)))
    if (named === undefined) return own
    // TF often records absolute paths of the machine that wrote it; only the basename is portable.
    const base = named.split(/[\\/]/).pop() ?? ""
    const prefix = yield* Effect.orElseSucceed(Effect.try(() => joinRelative(dir, base)), () => own)
    return (yield* source.exists(`${prefix}.index`)) ? prefix : own
  })

/** Reads a TF1 checkpoint given its decoded `.meta` MetaGraphDef. */
export const readMetaCheckpoint = (
  source: ModelSource,
  metaFile: string,
  metaGraph: pb.MetaGraphDef.$Properties,
  options: ReadOptions = {}
): Effect.Effect<TfModel, ReadError> =>
  Effect.gen(function* () {
    return yield* modelFromMetaGraph({
      source,
      file: metaFile,
      format: "checkpoint-v1",
      metaGraph,
      availableTags: [metaGraph.metaInfoDef?.tags ?? []],
      checkpointPrefix: yield* checkpointPrefix(source, metaFile),
      options
    })
  })
