/**
 * GraphDef in protobuf-JSON form (TF.js `modelTopology`) → the graph IR. Produces exactly what
 * `proto/graphFromProto.ts` produces for the same graph in binary form: the same attr kinds
 * and precedence, float attrs rounded to float32 (the proto field is `float`), int64 as
 * numbers, bytes as Uint8Array, tensors decoded by the same TensorProto rules.
 *
 * Inputs are schema-validated (`modelJson.ts`, which also bounds the nesting depth this code
 * recurses through), so what remains to check here is semantic: dtypes that must be valid,
 * tensor contents, names, duplicates. Errors name the JSON path.
 *
 * @since 0.1.0
 */
import Long from "long"
import type { DType } from "../../dtype.js"
import { dtypeFromEnum, dtypeFromName, dtypeToEnum, isRefEnum } from "../../dtype.js"
import { InvalidModelError } from "../../errors.js"
import type { HostTensor } from "../../HostTensor.js"
import { numElements } from "../../HostTensor.js"
import type {
  ArgDef,
  AttrList,
  AttrValue,
  FuncRef,
  FunctionDef,
  FunctionLibrary,
  FunctionSignature,
  GraphDef,
  NodeDef,
  Shape
} from "../../graph/ir.js"
import type { pb } from "../../proto/decode.js"
import { emptyList } from "../../proto/graphFromProto.js"
import { MAX_FILL_ELEMENTS, tensorFromProto } from "../../proto/tensorProto.js"
import { decodeBase64 } from "./base64.js"
import type {
  ArgDefJson,
  AttrValueJson,
  DataTypeJson,
  FloatJson,
  FunctionDefJson,
  GraphDefJson,
  Int64Json,
  ListValueJson,
  NameAttrListJson,
  NodeDefJson,
  TensorJson,
  TensorShapeJson
} from "./modelJson.js"
import { jsonPath } from "./modelJson.js"

/** What a Const node declares about its value. */
export interface DeclaredConst {
  readonly dtype: DType
  readonly shape: ReadonlyArray<number>
}

/**
 * Supplies the value of a Const node whose data lives outside the graph (TF.js weights).
 * `fn` is the library function the node belongs to (undefined at top level). Returning
 * `undefined` means "not stored outside": the tensor in the node is used.
 */
export type ConstResolver = (node: string, fn: string | undefined, declared: DeclaredConst, where: string) => HostTensor | undefined

export interface GraphFromJsonOptions {
  /** JSON path of the GraphDef in its file, for messages (default "modelTopology"). */
  readonly where?: string
  /** Values of Const nodes; when given, a Const without data and without a value is an error. */
  readonly constValue?: ConstResolver
}

type Path = ReadonlyArray<PropertyKey>

interface Ctx {
  readonly file: string
  readonly constValue: ConstResolver | undefined
  /** Elements tensors may still be expanded to from fewer stored values (one budget per file). */
  fillBudget: number
}

const fail = (ctx: Ctx, path: Path, what: string): never => {
  throw new InvalidModelError({ file: ctx.file, where: jsonPath(path), what })
}

/** Sets an own property even for keys like "__proto__" that plain assignment would not create. */
const setOwn = <V>(obj: Record<string, V>, key: string, value: V): void => {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
}

const entries = <V>(o: { readonly [k: string]: V } | undefined): ReadonlyArray<readonly [string, V]> =>
  o === undefined ? [] : Object.entries(o)

// ---------------------------------------------------------------------------------------------
// Scalars (already validated by the schema)

const int64Number = (v: Int64Json | undefined): number => (v === undefined ? 0 : Number(v))

const int64Long = (v: Int64Json, unsigned: boolean): Long =>
  typeof v === "number" ? Long.fromNumber(v, unsigned) : Long.fromString(v, unsigned)

/** A proto `float` value: JSON gives its decimal rendering, the binary field its float32 bits. */
const float32 = (v: FloatJson): number => Math.fround(double(v))

const double = (v: FloatJson): number => (typeof v === "number" ? v : Number(v))

const bytes = (ctx: Ctx, s: string, path: Path): Uint8Array => decodeBase64(s) ?? fail(ctx, path, "invalid base64")

/** A DataType that may be DT_INVALID (→ undefined), as in `ArgDef.type`. */
const dtypeOf = (v: DataTypeJson | undefined): DType | undefined =>
  v === undefined ? undefined : typeof v === "number" ? dtypeFromEnum(v) : dtypeFromName(v)

/** TF1 reference types (`DT_FLOAT_REF`, enum + 100). */
const isRefType = (v: DataTypeJson | undefined): boolean =>
  typeof v === "number" ? isRefEnum(v) : v !== undefined && v.endsWith("_REF") && dtypeFromName(v) !== undefined

const enumOf = (d: DType | undefined): number => (d === undefined ? 0 : dtypeToEnum(d))

const requiredDtype = (ctx: Ctx, v: DataTypeJson | undefined, path: Path): DType =>
  dtypeOf(v) ?? fail(ctx, path, `invalid DataType ${v === undefined ? "(none)" : JSON.stringify(v)}`)

// ---------------------------------------------------------------------------------------------
// Shapes and tensors

/** `TensorShapeProto` JSON → shape: absent = scalar, unknown rank = null, a dim without size = 0. */
export const shapeFromJson = (s: TensorShapeJson | undefined): Shape => {
  if (s === undefined) return []
  if (s.unknownRank) return null
  return (s.dim ?? []).map((d) => int64Number(d.size))
}

/** How many elements the tensor stores (tensor_content counts as all of them, except for strings). */
const storedValues = (t: TensorJson): number =>
  (t.tensorContent?.length ?? 0) > 0 && dtypeOf(t.dtype) !== "string"
    ? Infinity
    : Math.max(
        t.floatVal?.length ?? 0,
        t.doubleVal?.length ?? 0,
        t.intVal?.length ?? 0,
        t.stringVal?.length ?? 0,
        Math.floor((t.scomplexVal?.length ?? 0) / 2),
        t.int64Val?.length ?? 0,
        t.boolVal?.length ?? 0,
        Math.floor((t.dcomplexVal?.length ?? 0) / 2),
        t.halfVal?.length ?? 0,
        t.resourceHandleVal?.length ?? 0,
        t.variantVal?.length ?? 0,
        t.uint32Val?.length ?? 0,
        t.uint64Val?.length ?? 0,
        Math.floor(((t.float8Val?.length ?? 0) * 3) / 4)
      )

/** Whether the tensor carries any data of its own (TF.js strips it from Const nodes). */
export const hasInlineData = (t: TensorJson): boolean => storedValues(t) > 0

/** The tensor as the `$Properties` object the binary decoder takes, so both share one set of rules. */
const asProto = (ctx: Ctx, t: TensorJson, path: Path): pb.TensorProto.$Properties => {
  const at = (key: string, k: number): Path => [...path, key, k]
  const props: pb.TensorProto.$Properties = {
    dtype: (typeof t.dtype === "number" ? t.dtype : enumOf(dtypeOf(t.dtype))) as pb.DataType,
    tensorShape: { dim: (t.tensorShape?.dim ?? []).map((d) => ({ size: int64Number(d.size) })), unknownRank: t.tensorShape?.unknownRank ?? false }
  }
  if (t.tensorContent !== undefined) props.tensorContent = bytes(ctx, t.tensorContent, [...path, "tensorContent"])
  if (t.floatVal) props.floatVal = t.floatVal.map(double)
  if (t.doubleVal) props.doubleVal = t.doubleVal.map(double)
  if (t.intVal) props.intVal = t.intVal.map(Number)
  if (t.stringVal) props.stringVal = t.stringVal.map((s, k) => bytes(ctx, s, at("stringVal", k)))
  if (t.scomplexVal) props.scomplexVal = t.scomplexVal.map(double)
  if (t.int64Val) props.int64Val = t.int64Val.map((v) => int64Long(v, false))
  if (t.boolVal) props.boolVal = [...t.boolVal]
  if (t.dcomplexVal) props.dcomplexVal = t.dcomplexVal.map(double)
  if (t.halfVal) props.halfVal = t.halfVal.map(Number)
  if (t.resourceHandleVal) props.resourceHandleVal = t.resourceHandleVal as Array<pb.ResourceHandleProto.$Properties>
  if (t.variantVal) props.variantVal = t.variantVal as Array<pb.VariantTensorDataProto.$Properties>
  if (t.uint32Val) props.uint32Val = t.uint32Val.map(Number)
  if (t.uint64Val) props.uint64Val = t.uint64Val.map((v) => int64Long(v, true))
  if (t.float8Val !== undefined) props.float8Val = bytes(ctx, t.float8Val, [...path, "float8Val"])
  return props
}

/** `TensorProto` JSON → host tensor, with the fill budget applied before anything is allocated. */
const tensorFromJsonIn = (ctx: Ctx, t: TensorJson, path: Path): HostTensor => {
  const dims = (t.tensorShape?.dim ?? []).map((d) => int64Number(d.size))
  if (!t.tensorShape?.unknownRank && dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    const n = numElements(dims)
    if (Number.isSafeInteger(n) && storedValues(t) < n) {
      ctx.fillBudget -= n
      if (ctx.fillBudget < 0) {
        fail(ctx, path, `tensors stored as fewer values than elements would expand beyond ${MAX_FILL_ELEMENTS} elements in total`)
      }
    }
  }
  return tensorFromProto(asProto(ctx, t, path), { file: ctx.file, where: jsonPath(path) })
}

// ---------------------------------------------------------------------------------------------
// Attributes

const funcFromJson = (ctx: Ctx, f: NameAttrListJson, path: Path): FuncRef => ({
  name: f.name ?? "",
  attrs: attrsFromJson(ctx, f.attr, [...path, "attr"])
})

const listFromJson = (ctx: Ctx, l: ListValueJson, path: Path): AttrList => ({
  s: (l.s ?? []).map((s, k) => bytes(ctx, s, [...path, "s", k])),
  i: (l.i ?? []).map(int64Number),
  f: (l.f ?? []).map(float32),
  b: [...(l.b ?? [])],
  type: (l.type ?? []).map((t, k) => requiredDtype(ctx, t, [...path, "type", k])),
  shape: (l.shape ?? []).map(shapeFromJson),
  tensor: (l.tensor ?? []).map((t, k) => tensorFromJsonIn(ctx, t, [...path, "tensor", k])),
  func: (l.func ?? []).map((f, k) => funcFromJson(ctx, f, [...path, "func", k]))
})

/** `AttrValue` JSON → IR attr, with the binary decoder's precedence; no value = empty list. */
const attrFromJson = (ctx: Ctx, a: AttrValueJson, path: Path): AttrValue => {
  if (a.list !== undefined) return { kind: "list", value: listFromJson(ctx, a.list, [...path, "list"]) }
  if (a.s !== undefined) return { kind: "s", value: bytes(ctx, a.s, [...path, "s"]) }
  if (a.i !== undefined) return { kind: "i", value: int64Number(a.i) }
  if (a.f !== undefined) return { kind: "f", value: float32(a.f) }
  if (a.b !== undefined) return { kind: "b", value: a.b }
  if (a.type !== undefined) return { kind: "type", value: requiredDtype(ctx, a.type, [...path, "type"]) }
  if (a.shape !== undefined) return { kind: "shape", value: shapeFromJson(a.shape) }
  if (a.tensor !== undefined) return { kind: "tensor", value: tensorFromJsonIn(ctx, a.tensor, [...path, "tensor"]) }
  if (a.placeholder !== undefined) return { kind: "placeholder", value: a.placeholder }
  if (a.func !== undefined) return { kind: "func", value: funcFromJson(ctx, a.func, [...path, "func"]) }
  return { kind: "list", value: emptyList }
}

const attrsFromJson = (ctx: Ctx, attrs: { readonly [k: string]: AttrValueJson } | undefined, path: Path) => {
  const out: Record<string, AttrValue> = {}
  for (const [k, v] of entries(attrs)) setOwn(out, k, attrFromJson(ctx, v, [...path, k]))
  return out
}

// ---------------------------------------------------------------------------------------------
// Nodes

/** Whether the attr decodes to kind "tensor" (see the precedence in `attrFromJson`). */
const isTensorAttr = (a: AttrValueJson): boolean =>
  a.tensor !== undefined && a.list === undefined && a.s === undefined && a.i === undefined && a.f === undefined &&
  a.b === undefined && a.type === undefined && a.shape === undefined

/** A Const node's value: from the resolver (TF.js weights) when it has one, else the node's own tensor. */
const constAttrs = (ctx: Ctx, n: NodeDefJson, name: string, fn: string | undefined, path: Path) => {
  const value = n.attr !== undefined && Object.hasOwn(n.attr, "value") ? n.attr["value"] : undefined
  const t = value !== undefined && isTensorAttr(value) ? value.tensor : undefined
  if (ctx.constValue === undefined || t === undefined) return attrsFromJson(ctx, n.attr, [...path, "attr"])
  const tpath = [...path, "attr", "value", "tensor"]
  const dtype = requiredDtype(ctx, t.dtype, [...tpath, "dtype"])
  const shape = shapeFromJson(t.tensorShape)
  if (shape === null || shape.some((d) => !Number.isSafeInteger(d) || d < 0) || !Number.isSafeInteger(numElements(shape))) {
    fail(ctx, [...tpath, "tensorShape"], `Const node "${name}" must have a fully known shape`)
  }
  const known = shape as ReadonlyArray<number>
  const resolved = ctx.constValue(name, fn, { dtype, shape: known }, jsonPath(tpath))
  if (resolved === undefined && !hasInlineData(t) && numElements(known) > 0) {
    fail(ctx, tpath, `Const node "${name}" has no value: no weight named "${name}" in the weightsManifest`)
  }
  const out: Record<string, AttrValue> = {}
  for (const [k, v] of entries(n.attr)) {
    setOwn(out, k, k === "value" && resolved !== undefined ? { kind: "tensor", value: resolved } : attrFromJson(ctx, v, [...path, "attr", k]))
  }
  return out
}

const nodeFromJson = (ctx: Ctx, n: NodeDefJson, fn: string | undefined, path: Path): NodeDef => {
  const name = n.name ?? ""
  if (name === "") fail(ctx, [...path, "name"], "node without a name")
  if (!n.op) fail(ctx, [...path, "op"], `node "${name}" has no op`)
  return {
    name,
    op: n.op!,
    inputs: [...(n.input ?? [])],
    device: n.device ?? "",
    attrs: n.op === "Const" ? constAttrs(ctx, n, name, fn, path) : attrsFromJson(ctx, n.attr, [...path, "attr"])
  }
}

// ---------------------------------------------------------------------------------------------
// Functions

const argFromJson = (a: ArgDefJson): ArgDef => ({
  name: a.name ?? "",
  type: dtypeOf(a.type),
  typeAttr: a.typeAttr ?? "",
  numberAttr: a.numberAttr ?? "",
  typeListAttr: a.typeListAttr ?? "",
  handleData: (a.handleData ?? []).map((h) => ({ dtype: dtypeOf(h.dtype), shape: shapeFromJson(h.shape) })),
  isRef: (a.isRef ?? false) || isRefType(a.type)
})

const functionFromJson = (ctx: Ctx, f: FunctionDefJson, path: Path): FunctionDef => {
  const s = f.signature
  if (!s?.name) fail(ctx, [...path, "signature", "name"], "function without a signature name")
  const signature: FunctionSignature = {
    name: s!.name!,
    inputs: (s!.inputArg ?? []).map(argFromJson),
    outputs: (s!.outputArg ?? []).map(argFromJson),
    controlOutputs: [...(s!.controlOutput ?? [])],
    isStateful: s!.isStateful ?? false
  }
  const argAttrs: Record<number, Record<string, AttrValue>> = {}
  for (const [k, v] of entries(f.argAttr)) {
    if (!/^\d{1,10}$/.test(k) || Number(k) > 2 ** 32 - 1) fail(ctx, [...path, "argAttr", k], "argument index must be an unsigned integer")
    argAttrs[Number(k)] = attrsFromJson(ctx, v.attr, [...path, "argAttr", k, "attr"])
  }
  const ret: Record<string, string> = {}
  for (const [k, v] of entries(f.ret)) setOwn(ret, k, v)
  const controlRet: Record<string, string> = {}
  for (const [k, v] of entries(f.controlRet)) setOwn(controlRet, k, v)
  return {
    signature,
    attrs: attrsFromJson(ctx, f.attr, [...path, "attr"]),
    argAttrs,
    nodes: (f.nodeDef ?? []).map((n, k) => nodeFromJson(ctx, n, signature.name, [...path, "nodeDef", k])),
    ret,
    controlRet
  }
}

const libraryFromJson = (ctx: Ctx, lib: GraphDefJson["library"], path: Path): FunctionLibrary => {
  const functions = new Map<string, FunctionDef>()
  ;(lib?.function ?? []).forEach((f, k) => {
    const fpath = [...path, "function", k]
    const fn = functionFromJson(ctx, f, fpath)
    if (functions.has(fn.signature.name)) fail(ctx, fpath, `function "${fn.signature.name}" defined twice`)
    functions.set(fn.signature.name, fn)
  })
  const gradients = new Map<string, string>()
  for (const g of lib?.gradient ?? []) gradients.set(g.functionName ?? "", g.gradientFunc ?? "")
  const registeredGradients = new Map<string, string>()
  for (const g of lib?.registeredGradients ?? []) registeredGradients.set(g.registeredOpType ?? "", g.gradientFunc ?? "")
  return { functions, gradients, registeredGradients }
}

/** GraphDef JSON → IR graph. Throws `InvalidModelError` naming the JSON path. */
export const graphFromJson = (g: GraphDefJson, file: string, options: GraphFromJsonOptions = {}): GraphDef => {
  const ctx: Ctx = { file, constValue: options.constValue, fillBudget: MAX_FILL_ELEMENTS }
  const root: Path = [options.where ?? "modelTopology"]
  return {
    nodes: (g.node ?? []).map((n, k) => nodeFromJson(ctx, n, undefined, [...root, "node", k])),
    library: libraryFromJson(ctx, g.library, [...root, "library"]),
    producer: int64Number(g.versions?.producer),
    minConsumer: int64Number(g.versions?.minConsumer)
  }
}

/** A standalone tensor (e.g. from a test), with its own fill budget. */
export const tensorFromJson = (t: TensorJson, file: string, where: Path = []): HostTensor =>
  tensorFromJsonIn({ file, constValue: undefined, fillBudget: MAX_FILL_ELEMENTS }, t, where)
