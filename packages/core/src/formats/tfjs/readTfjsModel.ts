/**
 * `readTfjsGraphModel`: a TF.js graph model (`model.json` + weight shards) → `TfModel`.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { ReadError } from "../../errors.js"
import type { GraphDef } from "../../graph/ir.js"
import type { HostTensor } from "../../HostTensor.js"
import { safeRelativePath, type ModelSource } from "../../io/ModelSource.js"
import type { Signature, TfModel } from "../../model/TfModel.js"
import type { ReadOptions } from "../options.js"
import { tryRead } from "../tryRead.js"
import { weightResolver } from "./constants.js"
import { graphFromJson } from "./graphFromJson.js"
import { decodeModelJson, type ModelJson } from "./modelJson.js"
import { graphModelSignature, type SignatureSpecs } from "./signature.js"
import { readWeights, type LoadedWeights } from "./weights.js"

/** What a TF.js graph model has beyond `TfModel`. */
export interface TfjsExtras {
  /**
   * Manifest weights that no Const node refers to. TF.js loads them and never uses them; we
   * keep them here (they are not part of `graph`) rather than drop them silently.
   */
  readonly unusedWeights: ReadonlyMap<string, HostTensor>
  /** `modelInitializer`: a graph TF.js runs once before inference (hash tables), if any. */
  readonly initializer: { readonly graph: GraphDef; readonly signature: SignatureSpecs } | undefined
  /** Bytes of weight shards read. */
  readonly weightBytes: number
}

/** A TF.js graph model as read: a `TfModel` plus the TF.js specifics. */
export interface TfjsGraphModel extends TfModel {
  readonly format: "tfjs-graph-model"
  readonly notes: ReadonlyArray<string>
  readonly tfjs: TfjsExtras
}

const buildModel = (source: ModelSource, file: string, json: ModelJson, loaded: LoadedWeights): TfjsGraphModel => {
  const used = new Set<string>()
  const constValue = weightResolver(loaded.tensors, used, file)
  const graph = graphFromJson(json.modelTopology, file, { where: "modelTopology", constValue })
  const initializer = json.modelInitializer
    ? graphFromJson(json.modelInitializer, file, { where: "modelInitializer", constValue })
    : undefined

  const topSignature = json.signature ?? undefined
  const sigPath = topSignature ? ["signature"] : ["userDefinedMetadata", "signature"]
  const specs = graphModelSignature(graph, topSignature ?? json.userDefinedMetadata?.signature ?? undefined, sigPath, file)

  const unusedWeights = new Map([...loaded.tensors].filter(([name]) => !used.has(name)))
  const notes = [...loaded.notes]
  if (unusedWeights.size > 0) notes.push(`${unusedWeights.size} weight(s) of the manifest are used by no Const node (kept in tfjs.unusedWeights)`)

  const signatures: Record<string, Signature> = {}
  const model: TfjsGraphModel = {
    format: "tfjs-graph-model",
    source: source.description === "" ? file : `${source.description}/${file}`,
    producer: {
      tensorflowVersion: json.generatedBy ?? undefined,
      tensorflowGitVersion: undefined,
      graphProducer: graph.producer,
      minConsumer: graph.minConsumer,
      converter: json.convertedBy ?? undefined
    },
    tags: [],
    availableTags: [],
    graph,
    signatures,
    concreteFunctions: {},
    functions: {},
    variables: {},
    assets: {},
    notes,
    tfjs: {
      unusedWeights,
      initializer: initializer && {
        graph: initializer,
        signature: graphModelSignature(initializer, json.initializerSignature ?? undefined, ["initializerSignature"], file)
      },
      weightBytes: loaded.shardBytes
    }
  }
  // The graph-pruning signature: no concrete function, outputs computed from `model.graph`.
  signatures["serving_default"] = { key: "serving_default", ...specs, function: undefined, model }
  return model
}

/**
 * Reads a TF.js graph model: `jsonPath` (relative to the source root, e.g. "model.json" or
 * "facemesh.json") and the weight shards its manifest names, relative to its directory.
 * Progress is reported per shard file (`stage` "weights").
 */
export const readTfjsGraphModel = (
  source: ModelSource,
  jsonPath: string,
  options: ReadOptions = {}
): Effect.Effect<TfjsGraphModel, ReadError> =>
  Effect.gen(function* () {
    const file = yield* tryRead(jsonPath, "", () => safeRelativePath(jsonPath))
    const bytes = yield* source.read(file)
    const json = yield* tryRead(file, "", () => decodeModelJson(bytes, file))
    const loaded = yield* readWeights(source, json.weightsManifest ?? [], file, options)
    return yield* tryRead(file, "", () => buildModel(source, file, json, loaded))
  })
