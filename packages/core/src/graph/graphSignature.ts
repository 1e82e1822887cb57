/**
 * Inputs and outputs of a graph that has no SignatureDef (frozen GraphDefs, TF1 checkpoints,
 * TF.js models without a signature): the placeholders, and the nodes nothing consumes.
 *
 * @since 0.1.0
 */
import type { DType } from "../dtype.js"
import type { TensorSpec } from "../model/TfModel.js"
import type { AttrValue, GraphDef, NodeDef, Shape } from "./ir.js"
import { parseTensorRef } from "./ir.js"

/** Ops that are never a model's result even when nothing consumes them. */
const NOT_OUTPUTS = new Set([
  "Const",
  "NoOp",
  "Placeholder",
  "PlaceholderWithDefault",
  "Assert",
  "SaveV2",
  "SaveSlices",
  "RestoreV2",
  "MergeV2Checkpoints",
  "ShardedFilename",
  "StringJoin",
  "VariableV2",
  "Variable",
  "VarHandleOp",
  "VarIsInitializedOp",
  "IsVariableInitialized",
  "Assign",
  "AssignVariableOp",
  "AssignAdd",
  "AssignSub",
  "AssignAddVariableOp",
  "AssignSubVariableOp"
])

/** Training-step ops (optimizer updates) are not inference outputs either. */
const isTrainingOp = (op: string): boolean => /^(Resource)?Apply[A-Z]/.test(op) || /^(Resource)?SparseApply/.test(op)

const firstShape = (attrs: Readonly<Record<string, AttrValue>>): Shape => {
  const shape = attrs["shape"]
  if (shape?.kind === "shape") return shape.value
  const out = attrs["_output_shapes"]
  if (out?.kind === "list" && out.value.shape.length > 0) return out.value.shape[0]!
  return null
}

/** The dtype of a node's first output, when an attr states it. */
export const firstOutputDtype = (n: NodeDef): DType | undefined => {
  for (const key of ["dtype", "T", "DstT", "out_type", "output_type", "Tout", "type"]) {
    const a = n.attrs[key]
    if (a?.kind === "type") return a.value
    if (a?.kind === "list" && a.value.type.length > 0) return a.value.type[0]
  }
  return undefined
}

/** Specs of the graph's placeholders (keyed by node name) and unconsumed nodes. */
export const graphInputsOutputs = (
  graph: GraphDef
): { inputs: Record<string, TensorSpec>; outputs: Record<string, TensorSpec> } => {
  const consumed = new Set<string>()
  for (const n of graph.nodes) for (const i of n.inputs) consumed.add(parseTensorRef(i).node)
  const inputs: Record<string, TensorSpec> = {}
  const outputs: Record<string, TensorSpec> = {}
  for (const n of graph.nodes) {
    if (n.op === "Placeholder") {
      inputs[n.name] = { name: `${n.name}:0`, dtype: firstOutputDtype(n), shape: firstShape(n.attrs) }
    } else if (!consumed.has(n.name) && !NOT_OUTPUTS.has(n.op) && !isTrainingOp(n.op) && !n.name.startsWith("save/")) {
      outputs[n.name] = { name: `${n.name}:0`, dtype: firstOutputDtype(n), shape: firstShape(n.attrs) }
    }
  }
  return { inputs, outputs }
}
