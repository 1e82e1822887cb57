/**
 * A plain, JSON-ready description of a model: what `tf2jax inspect` prints.
 *
 * @since 0.1.0
 */
import type { DType } from "../dtype.js"
import { hostBytes } from "../HostTensor.js"
import { reachableFunctions } from "../graph/ir.js"
import type { Shape } from "../graph/ir.js"
import type { Structure, TensorSpec, TfModel } from "../model/TfModel.js"

export interface TensorDescription {
  readonly key: string
  readonly name: string
  readonly dtype: DType | null
  /** null = unknown rank; -1 = unknown dim. */
  readonly shape: Shape
}

export interface ModelDescription {
  readonly format: TfModel["format"]
  readonly source: string
  readonly tensorflowVersion: string | null
  readonly graphProducer: number
  readonly converter: string | null
  readonly tags: ReadonlyArray<string>
  readonly availableTags: ReadonlyArray<ReadonlyArray<string>>
  readonly signatures: ReadonlyArray<{
    readonly key: string
    readonly methodName: string
    readonly function: string | null
    readonly inputs: ReadonlyArray<TensorDescription>
    readonly outputs: ReadonlyArray<TensorDescription>
  }>
  readonly functions: ReadonlyArray<{ readonly path: string; readonly concreteFunctions: ReadonlyArray<string> }>
  readonly concreteFunctions: ReadonlyArray<{
    readonly name: string
    readonly inputs: ReadonlyArray<TensorDescription>
    readonly captures: ReadonlyArray<string>
    readonly outputs: ReadonlyArray<TensorDescription>
  }>
  readonly variables: ReadonlyArray<{
    readonly name: string
    readonly dtype: DType
    readonly shape: ReadonlyArray<number>
    readonly bytes: number
    readonly trainable: boolean
    readonly checkpointKey: string
  }>
  readonly variableBytes: number
  readonly assets: ReadonlyArray<{ readonly path: string; readonly size: number }>
  readonly graph: { readonly nodes: number; readonly libraryFunctions: number; readonly reachableFunctions: number }
  /** Op type → number of nodes, over the graph and every library function it reaches. */
  readonly ops: Readonly<Record<string, number>>
  readonly notes: ReadonlyArray<string>
}

const describeSpec = (key: string, s: TensorSpec): TensorDescription => ({
  key,
  name: s.name,
  dtype: s.dtype ?? null,
  shape: s.shape
})

const leaves = (s: Structure, path: string): Array<TensorDescription> => {
  switch (s.kind) {
    case "tensor":
      return [describeSpec(path, s.spec)]
    case "list":
    case "tuple":
      return s.items.flatMap((x, i) => leaves(x, `${path}[${i}]`))
    case "dict":
    case "named-tuple":
      return Object.keys(s.fields)
        .sort()
        .flatMap((k) => leaves(s.fields[k]!, path === "" ? k : `${path}.${k}`))
    default:
      return []
  }
}

/** Op histogram over the graph and all reachable library functions, sorted by count. */
export const opHistogram = (model: TfModel): Record<string, number> => {
  const counts = new Map<string, number>()
  const count = (op: string) => counts.set(op, (counts.get(op) ?? 0) + 1)
  for (const n of model.graph.nodes) count(n.op)
  for (const f of reachableFunctions(model.graph.library, model.graph.nodes)) {
    for (const n of model.graph.library.functions.get(f)!.nodes) count(n.op)
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)))
}

/** Describes a model. */
export const describeModel = (model: TfModel): ModelDescription => {
  const variables = Object.values(model.variables).map((v) => ({
    name: v.name,
    dtype: v.dtype,
    shape: v.shape,
    bytes: hostBytes(v.value),
    trainable: v.trainable,
    checkpointKey: v.checkpointKey
  }))
  return {
    format: model.format,
    source: model.source,
    tensorflowVersion: model.producer.tensorflowVersion ?? null,
    graphProducer: model.producer.graphProducer,
    converter: model.producer.converter ?? null,
    tags: model.tags,
    availableTags: model.availableTags,
    signatures: Object.values(model.signatures).map((s) => ({
      key: s.key,
      methodName: s.methodName,
      function: s.function?.name ?? null,
      inputs: Object.entries(s.inputs).map(([k, v]) => describeSpec(k, v)),
      outputs: Object.entries(s.outputs).map(([k, v]) => describeSpec(k, v))
    })),
    functions: Object.values(model.functions).map((f) => ({
      path: f.path,
      concreteFunctions: f.concreteFunctions.map((c) => c.name)
    })),
    concreteFunctions: Object.values(model.concreteFunctions).map((c) => ({
      name: c.name,
      inputs: c.flatInputs.map((i) => describeSpec(i.path, i.spec)),
      captures: c.captures.map((cap) =>
        cap.kind === "variable"
          ? `variable ${cap.variable}`
          : cap.kind === "constant"
            ? `constant ${cap.node}`
            : cap.kind === "asset"
              ? `asset ${cap.asset}`
              : cap.kind === "captured-tensor"
                ? `tensor ${cap.tensor} of ${cap.function}`
                : `resource ${cap.nodeId}`
      ),
      outputs: leaves(c.outputs, "")
    })),
    variables,
    variableBytes: variables.reduce((a, v) => a + v.bytes, 0),
    assets: Object.values(model.assets),
    graph: {
      nodes: model.graph.nodes.length,
      libraryFunctions: model.graph.library.functions.size,
      reachableFunctions: reachableFunctions(model.graph.library, model.graph.nodes).length
    },
    ops: opHistogram(model),
    notes: model.notes
  }
}
