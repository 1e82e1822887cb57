/**
 * `loadModel`: any TensorFlow model, as files, → `TfModel`. The reader is chosen by content
 * (a directory's marker files, then the bytes of the file itself).
 *
 * @since 0.1.0
 */
import { Effect, FileSystem } from "effect"
import { InvalidModelError, ModelFileNotFoundError } from "../errors.js"
import type { ReadError } from "../errors.js"
import { dirname, fromFileSystem, safeRelativePath, type ModelSource } from "../io/ModelSource.js"
import type { TfModel } from "../model/TfModel.js"
import { graphFromProto } from "../proto/graphFromProto.js"
import { readMetaCheckpoint } from "./checkpoint/readMetaCheckpoint.js"
import { readFrozenGraph } from "./graphDef/readFrozenGraph.js"
import { sourceFromTarGz } from "./hub/hubTarball.js"
import type { ReadOptions } from "./options.js"
import { readSavedModel, SAVED_MODEL_FILE } from "./savedModel/readSavedModel.js"
import { sniffFile } from "./sniff.js"
import { readTfjsGraphModel } from "./tfjs/index.js"
import { tryRead } from "./tryRead.js"

/** A source rooted at a subdirectory of another. */
const subSource = (source: ModelSource, dir: string): ModelSource =>
  dir === ""
    ? source
    : {
        description: `${source.description}/${dir}`,
        read: (p) => source.read(`${dir}/${safeRelativePath(p)}`),
        exists: (p) => source.exists(`${dir}/${safeRelativePath(p)}`),
        list: (d) => source.list(d === "" ? dir : `${dir}/${safeRelativePath(d)}`)
      }

/** Picks the model file of a directory when it is not a SavedModel. */
const findEntry = (source: ModelSource, dir: string) =>
  Effect.gen(function* () {
    const prefix = dir === "" ? "" : `${dir}/`
    if (yield* source.exists(`${prefix}model.json`)) return `${prefix}model.json`
    const names = [...(yield* source.list(dir))].sort()
    const pick = (test: (n: string) => boolean) => names.filter(test)
    for (const candidates of [
      pick((n) => n.endsWith(".meta")),
      pick((n) => n.endsWith(".pb") && n !== "tfhub_module.pb" && n !== "fingerprint.pb" && n !== "keras_metadata.pb"),
      pick((n) => n.endsWith(".tar.gz") || n.endsWith(".tgz")),
      pick((n) => n.endsWith(".json"))
    ]) {
      if (candidates.length === 1) return `${prefix}${candidates[0]}`
      if (candidates.length > 1) {
        return yield* new InvalidModelError({
          file: dir === "" ? "." : dir,
          where: "",
          what: `several candidate model files (${candidates.join(", ")}); name one of them`
        })
      }
    }
    return yield* new ModelFileNotFoundError({
      file: dir === "" ? "." : dir,
      reason: "no TensorFlow model here (no saved_model.pb, model.json, .meta, .pb or .tar.gz)"
    })
  })

/**
 * Reads the model at `entry` (a path relative to the source root; "" = the root itself, a
 * directory) from `source`.
 */
export const loadModelFrom = (
  source: ModelSource,
  entry = "",
  options: ReadOptions = {}
): Effect.Effect<TfModel, ReadError> =>
  Effect.gen(function* () {
    const rel = yield* tryRead(entry, "", () => safeRelativePath(entry))
    const isFile = rel !== "" && (yield* source.exists(rel))
    if (!isFile) {
      const dir = rel
      if (yield* source.exists(dir === "" ? SAVED_MODEL_FILE : `${dir}/${SAVED_MODEL_FILE}`)) {
        return yield* readSavedModel(subSource(source, dir), options)
      }
      return yield* loadFile(source, yield* findEntry(source, dir), options)
    }
    return yield* loadFile(source, rel, options)
  })

const loadFile = (source: ModelSource, file: string, options: ReadOptions): Effect.Effect<TfModel, ReadError> =>
  Effect.gen(function* () {
    const dir = dirname(file)
    const base = file.slice(dir === "" ? 0 : dir.length + 1)
    if (base === SAVED_MODEL_FILE) return yield* readSavedModel(subSource(source, dir), options)
    const bytes = yield* source.read(file)
    const sniffed = yield* tryRead(file, "", () => sniffFile(bytes, file))
    switch (sniffed.kind) {
      case "json":
        return yield* readTfjsGraphModel(subSource(source, dir), base, options)
      case "tar-gz": {
        const inner = yield* tryRead(file, "", () => sourceFromTarGz(bytes, file, `${source.description}/${file}`))
        return yield* loadModelFrom(inner, "", options)
      }
      case "saved-model":
        return yield* readSavedModel(subSource(source, dir), options)
      case "meta-graph":
        return yield* readMetaCheckpoint(subSource(source, dir), base, sniffed.message, options)
      case "graph-def": {
        const graph = yield* tryRead(file, "graph", () => graphFromProto(sniffed.message, file))
        return yield* readFrozenGraph(subSource(source, dir), graph)
      }
    }
  })

/**
 * Reads the model at a file-system path (a SavedModel or Hub directory, a `.pb`, a `.meta`, a
 * `model.json`, a `.tar.gz`, or a directory holding one of them). Needs Effect's
 * `FileSystem` (`NodeServices.layer` from `@effect/platform-node` on Node).
 */
export const loadModelFromPath = (
  path: string,
  options: ReadOptions = {}
): Effect.Effect<TfModel, ReadError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(path).pipe(
      Effect.mapError(() => new ModelFileNotFoundError({ file: path, reason: "no such file or directory" }))
    )
    if (info.type === "Directory") return yield* loadModelFrom(yield* fromFileSystem(path), "", options)
    const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"))
    const dir = cut < 0 ? "." : path.slice(0, cut) || "/"
    return yield* loadModelFrom(yield* fromFileSystem(dir), path.slice(cut + 1), options)
  })
