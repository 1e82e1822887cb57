/**
 * Frozen GraphDefs (`.pb`): a bare GraphDef whose variables were folded into constants. It
 * has no SignatureDef, so the signature is synthesized from placeholders and sink nodes.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { graphInputsOutputs } from "../../graph/graphSignature.js"
import type { GraphDef } from "../../graph/ir.js"
import type { ModelSource } from "../../io/ModelSource.js"
import type { Signature, TfModel } from "../../model/TfModel.js"
import { VARIABLE_OPS } from "../savedModel/graphVariables.js"

/** Wraps a decoded GraphDef (IR) as a model. */
export const modelFromGraphDef = (source: ModelSource, graph: GraphDef): TfModel => {
  const { inputs, outputs } = graphInputsOutputs(graph)
  const variableOps = graph.nodes.filter((n) => VARIABLE_OPS.has(n.op))
  const model: { -readonly [K in keyof TfModel]: TfModel[K] } = {
    format: "frozen-graph",
    source: source.description,
    producer: {
      tensorflowVersion: undefined,
      tensorflowGitVersion: undefined,
      graphProducer: graph.producer,
      minConsumer: graph.minConsumer,
      converter: undefined
    },
    tags: [],
    availableTags: [],
    graph,
    signatures: {},
    concreteFunctions: {},
    functions: {},
    variables: {},
    assets: {},
    notes: variableOps.map((n) => `variable op "${n.name}" (${n.op}) has no value in a bare GraphDef`)
  }
  const signature: Signature = { key: "serving_default", methodName: "", inputs, outputs, function: undefined, model }
  model.signatures = { serving_default: signature }
  return model
}

/** Reads a frozen GraphDef already decoded to IR. */
export const readFrozenGraph = (source: ModelSource, graph: GraphDef): Effect.Effect<TfModel> =>
  Effect.sync(() => modelFromGraphDef(source, graph))
