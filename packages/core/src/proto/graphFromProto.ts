/**
 * Decoded protobuf messages (GraphDef, NodeDef, AttrValue, FunctionDef…) → the graph IR.
 *
 * @since 0.1.0
 */
import { dtypeFromEnum, isRefEnum } from "../dtype.js"
import type { DType } from "../dtype.js"
import { InvalidModelError } from "../errors.js"
import type { ByteContext } from "../HostTensor.js"
import type {
  ArgDef,
  AttrList,
  AttrValue,
  FuncRef,
  FunctionDef,
  FunctionLibrary,
  FunctionSignature,
  GraphDef,
  NodeDef
} from "../graph/ir.js"
import { int64ToNumber, type pb } from "./decode.js"
import { shapeFromProto, tensorFromProto } from "./tensorProto.js"

const dtypeOrError = (v: number, ctx: ByteContext): DType => {
  const d = dtypeFromEnum(v)
  if (d === undefined) throw new InvalidModelError({ ...ctx, what: `invalid DataType ${v}` })
  return d
}

/** `AttrValue` → IR attr. An attr with no value set becomes an empty list (TF treats it so). */
export const attrFromProto = (a: pb.AttrValue.$Properties, ctx: ByteContext): AttrValue => {
  if (a.list != null) return { kind: "list", value: listFromProto(a.list, ctx) }
  if (a.s != null) return { kind: "s", value: a.s }
  if (a.i != null) return { kind: "i", value: int64ToNumber(a.i) }
  if (a.f != null) return { kind: "f", value: a.f }
  if (a.b != null) return { kind: "b", value: a.b }
  if (a.type != null) return { kind: "type", value: dtypeOrError(a.type, ctx) }
  if (a.shape != null) return { kind: "shape", value: shapeFromProto(a.shape) }
  if (a.tensor != null) return { kind: "tensor", value: tensorFromProto(a.tensor, ctx) }
  if (a.placeholder != null) return { kind: "placeholder", value: a.placeholder }
  if (a.func != null) return { kind: "func", value: funcFromProto(a.func, ctx) }
  return { kind: "list", value: emptyList }
}

/** An attr list with no entries. */
export const emptyList: AttrList = { s: [], i: [], f: [], b: [], type: [], shape: [], tensor: [], func: [] }

const listFromProto = (l: pb.AttrValue.ListValue.$Properties, ctx: ByteContext): AttrList => ({
  s: l.s ?? [],
  i: (l.i ?? []).map(int64ToNumber),
  f: l.f ?? [],
  b: l.b ?? [],
  type: (l.type ?? []).map((t) => dtypeOrError(t, ctx)),
  shape: (l.shape ?? []).map(shapeFromProto),
  tensor: (l.tensor ?? []).map((t, k) => tensorFromProto(t, { ...ctx, where: `${ctx.where}[${k}]` })),
  func: (l.func ?? []).map((f) => funcFromProto(f, ctx))
})

const funcFromProto = (f: pb.NameAttrList.$Properties, ctx: ByteContext): FuncRef => ({
  name: f.name ?? "",
  attrs: attrsFromProto(f.attr, ctx)
})

/** A map of attrs → IR (keys sorted as stored). */
export const attrsFromProto = (
  attrs: { readonly [k: string]: pb.AttrValue.$Properties } | null | undefined,
  ctx: ByteContext
): Record<string, AttrValue> => {
  const out: Record<string, AttrValue> = {}
  if (!attrs) return out
  for (const [k, v] of Object.entries(attrs)) out[k] = attrFromProto(v, { ...ctx, where: `${ctx.where} attr "${k}"` })
  return out
}

/** `NodeDef` → IR node. `where` locates the node for error messages ("graph" or "function f"). */
export const nodeFromProto = (n: pb.NodeDef.$Properties, file: string, where: string): NodeDef => {
  const name = n.name ?? ""
  if (name === "") throw new InvalidModelError({ file, where, what: "node without a name" })
  if (!n.op) throw new InvalidModelError({ file, where: `${where} node "${name}"`, what: "node without an op" })
  return {
    name,
    op: n.op,
    inputs: n.input ?? [],
    device: n.device ?? "",
    attrs: attrsFromProto(n.attr, { file, where: `${where} node "${name}"` })
  }
}

const argFromProto = (a: pb.OpDef.ArgDef.$Properties): ArgDef => ({
  name: a.name ?? "",
  type: a.type ? dtypeFromEnum(a.type) : undefined,
  typeAttr: a.typeAttr ?? "",
  numberAttr: a.numberAttr ?? "",
  typeListAttr: a.typeListAttr ?? "",
  handleData: (a.handleData ?? []).map((h) => ({ dtype: dtypeFromEnum(h.dtype ?? 0), shape: shapeFromProto(h.shape) })),
  isRef: (a.isRef ?? false) || isRefEnum(a.type ?? 0)
})

/** `OpDef` as a function signature. */
export const signatureFromProto = (s: pb.OpDef.$Properties | null | undefined, ctx: ByteContext): FunctionSignature => {
  if (!s || !s.name) throw new InvalidModelError({ ...ctx, what: "function without a signature name" })
  return {
    name: s.name,
    inputs: (s.inputArg ?? []).map(argFromProto),
    outputs: (s.outputArg ?? []).map(argFromProto),
    controlOutputs: s.controlOutput ?? [],
    isStateful: s.isStateful ?? false
  }
}

/** `FunctionDef` → IR function. */
export const functionFromProto = (f: pb.FunctionDef.$Properties, file: string): FunctionDef => {
  const signature = signatureFromProto(f.signature, { file, where: "library" })
  const where = `function "${signature.name}"`
  const argAttrs: Record<number, Record<string, AttrValue>> = {}
  for (const [k, v] of Object.entries(f.argAttr ?? {})) {
    argAttrs[Number(k)] = attrsFromProto(v.attr, { file, where: `${where} arg ${k}` })
  }
  return {
    signature,
    attrs: attrsFromProto(f.attr, { file, where }),
    argAttrs,
    nodes: (f.nodeDef ?? []).map((n) => nodeFromProto(n, file, where)),
    ret: { ...f.ret },
    controlRet: { ...f.controlRet }
  }
}

/** `FunctionDefLibrary` → IR library. Duplicate function names are an error. */
export const libraryFromProto = (
  lib: pb.FunctionDefLibrary.$Properties | null | undefined,
  file: string
): FunctionLibrary => {
  const functions = new Map<string, FunctionDef>()
  for (const f of lib?.function ?? []) {
    const fn = functionFromProto(f, file)
    if (functions.has(fn.signature.name)) {
      throw new InvalidModelError({ file, where: "library", what: `function "${fn.signature.name}" defined twice` })
    }
    functions.set(fn.signature.name, fn)
  }
  const gradients = new Map<string, string>()
  for (const g of lib?.gradient ?? []) gradients.set(g.functionName ?? "", g.gradientFunc ?? "")
  const registeredGradients = new Map<string, string>()
  for (const g of lib?.registeredGradients ?? []) registeredGradients.set(g.registeredOpType ?? "", g.gradientFunc ?? "")
  return { functions, gradients, registeredGradients }
}

/** `GraphDef` → IR graph. */
export const graphFromProto = (g: pb.GraphDef.$Properties, file: string): GraphDef => ({
  nodes: (g.node ?? []).map((n) => nodeFromProto(n, file, "graph")),
  library: libraryFromProto(g.library, file),
  producer: g.versions?.producer ?? 0,
  minConsumer: g.versions?.minConsumer ?? 0
})
