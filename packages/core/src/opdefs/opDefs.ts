/**
 * TensorFlow op signatures (from TF's op registry, generated into `tfOpDefs.data.ts`):
 * output argument layouts, to resolve FunctionDef references `node:out_arg:k` to flat output
 * indices, and attr defaults, to restore attrs SavedModels strip when they equal the default.
 *
 * @since 0.1.0
 */
import type { AttrValue, FunctionLibrary, NodeDef } from "../graph/ir.js"
import { OP_DEFS_JSON } from "./tfOpDefs.data.js"
import { attrFromJson } from "./attrFromJson.js"

/** One input or output argument of an op. */
export interface OpArg {
  readonly name: string
  /** The int attr giving the number of tensors (a homogeneous list). */
  readonly numberAttr?: string
  /** The list(type) attr whose length is the number of tensors (a heterogeneous list). */
  readonly typeListAttr?: string
  readonly isRef?: boolean
}

/** An op's signature. */
export interface OpSignature {
  readonly inputs: ReadonlyArray<OpArg>
  readonly outputs: ReadonlyArray<OpArg>
  readonly attrs: ReadonlyArray<string>
  /** Attr defaults in protobuf JSON form. */
  readonly defaults?: Readonly<Record<string, unknown>>
  readonly stateful?: boolean
}

let table: Readonly<Record<string, OpSignature>> | undefined

/** TensorFlow's signature for `op`, or `undefined` if TF has no such op. */
export const tfOpSignature = (op: string): OpSignature | undefined => {
  table ??= JSON.parse(OP_DEFS_JSON) as Record<string, OpSignature>
  return Object.prototype.hasOwnProperty.call(table, op) ? table[op] : undefined
}

/** Where an output argument's tensors sit among a node's flat outputs. */
export interface OutputSlot {
  readonly name: string
  readonly start: number
  readonly count: number
}

/** Number of tensors of an argument given the node's attrs (`undefined` if the attr is missing). */
export const argLength = (arg: OpArg, attrs: Readonly<Record<string, AttrValue>>): number | undefined => {
  if (arg.numberAttr) {
    const a = attrs[arg.numberAttr]
    return a?.kind === "i" ? a.value : undefined
  }
  if (arg.typeListAttr) {
    const a = attrs[arg.typeListAttr]
    return a?.kind === "list" ? a.value.type.length : undefined
  }
  return 1
}

/**
 * The output layout of a node: from a library function's signature when the op is a function
 * name, else from `signatures` (registered converters may declare layouts for ops TF itself
 * does not have, such as TF.js's `Prelu`), else from TF's registry. `undefined` when unknown.
 */
export const outputLayout = (
  node: NodeDef,
  library: FunctionLibrary,
  extra?: (op: string) => ReadonlyArray<OpArg> | undefined
): ReadonlyArray<OutputSlot> | undefined => {
  const fn = library.functions.get(node.op)
  const args: ReadonlyArray<OpArg> | undefined = fn
    ? fn.signature.outputs.map((o) => ({ name: o.name }))
    : (extra?.(node.op) ?? tfOpSignature(node.op)?.outputs)
  if (!args) return undefined
  const attrs = withDefaultAttrs(node.op, node.attrs)
  const slots: Array<OutputSlot> = []
  let start = 0
  for (const arg of args) {
    const count = argLength(arg, attrs)
    if (count === undefined) return undefined
    slots.push({ name: arg.name, start, count })
    start += count
  }
  return slots
}

/** The node's attrs with TF's defaults filled in for every attr the op declares but the node omits. */
export const withDefaultAttrs = (
  op: string,
  attrs: Readonly<Record<string, AttrValue>>,
  only?: ReadonlySet<string>
): Readonly<Record<string, AttrValue>> => {
  const defaults = tfOpSignature(op)?.defaults
  if (!defaults) return attrs
  let out: Record<string, AttrValue> | undefined
  for (const [name, json] of Object.entries(defaults)) {
    if (name in attrs || (only && !only.has(name))) continue
    out ??= { ...attrs }
    out[name] = attrFromJson(json, { file: "TensorFlow op registry", where: `${op}.${name}` })
  }
  return out ?? attrs
}
