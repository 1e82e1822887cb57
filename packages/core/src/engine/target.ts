/**
 * What can be converted, and how it becomes a body with a calling convention: signatures
 * (TF2: their concrete function; TF1/TF.js/frozen: a slice of the graph), concrete functions,
 * restored `tf.function`s, and graph functions given by tensor names.
 *
 * @since 0.1.0
 */
import { ConversionError } from "../errors.js"
import type { FunctionLibrary, GraphDef } from "../graph/ir.js"
import { parseTensorRef } from "../graph/ir.js"
import type {
  Capture,
  ConcreteFunction,
  RestoredFunction,
  Signature,
  Structure,
  TensorSpec,
  TfModel,
  Variable
} from "../model/TfModel.js"
import type { Body, ExtraOutputs } from "./body.js"
import { functionBody, graphBody } from "./body.js"

/** A function over a GraphDef named by its input and output tensors (like a frozen graph's). */
export interface GraphFunction {
  readonly kind: "graph-function"
  readonly graph: GraphDef
  /** Input key → tensor name ("x" → "x:0"); or tensor names, used as keys. */
  readonly inputs: Readonly<Record<string, string>> | ReadonlyArray<string>
  /** Output key → tensor name; or tensor names. */
  readonly outputs: Readonly<Record<string, string>> | ReadonlyArray<string>
  /** Variables the graph's variable ops read (by param name; `ref` names the node). */
  readonly variables?: Readonly<Record<string, Variable>>
}

/** Anything `convert*` accepts. */
export type Convertible = Signature | ConcreteFunction | RestoredFunction | GraphFunction

/** How converted outputs are returned. */
export type OutputForm =
  | { readonly kind: "record"; readonly keys: ReadonlyArray<string> }
  | { readonly kind: "structure"; readonly structure: Structure }

/** A user input: its key and spec. */
export interface TargetInput {
  readonly key: string
  readonly spec: TensorSpec
}

export interface Target {
  readonly name: string
  readonly body: Body
  readonly library: FunctionLibrary
  readonly inputs: ReadonlyArray<TargetInput>
  /** Arguments after the user inputs. */
  readonly captures: ReadonlyArray<Capture>
  readonly outputs: OutputForm
  /** Variables the function reads or writes: its parameters. */
  readonly variables: Readonly<Record<string, Variable>>
  /** Top-level variable node → parameter name (graph targets). */
  readonly variableNodes: ReadonlyMap<string, string>
}

const isSignature = (c: Convertible): c is Signature => "methodName" in c && "key" in c
const isConcrete = (c: Convertible): c is ConcreteFunction => "flatInputs" in c && "captures" in c
const isRestored = (c: Convertible): c is RestoredFunction => "concreteFunctions" in c && "path" in c

const VARIABLE_OPS = new Set(["VarHandleOp", "VariableV2", "Variable"])

/** A concrete function as a target. */
const concreteTarget = (fn: ConcreteFunction, extra: ExtraOutputs, keyed?: Signature): Target => {
  const model = fn.model
  const def = model.graph.library.functions.get(fn.name)
  if (!def) throw new ConversionError({ where: fn.name, what: "the function is not in the model's library" })
  const body = functionBody(def, model.graph.library, extra)
  const expected = fn.flatInputs.length + fn.captures.length
  if (body.argNames.length !== expected) {
    throw new ConversionError({
      where: fn.name,
      what: `the function takes ${body.argNames.length} arguments, but its signature has ${fn.flatInputs.length} inputs and ${fn.captures.length} captures`
    })
  }
  const variables: Record<string, Variable> = {}
  for (const c of fn.captures) if (c.kind === "variable") variables[c.variable] = model.variables[c.variable]!
  const inputs = fn.flatInputs.map((i) => ({ key: i.path, spec: keyed?.inputs[i.path] ?? i.spec }))
  return {
    name: keyed ? `signature ${keyed.key}` : fn.name,
    body,
    library: model.graph.library,
    inputs,
    captures: fn.captures,
    outputs: keyed ? { kind: "record", keys: Object.keys(keyed.outputs) } : { kind: "structure", structure: fn.outputs },
    variables,
    variableNodes: new Map()
  }
}

const entries = (x: Readonly<Record<string, string>> | ReadonlyArray<string>): Array<[string, string]> =>
  Array.isArray(x) ? (x as ReadonlyArray<string>).map((t) => [t, t]) : Object.entries(x as Record<string, string>)

/** A slice of a top-level graph as a target. */
const graphTarget = (
  name: string,
  graph: GraphDef,
  inputs: ReadonlyArray<TargetInput>,
  outputs: ReadonlyArray<[string, string]>,
  allVariables: Readonly<Record<string, Variable>>
): Target => {
  const body = graphBody(graph.nodes, inputs.map((i) => i.spec.name), outputs.map(([, t]) => t))
  const byNode = new Map<string, Variable>()
  for (const v of Object.values(allVariables)) if (v.ref.kind === "graph-node") byNode.set(v.ref.node, v)
  const variables: Record<string, Variable> = {}
  const variableNodes = new Map<string, string>()
  for (const b of body.nodes) {
    if (!VARIABLE_OPS.has(b.def.op)) continue
    const v = byNode.get(b.def.name)
    if (v) {
      variables[v.name] = v
      variableNodes.set(b.def.name, v.name)
    }
  }
  return {
    name,
    body,
    library: graph.library,
    inputs,
    captures: [],
    outputs: { kind: "record", keys: outputs.map(([k]) => k) },
    variables,
    variableNodes
  }
}

/** Resolves what to convert into a target. */
export const targetOf = (c: Convertible, extra: ExtraOutputs): Target => {
  if (isSignature(c)) {
    if (c.function) return concreteTarget(c.function, extra, c)
    const inputs = Object.entries(c.inputs).map(([key, spec]) => ({ key, spec }))
    const outputs = Object.entries(c.outputs).map(([key, spec]): [string, string] => [key, spec.name])
    return graphTarget(`signature ${c.key}`, c.model.graph, inputs, outputs, c.model.variables)
  }
  if (isConcrete(c)) return concreteTarget(c, extra)
  if (isRestored(c)) {
    if (c.concreteFunctions.length !== 1) {
      throw new ConversionError({
        where: c.path,
        what: `found ${c.concreteFunctions.length} concrete functions; convert one of model.concreteFunctions (${c.concreteFunctions.map((f) => f.name).join(", ")})`
      })
    }
    return concreteTarget(c.concreteFunctions[0]!, extra)
  }
  const byName = new Map(c.graph.nodes.map((n) => [n.name, n]))
  const inputs = entries(c.inputs).map(([key, tensor]) => {
    const node = byName.get(parseTensorRef(tensor).node)
    const dtype = node?.attrs["dtype"]?.kind === "type" ? (node.attrs["dtype"].value) : undefined
    const shapeAttr = node?.attrs["shape"]
    return { key, spec: { name: tensor, dtype, shape: shapeAttr?.kind === "shape" ? shapeAttr.value : null } }
  })
  return graphTarget("graph function", c.graph, inputs, entries(c.outputs), c.variables ?? {})
}

/** The model behind a convertible (graph functions have none). */
export const modelOf = (c: Convertible): TfModel | undefined =>
  "model" in c ? c.model : undefined
