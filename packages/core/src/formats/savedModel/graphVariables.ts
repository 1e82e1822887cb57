/**
 * Variables of TF1 graphs (SavedModel v1, Hub modules, `.meta` checkpoints): the variable
 * ops of the top-level graph and the checkpoint key each is restored from.
 *
 * @since 0.1.0
 */
import type { DType } from "../../dtype.js"
import type { GraphDef, NodeDef } from "../../graph/ir.js"
import { attrString, parseTensorRef, utf8 } from "../../graph/ir.js"
import { decodeMessage, pb } from "../../proto/decode.js"

/** Ops that own a variable's storage. */
export const VARIABLE_OPS = new Set(["VariableV2", "Variable", "VarHandleOp"])

/** A variable op found in a graph. */
export interface GraphVariable {
  /** The variable op's node name; also its parameter name. */
  readonly node: string
  readonly op: string
  readonly dtype: DType | undefined
  /** Candidate checkpoint keys, best first. */
  readonly keys: ReadonlyArray<string>
  readonly trainable: boolean
}

/**
 * Checkpoint key → variable node from the saver's restore subgraph: each `RestoreV2` has a
 * Const of tensor names, and `Assign`/`AssignVariableOp` nodes feed output k into a variable.
 */
const restoreKeys = (graph: GraphDef, byName: ReadonlyMap<string, NodeDef>): Map<string, string> => {
  const keyOfOutput = new Map<string, string>()
  for (const n of graph.nodes) {
    if (n.op !== "RestoreV2" && n.op !== "Restore" && n.op !== "RestoreSlice") continue
    const namesRef = n.inputs[1]
    const names = namesRef ? byName.get(parseTensorRef(namesRef).node)?.attrs["value"] : undefined
    if (names?.kind !== "tensor" || names.value.dtype !== "string") continue
    ;(names.value.data as ReadonlyArray<Uint8Array>).forEach((bytes, k) => keyOfOutput.set(`${n.name}:${k}`, utf8.decode(bytes)))
  }
  const out = new Map<string, string>()
  for (const n of graph.nodes) {
    if (n.op !== "Assign" && n.op !== "AssignVariableOp") continue
    const [target, value] = n.inputs
    if (!target || !value) continue
    const v = parseTensorRef(value)
    const key = keyOfOutput.get(`${v.node}:${v.kind === "output" ? v.index : 0}`)
    if (key !== undefined) out.set(parseTensorRef(target).node, key)
  }
  return out
}

/** Variable names (without ":0") listed in a collection of VariableDefs. */
const collectionVariables = (
  collections: { readonly [k: string]: pb.CollectionDef.$Properties } | null | undefined,
  name: string,
  file: string
): Set<string> | undefined => {
  const c = collections?.[name]
  if (!c?.bytesList) return undefined
  const out = new Set<string>()
  for (const bytes of c.bytesList.value ?? []) {
    const def = decodeMessage(pb.VariableDef, bytes, file, `collection "${name}" VariableDef`)
    out.add(parseTensorRef(def.variableName ?? "").node)
  }
  return out
}

/** The variables of a TF1 graph with candidate checkpoint keys and trainability. */
export const graphVariables = (
  graph: GraphDef,
  collections: { readonly [k: string]: pb.CollectionDef.$Properties } | null | undefined,
  file: string
): Array<GraphVariable> => {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]))
  const restored = restoreKeys(graph, byName)
  const trainable = collectionVariables(collections, "trainable_variables", file)
  return graph.nodes
    .filter((n) => VARIABLE_OPS.has(n.op) && !n.name.startsWith("save/"))
    .map((n) => {
      const dtype = n.attrs["dtype"]
      const shared = attrString(n.attrs, "shared_name")
      const keys = [restored.get(n.name), n.name, shared].filter((k): k is string => k !== undefined && k !== "")
      return {
        node: n.name,
        op: n.op,
        dtype: dtype?.kind === "type" ? dtype.value : undefined,
        keys: [...new Set(keys)],
        // Without a trainable_variables collection, TF1 treated variables as trainable.
        trainable: trainable === undefined ? true : trainable.has(n.name)
      }
    })
}
