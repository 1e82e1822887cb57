/**
 * One `MetaGraphDef` plus its checkpoint → `TfModel`. Shared by TF2/TF1 SavedModels, TF1
 * Hub modules and TF1 `.meta` checkpoints.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { InvalidModelError } from "../../errors.js"
import type { ReadError } from "../../errors.js"
import { graphInputsOutputs } from "../../graph/graphSignature.js"
import type { GraphDef } from "../../graph/ir.js"
import { formatShape } from "../../HostTensor.js"
import type { ModelSource } from "../../io/ModelSource.js"
import type { Asset, ModelFormat, Signature, TfModel, Variable } from "../../model/TfModel.js"
import { decodeMessage, pb } from "../../proto/decode.js"
import { graphFromProto } from "../../proto/graphFromProto.js"
import type { ReadOptions } from "../options.js"
import type { TensorBundle } from "../tensorBundle/index.js"
import { readTensorBundle, trackableObjectGraph } from "../tensorBundle/index.js"
import { tryRead } from "../tryRead.js"
import { graphVariables } from "./graphVariables.js"
import {
  checkpointKeys,
  concreteFunctions,
  defaultCheckpointKey,
  objectVariables,
  restoredFunctions,
  signatureFunctions
} from "./objectGraph.js"
import { INIT_OP_SIGNATURE, specsOf } from "./signatureDefs.js"

/** Where a meta graph came from and where its variables live. */
export interface MetaGraphInput {
  readonly source: ModelSource
  /** The file the meta graph was read from (for messages). */
  readonly file: string
  readonly format: ModelFormat
  readonly metaGraph: pb.MetaGraphDef.$Properties
  /** Tag sets of all meta graphs in the file. */
  readonly availableTags: ReadonlyArray<ReadonlyArray<string>>
  /** Checkpoint prefix relative to the source root ("variables/variables"), if any. */
  readonly checkpointPrefix: string | undefined
  readonly options: ReadOptions
}

/** Opens the checkpoint if its index exists. */
const openBundle = (source: ModelSource, prefix: string | undefined) =>
  prefix === undefined
    ? Effect.succeed(undefined)
    : Effect.flatMap(source.exists(`${prefix}.index`), (ok) =>
        ok ? Effect.map(readTensorBundle(source, prefix), (b): TensorBundle | undefined => b) : Effect.succeed(undefined)
      )

const checkVariable = (v: Variable, file: string): Variable => {
  if (v.value.dtype !== v.dtype || formatShape(v.value.shape) !== formatShape(v.shape)) {
    throw new InvalidModelError({
      file,
      where: `checkpoint key "${v.checkpointKey}"`,
      what: `variable "${v.name}" is ${v.dtype}${formatShape(v.shape)} but the checkpoint holds ${v.value.dtype}${formatShape(v.value.shape)}`
    })
  }
  return v
}

/** TF2: variables of the object graph, valued from the checkpoint through the TrackableObjectGraph. */
const objectGraphVariables = (input: MetaGraphInput, og: pb.SavedObjectGraph.$Properties, bundle: TensorBundle | undefined) =>
  Effect.gen(function* () {
    const vars = yield* tryRead(input.file, "object graph", () => objectVariables(og, input.file))
    if (vars.length === 0) return { variables: [] as Array<Variable>, notes: [] as Array<string> }
    const prefix = input.checkpointPrefix ?? "variables/variables"
    if (!bundle) {
      return yield* new InvalidModelError({
        file: `${prefix}.index`,
        where: "",
        what: `the model has ${vars.length} variable(s) but no checkpoint`
      })
    }
    const keys = checkpointKeys(og, yield* trackableObjectGraph(bundle))
    const variables: Array<Variable> = []
    for (const [k, v] of vars.entries()) {
      const key = keys.get(v.nodeId) ?? defaultCheckpointKey(v.path)
      if (!bundle.entries.has(key)) {
        return yield* new InvalidModelError({
          file: `${prefix}.index`,
          where: `key "${key}"`,
          what: `no value for variable "${v.name}" (object graph node ${v.nodeId})`
        })
      }
      const value = yield* bundle.read(key)
      variables.push(
        checkVariable(
          { name: v.name, dtype: v.dtype, shape: v.shape, value, trainable: v.trainable, checkpointKey: key, ref: { kind: "object", nodeId: v.nodeId } },
          input.file
        )
      )
      input.options.onProgress?.({ stage: "variables", done: k + 1, total: vars.length })
    }
    return { variables, notes: [] as Array<string> }
  })

/** TF1: variable ops of the graph, valued from the checkpoint by restore key or name. */
const graphVariablesWithValues = (input: MetaGraphInput, graph: GraphDef, bundle: TensorBundle | undefined) =>
  Effect.gen(function* () {
    const found = yield* tryRead(input.file, "collections", () => graphVariables(graph, input.metaGraph.collectionDef, input.file))
    const variables: Array<Variable> = []
    const notes: Array<string> = []
    for (const [k, gv] of found.entries()) {
      const key = bundle ? gv.keys.find((c) => bundle.entries.has(c)) : undefined
      if (!bundle || key === undefined) {
        notes.push(`variable "${gv.node}" (${gv.op}) has no value in the checkpoint; it is not a parameter`)
        continue
      }
      const value = yield* bundle.read(key)
      if (gv.dtype !== undefined && gv.dtype !== value.dtype) {
        return yield* new InvalidModelError({
          file: input.file,
          where: `variable "${gv.node}"`,
          what: `declared ${gv.dtype} but checkpoint key "${key}" holds ${value.dtype}`
        })
      }
      variables.push({
        name: gv.node,
        dtype: value.dtype,
        shape: value.shape,
        value,
        trainable: gv.trainable,
        checkpointKey: key,
        ref: { kind: "graph-node", node: gv.node }
      })
      input.options.onProgress?.({ stage: "variables", done: k + 1, total: found.length })
    }
    return { variables, notes }
  })

/** Asset files: `asset_file_def` (TF2) or the `saved_model_assets` collection (TF1). */
const assetFiles = (mg: pb.MetaGraphDef.$Properties, file: string): Array<string> => {
  const defs = [...(mg.assetFileDef ?? [])]
  for (const any of mg.collectionDef?.["saved_model_assets"]?.anyList?.value ?? []) {
    if (any.value) defs.push(decodeMessage(pb.AssetFileDef, any.value, file, "saved_model_assets AssetFileDef"))
  }
  return defs.map((d) => `assets/${d.filename ?? ""}`)
}

const readAssets = (source: ModelSource, paths: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const assets: Record<string, Asset> = {}
    for (const path of paths) {
      const bytes = yield* Effect.orElseSucceed(source.read(path), () => undefined)
      assets[path] = { path, size: bytes?.length ?? -1 }
    }
    return assets
  })

const byName = <T extends { readonly name: string }>(items: ReadonlyArray<T>): Record<string, T> =>
  Object.fromEntries(items.map((x) => [x.name, x]))

/** Builds the model from one meta graph. */
export const modelFromMetaGraph = (input: MetaGraphInput): Effect.Effect<TfModel, ReadError> =>
  Effect.gen(function* () {
    const { metaGraph: mg, file } = input
    if (!mg.graphDef) return yield* new InvalidModelError({ file, where: "meta graph", what: "has no graph_def" })
    const graph = yield* tryRead(file, "graph_def", () => graphFromProto(mg.graphDef!, file))
    const bundle = yield* openBundle(input.source, input.checkpointPrefix)
    const og = mg.objectGraphDef && (mg.objectGraphDef.nodes?.length ?? 0) > 0 ? mg.objectGraphDef : undefined
    const { variables, notes } = og
      ? yield* objectGraphVariables(input, og, bundle)
      : yield* graphVariablesWithValues(input, graph, bundle)
    const assetPaths = yield* tryRead(file, "assets", () => assetFiles(mg, file))
    const assets = yield* readAssets(input.source, assetPaths)

    const model: { -readonly [K in keyof TfModel]: TfModel[K] } = {
      format: input.format,
      source: input.source.description,
      producer: {
        tensorflowVersion: mg.metaInfoDef?.tensorflowVersion || undefined,
        tensorflowGitVersion: mg.metaInfoDef?.tensorflowGitVersion || undefined,
        graphProducer: graph.producer,
        minConsumer: graph.minConsumer,
        converter: undefined
      },
      tags: mg.metaInfoDef?.tags ?? [],
      availableTags: input.availableTags,
      graph,
      signatures: {},
      concreteFunctions: {},
      functions: {},
      variables: byName(variables),
      assets,
      notes
    }
    let sigFunctions = new Map<string, string>()
    if (og) {
      const variableNames = new Map(variables.map((v) => [v.ref.kind === "object" ? v.ref.nodeId : -1, v.name]))
      const concrete = yield* tryRead(file, "object graph", () =>
        concreteFunctions({ model, file, og, graph, variableNames, assetFiles: assetPaths })
      )
      model.concreteFunctions = concrete
      model.functions = yield* tryRead(file, "object graph", () => restoredFunctions(og, concrete, file, model))
      sigFunctions = signatureFunctions(og)
    }
    const signatures: Record<string, Signature> = {}
    const defs = mg.signatureDef ?? {}
    yield* tryRead(file, "signature_def", () => {
        for (const key of Object.keys(defs).sort()) {
          if (key === INIT_OP_SIGNATURE) continue
          const def = defs[key]!
          const fnName = sigFunctions.get(key)
          signatures[key] = {
            key,
            methodName: def.methodName ?? "",
            inputs: specsOf(def.inputs, { file, where: `signature "${key}" inputs` }),
            outputs: specsOf(def.outputs, { file, where: `signature "${key}" outputs` }),
            function: fnName === undefined ? undefined : model.concreteFunctions[fnName],
            model
          }
        }
    })
    if (Object.keys(signatures).length === 0 && !og && input.format === "checkpoint-v1") {
      const { inputs, outputs } = graphInputsOutputs(graph)
      signatures["serving_default"] = { key: "serving_default", methodName: "", inputs, outputs, function: undefined, model }
    }
    model.signatures = signatures
    return model as TfModel
  })
