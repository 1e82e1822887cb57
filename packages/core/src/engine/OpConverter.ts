/**
 * The op-pack contract: how a converter for one or more TensorFlow op types is declared.
 *
 * An op converter is a value: the op names it handles, a Schema for its attrs (attrs not in
 * the schema are an error, as in tf2jax; `_`-prefixed attrs are ignored), how it wants each
 * input, and `run`, called when the converted function runs (eagerly, or while `jit`/`grad`/
 * `vmap` trace it). `run` must not read traced values on the host and must follow jax-js
 * ownership: it consumes every array it receives (pass `.ref` to use one twice) and returns
 * values the engine owns.
 *
 * @since 0.1.0
 */
import type { Schema } from "effect"
import type { DType } from "../dtype.js"
import type { HostTensor } from "../HostTensor.js"
import type { FunctionLibrary, NodeDef } from "../graph/ir.js"
import type { Capture } from "../model/TfModel.js"
import type { OpArg } from "../opdefs/opDefs.js"
import type { TfConfig } from "./Config.js"
import type { JaxArray, Value } from "./Value.js"

/** The version of this contract; packs state the version they implement (major must match). */
export const CORE_CONTRACT_VERSION = "1.0"

/**
 * How a converter receives an input:
 * - `array`: a jax-js array it owns (static values are uploaded, resources are read);
 * - `static`: a host tensor (a traced value is a `StaticValueRequiredError`);
 * - `value`: the `Value` (arrays owned; variable handles are read), for ops that keep static
 *   inputs static;
 * - `raw`: the `Value` exactly as is, variable handles included (function calls pass them on);
 * - `meta`: only `{ dtype, shape }` (the engine releases the array);
 * - `resource`: a variable handle, not read (ReadVariableOp, AssignVariableOp …);
 * - `ignore`: unused (released by the engine).
 */
export type InputMode = "array" | "static" | "value" | "raw" | "meta" | "resource" | "ignore"

/** The dtype and shape of an input taken in `meta` mode. */
export interface InputMeta {
  readonly dtype: DType | undefined
  readonly shape: ReadonlyArray<number>
}

/** What a converter's `run` receives for an input, by mode. */
export type Input = JaxArray | HostTensor | Value | InputMeta | undefined

/** Parameter (variable) storage of one call: reads give new references, writes take ownership. */
export interface ParamStore {
  readonly has: (name: string) => boolean
  /** A new reference to the current value. */
  readonly read: (name: string) => Value
  /** Replaces the value (the old one is released). */
  readonly write: (name: string, value: Value) => void
  readonly dtype: (name: string) => DType | undefined
  /** The parameter behind a top-level graph's variable op (by node name or shared_name). */
  readonly forNode: (node: string, sharedName: string | undefined) => string | undefined
}

/** A library function converted for calling from another op (PartitionedCall, If, While …). */
export interface CallableFunction {
  readonly name: string
  readonly inputCount: number
  readonly outputCount: number
  /** Whether the function (or anything it calls) needs random keys. */
  readonly needsRng: boolean
  /** Runs it; consumes the inputs. `rng` is required when `needsRng`. */
  readonly call: (inputs: ReadonlyArray<Value>, rng?: JaxArray) => Array<Value>
}

/** What `run` can use besides its inputs and attrs. */
export interface OpContext {
  readonly node: NodeDef
  /** `node "name" (Op)` plus the function it is in: for error messages. */
  readonly where: string
  /** The configuration (conversion-time flags plus call-time reads, see Config). */
  readonly config: TfConfig
  /** This node's random key (ops declared `random: true`); each call gets a fresh split. */
  readonly rng: () => JaxArray
  readonly params: ParamStore
  /** Converted library functions, by name (built when the op was resolved). */
  readonly fn: (name: string) => CallableFunction
  /** Throws `StaticValueRequiredError` for input `index`. */
  readonly requireStatic: (index: number, what: string) => never
  /** The raw attrs of the node (for binary `s` attrs the schema gives as text). */
  readonly rawAttrs: NodeDef["attrs"]
}

/** Build-time context: what a converter may inspect when it is resolved for a node. */
export interface BuildContext {
  readonly node: NodeDef
  readonly where: string
  readonly config: TfConfig
  readonly library: FunctionLibrary
  /** The library function the node is in ("graph" for a top-level graph slice). */
  readonly functionName: string
  /**
   * The bound inputs (captures) of a library function, when the model records them (TF2
   * SavedModels: gradient functions capture forward-graph tensors); `undefined` otherwise.
   */
  readonly captures: (fn: string) => ReadonlyArray<Capture> | undefined
}

/** A converter for one or more op types. `A` is its decoded attrs type. */
export interface OpConverter<A = unknown> {
  /** TensorFlow op type names handled. */
  readonly ops: ReadonlyArray<string>
  /** Attr schema: a Schema.Struct over plain attr values (see `attrs.ts`). */
  readonly attrs: Schema.Codec<A, unknown>
  /** Input modes: one for all inputs, a list by position, or a function of (index, count). */
  readonly inputs: InputMode | ReadonlyArray<InputMode> | ((index: number, count: number) => InputMode)
  /** Output args for ops TensorFlow does not register (TF.js's `Prelu`); else TF's op defs are used. */
  readonly outputs?: ReadonlyArray<OpArg>
  /** Needs a random key per call. */
  readonly random?: boolean
  /** Library functions the op calls, from its attrs (converted before the op runs). */
  readonly calls?: (attrs: A, node: NodeDef, ctx: BuildContext) => ReadonlyArray<string>
  /**
   * Other tensors of the node's own body the op needs besides its inputs (e.g. the forward
   * tensors a saved gradient function captured), named graph-style: an argument name or
   * "node:k" (flat output k). They are appended to the inputs, in order, and counted as uses,
   * so they stay alive until the op runs. One that is not computed before the node in this body
   * arrives as `undefined`.
   */
  readonly extraInputs?: (attrs: A, ctx: BuildContext) => ReadonlyArray<string>
  /** Conversion-time check or preparation; throw typed errors for unsupported attr values. */
  readonly check?: (attrs: A, ctx: BuildContext) => void
  /** Computes the outputs. */
  readonly run: (ctx: OpContext, inputs: ReadonlyArray<Input>, attrs: A) => ReadonlyArray<Value> | Value
}

/** A set of converters published together. */
export interface OpPack {
  readonly name: string
  readonly version: string
  /** The core contract version implemented ("1.0"). */
  readonly contract: string
  readonly converters: ReadonlyArray<OpConverter<any>>
}

/** Identity function that keeps `A` inferred from the schema. */
export const defineOp = <A>(c: OpConverter<A>): OpConverter<A> => c

/** Declares a pack. */
export const definePack = (pack: OpPack): OpPack => pack
