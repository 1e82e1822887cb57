/**
 * The graph IR every reader produces: GraphDef, NodeDef, attribute values and the function
 * library in plain, typed, immutable-by-convention objects. Binary protobuf (SavedModel,
 * frozen `.pb`) and protobuf JSON (TF.js `model.json`) both decode to this.
 *
 * @since 0.1.0
 */
import type { DType } from "../dtype.js"
import type { HostTensor } from "../HostTensor.js"

/** A possibly partial shape: `null` = unknown rank; a dim of -1 = unknown size. */
export type Shape = ReadonlyArray<number> | null

/** A function reference with attrs (`NameAttrList`). */
export interface FuncRef {
  readonly name: string
  readonly attrs: Readonly<Record<string, AttrValue>>
}

/** The list form of an attribute; exactly one of the arrays is meaningful, the others empty. */
export interface AttrList {
  readonly s: ReadonlyArray<Uint8Array>
  readonly i: ReadonlyArray<number>
  readonly f: ReadonlyArray<number>
  readonly b: ReadonlyArray<boolean>
  readonly type: ReadonlyArray<DType>
  readonly shape: ReadonlyArray<Shape>
  readonly tensor: ReadonlyArray<HostTensor>
  readonly func: ReadonlyArray<FuncRef>
}

/**
 * An attribute value (`AttrValue`). int64 attrs are JS numbers: TensorFlow only stores
 * values beyond 2^53 in seeds, whose low bits we do not rely on.
 */
export type AttrValue =
  | { readonly kind: "s"; readonly value: Uint8Array }
  | { readonly kind: "i"; readonly value: number }
  | { readonly kind: "f"; readonly value: number }
  | { readonly kind: "b"; readonly value: boolean }
  | { readonly kind: "type"; readonly value: DType }
  | { readonly kind: "shape"; readonly value: Shape }
  | { readonly kind: "tensor"; readonly value: HostTensor }
  | { readonly kind: "func"; readonly value: FuncRef }
  | { readonly kind: "placeholder"; readonly value: string }
  | { readonly kind: "list"; readonly value: AttrList }

/** A graph node (`NodeDef`). `inputs` keeps TensorFlow's spelling ("x", "x:1", "^ctrl", "n:out:0"). */
export interface NodeDef {
  readonly name: string
  readonly op: string
  readonly inputs: ReadonlyArray<string>
  readonly device: string
  readonly attrs: Readonly<Record<string, AttrValue>>
}

/** An input or output argument of a function signature or op (`OpDef.ArgDef`). */
export interface ArgDef {
  readonly name: string
  /** Fixed dtype, if the arg has one. */
  readonly type: DType | undefined
  readonly typeAttr: string
  readonly numberAttr: string
  readonly typeListAttr: string
  /** Variable dtype/shape behind a DT_RESOURCE argument, if recorded. */
  readonly handleData: ReadonlyArray<{ readonly dtype: DType | undefined; readonly shape: Shape }>
  readonly isRef: boolean
}

/** A function's signature (`OpDef`). */
export interface FunctionSignature {
  readonly name: string
  readonly inputs: ReadonlyArray<ArgDef>
  readonly outputs: ReadonlyArray<ArgDef>
  readonly controlOutputs: ReadonlyArray<string>
  readonly isStateful: boolean
}

/** A library function (`FunctionDef`). */
export interface FunctionDef {
  readonly signature: FunctionSignature
  readonly attrs: Readonly<Record<string, AttrValue>>
  /** Per input index: the arg's attributes (`_user_specified_name`, `_output_shapes` …). */
  readonly argAttrs: Readonly<Record<number, Readonly<Record<string, AttrValue>>>>
  readonly nodes: ReadonlyArray<NodeDef>
  /** Output arg name → internal tensor reference ("node:out:0" or an input arg name). */
  readonly ret: Readonly<Record<string, string>>
  readonly controlRet: Readonly<Record<string, string>>
}

/** The function library of a graph, with its gradient registrations. */
export interface FunctionLibrary {
  readonly functions: ReadonlyMap<string, FunctionDef>
  /** Legacy TF1 `GradientDef`: function name → gradient function name. */
  readonly gradients: ReadonlyMap<string, string>
  /** `RegisteredGradient`: gradient op type ("CustomGradient-12") → gradient function name. */
  readonly registeredGradients: ReadonlyMap<string, string>
}

/** A TensorFlow graph (`GraphDef`). */
export interface GraphDef {
  readonly nodes: ReadonlyArray<NodeDef>
  readonly library: FunctionLibrary
  /** `versions.producer` (0 when absent, as in many TF1 frozen graphs). */
  readonly producer: number
  readonly minConsumer: number
}

/** An empty function library. */
export const emptyLibrary: FunctionLibrary = {
  functions: new Map(),
  gradients: new Map(),
  registeredGradients: new Map()
}

/** A parsed node input reference. */
export type TensorRef =
  | { readonly kind: "control"; readonly node: string }
  /** Top-level graph form "node" / "node:3": flat output index. */
  | { readonly kind: "output"; readonly node: string; readonly index: number }
  /** FunctionDef body form "node:out_arg:2": index within a named output arg. */
  | { readonly kind: "arg-output"; readonly node: string; readonly arg: string; readonly index: number }

/**
 * Parses a NodeDef input string. In a FunctionDef body a bare name is an input argument of
 * the function; callers decide that from context (`output` with index 0).
 */
export const parseTensorRef = (input: string): TensorRef => {
  if (input.startsWith("^")) return { kind: "control", node: input.slice(1) }
  const parts = input.split(":")
  if (parts.length === 3 && /^\d+$/.test(parts[2]!)) {
    return { kind: "arg-output", node: parts[0]!, arg: parts[1]!, index: Number(parts[2]) }
  }
  const last = parts[parts.length - 1]!
  if (parts.length >= 2 && /^\d+$/.test(last)) {
    return { kind: "output", node: parts.slice(0, -1).join(":"), index: Number(last) }
  }
  return { kind: "output", node: input, index: 0 }
}

/** Reads a string attr (`s`) as UTF-8. */
export const attrString = (attrs: Readonly<Record<string, AttrValue>>, name: string): string | undefined => {
  const a = attrs[name]
  return a?.kind === "s" ? utf8.decode(a.value) : undefined
}

/** Shared UTF-8 decoder (replacement characters on invalid input, never throws). */
export const utf8 = new TextDecoder("utf-8")

/** Every function referenced from a set of nodes' attrs (func and list(func)). */
export const referencedFunctions = (nodes: ReadonlyArray<NodeDef>): ReadonlyArray<string> => {
  const out: Array<string> = []
  const visit = (a: AttrValue): void => {
    if (a.kind === "func") {
      out.push(a.value.name)
      for (const inner of Object.values(a.value.attrs)) visit(inner)
    } else if (a.kind === "list") {
      for (const f of a.value.func) {
        out.push(f.name)
        for (const inner of Object.values(f.attrs)) visit(inner)
      }
    }
  }
  for (const n of nodes) for (const a of Object.values(n.attrs)) visit(a)
  return out
}

/**
 * Names of all library functions reachable from `roots` (function names) and from any node
 * whose op is itself a library function name, including the roots that exist. Order: first
 * reached first.
 */
export const reachableFunctions = (
  library: FunctionLibrary,
  rootNodes: ReadonlyArray<NodeDef>,
  rootFunctions: ReadonlyArray<string> = []
): ReadonlyArray<string> => {
  const seen = new Set<string>()
  const queue: Array<string> = []
  const push = (name: string): void => {
    if (!seen.has(name) && library.functions.has(name)) {
      seen.add(name)
      queue.push(name)
    }
  }
  const fromNodes = (nodes: ReadonlyArray<NodeDef>): void => {
    for (const f of referencedFunctions(nodes)) push(f)
    for (const n of nodes) push(n.op)
  }
  rootFunctions.forEach(push)
  fromNodes(rootNodes)
  for (let i = 0; i < queue.length; i++) fromNodes(library.functions.get(queue[i]!)!.nodes)
  return queue
}
