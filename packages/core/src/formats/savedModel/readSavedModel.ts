/**
 * SavedModel directories (TF2 and TF1) and TF1 Hub modules (a SavedModel plus
 * `tfhub_module.pb`, whose default meta graph has an empty tag set).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { InvalidModelError } from "../../errors.js"
import type { ReadError } from "../../errors.js"
import type { ModelSource } from "../../io/ModelSource.js"
import type { TfModel } from "../../model/TfModel.js"
import { decodeMessage, pb } from "../../proto/decode.js"
import type { ReadOptions } from "../options.js"
import { tryRead } from "../tryRead.js"
import { modelFromMetaGraph } from "./metaGraph.js"

export const SAVED_MODEL_FILE = "saved_model.pb"
export const HUB_MODULE_FILE = "tfhub_module.pb"

const sameTags = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean =>
  a.length === b.length && [...a].sort().join("\u0000") === [...b].sort().join("\u0000")

const describeTags = (sets: ReadonlyArray<ReadonlyArray<string>>): string =>
  sets.map((s) => `[${s.join(", ")}]`).join(", ")

/**
 * Picks the meta graph: the exact tag set asked for; by default `serve` (or the empty set for
 * Hub modules), else the only meta graph there is, else one whose tags include `serve`.
 */
export const selectMetaGraph = (
  metaGraphs: ReadonlyArray<pb.MetaGraphDef.$Properties>,
  requested: ReadonlyArray<string> | undefined,
  defaultTags: ReadonlyArray<string>,
  file: string
): pb.MetaGraphDef.$Properties => {
  const sets = metaGraphs.map((m) => m.metaInfoDef?.tags ?? [])
  if (metaGraphs.length === 0) throw new InvalidModelError({ file, where: "meta_graphs", what: "the SavedModel has no meta graph" })
  const exact = (tags: ReadonlyArray<string>) => metaGraphs.find((_, i) => sameTags(sets[i]!, tags))
  if (requested !== undefined) {
    const m = exact(requested)
    if (m) return m
    throw new InvalidModelError({
      file,
      where: "meta_graphs",
      what: `no meta graph with tags [${requested.join(", ")}]; available: ${describeTags(sets)}`
    })
  }
  const m = exact(defaultTags) ?? (metaGraphs.length === 1 ? metaGraphs[0] : undefined) ??
    metaGraphs.find((_, i) => sets[i]!.includes("serve"))
  if (m) return m
  throw new InvalidModelError({
    file,
    where: "meta_graphs",
    what: `several meta graphs and none tagged "serve"; pass tags, one of: ${describeTags(sets)}`
  })
}

/** A Hub module's `tfhub_module.pb` must be a ModuleDef of format 3. */
const checkHubModule = (bytes: Uint8Array): void => {
  const def = decodeMessage(pb.ModuleDef, bytes, HUB_MODULE_FILE, "ModuleDef")
  if (def.format !== pb.ModuleDef.Format.FORMAT_V3) {
    throw new InvalidModelError({ file: HUB_MODULE_FILE, where: "format", what: `unsupported Hub module format ${def.format ?? 0} (expected 3)` })
  }
}

/** Reads the SavedModel (or Hub module) at the root of `source`. */
export const readSavedModel = (source: ModelSource, options: ReadOptions = {}): Effect.Effect<TfModel, ReadError> =>
  Effect.gen(function* () {
    if (!(yield* source.exists(SAVED_MODEL_FILE))) {
      for (const other of ["saved_model.pbtxt", "saved_model.cpb"]) {
        if (yield* source.exists(other)) {
          return yield* new InvalidModelError({
            file: other,
            where: "",
            what: other.endsWith("pbtxt")
              ? "text-format SavedModels are not supported; re-save it in binary form"
              : "chunked SavedModels (> 2 GB protos) are not supported"
          })
        }
      }
    }
    const bytes = yield* source.read(SAVED_MODEL_FILE)
    const isHub = yield* source.exists(HUB_MODULE_FILE)
    if (isHub) {
      const hub = yield* source.read(HUB_MODULE_FILE)
      yield* tryRead(HUB_MODULE_FILE, "", () => checkHubModule(hub))
    }
    const saved = yield* tryRead(SAVED_MODEL_FILE, "", () => decodeMessage(pb.SavedModel, bytes, SAVED_MODEL_FILE, "SavedModel"))
    const metaGraphs = saved.metaGraphs ?? []
    const metaGraph = yield* tryRead(SAVED_MODEL_FILE, "meta_graphs", () =>
      selectMetaGraph(metaGraphs, options.tags, isHub ? [] : ["serve"], SAVED_MODEL_FILE)
    )
    const hasObjectGraph = (metaGraph.objectGraphDef?.nodes?.length ?? 0) > 0
    return yield* modelFromMetaGraph({
      source,
      file: SAVED_MODEL_FILE,
      format: isHub ? "hub-module-v1" : hasObjectGraph ? "saved-model-v2" : "saved-model-v1",
      metaGraph,
      availableTags: metaGraphs.map((m) => m.metaInfoDef?.tags ?? []),
      checkpointPrefix: "variables/variables",
      options
    })
  })
