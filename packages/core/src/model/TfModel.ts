/**
 * `TfModel`: the one in-memory form of every TensorFlow model format we read.
 *
 * @since 0.1.0
 */
import type { DType } from "../dtype.js"
import type { HostTensor } from "../HostTensor.js"
import type { GraphDef, Shape } from "../graph/ir.js"

/** The file formats we read. */
export type ModelFormat =
  | "saved-model-v2"
  | "saved-model-v1"
  | "hub-module-v1"
  | "frozen-graph"
  | "checkpoint-v1"
  | "tfjs-graph-model"

/**
 * A tensor's name in its graph ("serving_default_x:0"), dtype and (partial) shape. The dtype is
 * `undefined` only for outputs of graph-only models whose node does not state it (it is then
 * known once the function is converted).
 */
export interface TensorSpec {
  readonly name: string
  readonly dtype: DType | undefined
  readonly shape: Shape
}

/**
 * A nested input/output structure (TF's `StructuredValue`): tensors inside tuples, lists,
 * dicts and named tuples, plus the non-tensor leaves Python allowed (None, literals).
 */
export type Structure =
  | { readonly kind: "tensor"; readonly spec: TensorSpec }
  | { readonly kind: "none" }
  | { readonly kind: "literal"; readonly value: string | number | boolean | bigint }
  | { readonly kind: "list" | "tuple"; readonly items: ReadonlyArray<Structure> }
  | { readonly kind: "dict"; readonly fields: Readonly<Record<string, Structure>> }
  | { readonly kind: "named-tuple"; readonly name: string; readonly fields: Readonly<Record<string, Structure>> }
  | { readonly kind: "opaque"; readonly what: string }

/** A variable: its value from the checkpoint plus how the graph refers to it. */
export interface Variable {
  /** Unique name; the key of this variable in `TfModel.variables` and in converted params. */
  readonly name: string
  readonly dtype: DType
  readonly shape: ReadonlyArray<number>
  readonly value: HostTensor
  readonly trainable: boolean
  /** Key of its value in the TensorBundle checkpoint ("" when the value came from elsewhere). */
  readonly checkpointKey: string
  /** TF2: the SavedObjectGraph node; TF1: the graph node of the variable op. */
  readonly ref:
    | { readonly kind: "object"; readonly nodeId: number }
    | { readonly kind: "graph-node"; readonly node: string }
}

/** What a concrete function's bound (captured) input is bound to, in argument order. */
export type Capture =
  | { readonly kind: "variable"; readonly variable: string }
  | { readonly kind: "constant"; readonly node: string; readonly value: HostTensor }
  | { readonly kind: "asset"; readonly asset: string }
  | { readonly kind: "captured-tensor"; readonly function: string; readonly tensor: string }
  | { readonly kind: "resource"; readonly nodeId: number }

/** One user-visible input of a concrete function, flattened: its path in the structure and spec. */
export interface FlatInput {
  /** "x", "args[0]", "inputs.image" … */
  readonly path: string
  readonly spec: TensorSpec
}

/**
 * A concrete function of a TF2 SavedModel: a library function with a calling convention.
 * Its library arguments are `flatInputs` (in order) followed by one argument per capture.
 */
export interface ConcreteFunction {
  /** The FunctionDef name in the library. */
  readonly name: string
  /** The canonicalized input signature: a 2-tuple (positional args, keyword args). */
  readonly inputs: Structure
  readonly flatInputs: ReadonlyArray<FlatInput>
  readonly captures: ReadonlyArray<Capture>
  readonly outputs: Structure
  /** The model this function belongs to. */
  readonly model: TfModel
}

/** A `tf.function` restored from the object graph (e.g. `model.f`, `model.__call__`). */
export interface RestoredFunction {
  /** Attribute path from the root object ("f", "encoder.__call__"). */
  readonly path: string
  readonly concreteFunctions: ReadonlyArray<ConcreteFunction>
  /** The `input_signature` the function was declared with, if any. */
  readonly inputSignature: Structure | undefined
  /** The model this function belongs to. */
  readonly model: TfModel
}

/** A serving signature (`SignatureDef`), keyed by input/output key. */
export interface Signature {
  readonly key: string
  readonly methodName: string
  readonly inputs: Readonly<Record<string, TensorSpec>>
  readonly outputs: Readonly<Record<string, TensorSpec>>
  /**
   * TF2 SavedModels: the concrete function implementing the signature, whose flat inputs are
   * the signature inputs in `inputs`-key order. Absent for graph-only formats, where the
   * signature is computed by pruning `model.graph` from the output tensors back to the inputs.
   */
  readonly function: ConcreteFunction | undefined
  /** The model this signature belongs to. */
  readonly model: TfModel
}

/** An asset file shipped with the model (TF2 `assets/`). */
export interface Asset {
  /** Path relative to the model root ("assets/vocab.txt"). */
  readonly path: string
  readonly size: number
}

/** Who produced the model. */
export interface ProducerInfo {
  /** `MetaInfoDef.tensorflow_version` ("2.14.0"), or TF.js `generatedBy`. */
  readonly tensorflowVersion: string | undefined
  readonly tensorflowGitVersion: string | undefined
  /** `GraphDef.versions.producer` (0 when not recorded). */
  readonly graphProducer: number
  readonly minConsumer: number
  /** TF.js `convertedBy`. */
  readonly converter: string | undefined
}

/** A TensorFlow model read from files. */
export interface TfModel {
  readonly format: ModelFormat
  /** Where it was read from (a path or URL). */
  readonly source: string
  readonly producer: ProducerInfo
  /** Tags of the chosen meta graph (SavedModel / Hub); empty otherwise. */
  readonly tags: ReadonlyArray<string>
  /** Tag sets of every meta graph in the file (SavedModel / Hub). */
  readonly availableTags: ReadonlyArray<ReadonlyArray<string>>
  /** The top-level graph (constants included) with its function library. */
  readonly graph: GraphDef
  readonly signatures: Readonly<Record<string, Signature>>
  /** TF2: every concrete function in the object graph, by library function name. */
  readonly concreteFunctions: Readonly<Record<string, ConcreteFunction>>
  /** TF2: `tf.function` attributes of the saved objects, by attribute path. */
  readonly functions: Readonly<Record<string, RestoredFunction>>
  readonly variables: Readonly<Record<string, Variable>>
  readonly assets: Readonly<Record<string, Asset>>
  /** Things the reader noticed and worked around (e.g. a graph variable with no saved value). */
  readonly notes: ReadonlyArray<string>
}
