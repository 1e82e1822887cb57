/**
 * The TF.js graph-model `model.json`: an Effect Schema for the file (GraphDef in proto3-JSON
 * form, weights manifest, signature) and its decoding from bytes. A field of the wrong kind
 * becomes an `InvalidModelError` whose `where` is the JSON path ("weightsManifest[0].paths[1]").
 * Unknown keys are allowed everywhere: converters add fields over time.
 *
 * @since 0.1.0
 */
import { Result, Schema, SchemaIssue } from "effect"
import { dtypeFromEnum, dtypeFromName } from "../../dtype.js"
import { InvalidModelError } from "../../errors.js"
import { isBase64 } from "./base64.js"

// ---------------------------------------------------------------------------------------------
// proto3-JSON scalars

const INT64_MIN = -(2n ** 63n)
const UINT64_MAX = 2n ** 64n - 1n

const intString = (min: bigint, max: bigint) => (s: string): boolean => {
  if (!/^-?\d{1,20}$/.test(s)) return false
  const v = BigInt(s)
  return v >= min && v <= max
}

const intNumber = (min: number, max: number) => (n: number): boolean => Number.isInteger(n) && n >= min && n <= max

/** proto3-JSON writes 64-bit integers as decimal strings; readers accept numbers too. */
const int64Json = Schema.Union([
  Schema.String.check(Schema.makeFilter(intString(INT64_MIN, UINT64_MAX), { expected: "a 64-bit integer as a decimal string" })),
  Schema.Number.check(Schema.makeFilter((n: number) => Number.isInteger(n), { expected: "an integer" }))
])
export type Int64Json = typeof int64Json.Type

const int32Json = Schema.Union([
  Schema.Number.check(Schema.makeFilter(intNumber(-(2 ** 31), 2 ** 31 - 1), { expected: "a 32-bit integer" })),
  Schema.String.check(Schema.makeFilter(intString(-(2n ** 31n), 2n ** 31n - 1n), { expected: "a 32-bit integer" }))
])
export type Int32Json = typeof int32Json.Type

const uint32Json = Schema.Union([
  Schema.Number.check(Schema.makeFilter(intNumber(0, 2 ** 32 - 1), { expected: "an unsigned 32-bit integer" })),
  Schema.String.check(Schema.makeFilter(intString(0n, 2n ** 32n - 1n), { expected: "an unsigned 32-bit integer" }))
])

/** Floats: JSON numbers, or the strings "NaN", "Infinity", "-Infinity" (or a decimal string). */
const floatJson = Schema.Union([
  Schema.Number,
  Schema.String.check(
    Schema.makeFilter(
      (s: string) => s === "NaN" || s === "Infinity" || s === "-Infinity" || (s.trim() !== "" && Number.isFinite(Number(s))),
      { expected: "a number, \"NaN\", \"Infinity\" or \"-Infinity\"" }
    )
  )
])
export type FloatJson = typeof floatJson.Type

/** `bytes` fields are base64. */
const bytesJson = Schema.String.check(Schema.makeFilter(isBase64, { expected: "base64-encoded bytes" }))

/** A `DataType` enum value: its name ("DT_FLOAT") or number. DT_INVALID is allowed here; users decide. */
const dataTypeJson = Schema.Union([
  Schema.String.check(
    Schema.makeFilter((s: string) => s === "DT_INVALID" || dtypeFromName(s) !== undefined, { expected: "a DataType name such as \"DT_FLOAT\"" })
  ),
  Schema.Number.check(
    Schema.makeFilter((n: number) => n === 0 || (Number.isInteger(n) && dtypeFromEnum(n) !== undefined), { expected: "a DataType number" })
  )
])
export type DataTypeJson = typeof dataTypeJson.Type

// ---------------------------------------------------------------------------------------------
// GraphDef (protobuf JSON, lowerCamelCase field names)

const opt = Schema.optionalKey

export const TensorShapeJson = Schema.Struct({
  dim: opt(Schema.Array(Schema.Struct({ size: opt(int64Json), name: opt(Schema.String) }))),
  unknownRank: opt(Schema.Boolean)
})
export type TensorShapeJson = typeof TensorShapeJson.Type

export const TensorJson = Schema.Struct({
  dtype: opt(dataTypeJson),
  tensorShape: opt(TensorShapeJson),
  versionNumber: opt(int32Json),
  tensorContent: opt(bytesJson),
  floatVal: opt(Schema.Array(floatJson)),
  doubleVal: opt(Schema.Array(floatJson)),
  intVal: opt(Schema.Array(int32Json)),
  stringVal: opt(Schema.Array(bytesJson)),
  scomplexVal: opt(Schema.Array(floatJson)),
  int64Val: opt(Schema.Array(int64Json)),
  boolVal: opt(Schema.Array(Schema.Boolean)),
  dcomplexVal: opt(Schema.Array(floatJson)),
  halfVal: opt(Schema.Array(int32Json)),
  resourceHandleVal: opt(Schema.Array(Schema.Unknown)),
  variantVal: opt(Schema.Array(Schema.Unknown)),
  uint32Val: opt(Schema.Array(uint32Json)),
  uint64Val: opt(Schema.Array(int64Json)),
  float8Val: opt(bytesJson)
})
export type TensorJson = typeof TensorJson.Type

/** `NameAttrList` (a function reference with attrs). */
export interface NameAttrListJson {
  readonly name?: string
  readonly attr?: { readonly [k: string]: AttrValueJson }
}

export interface ListValueJson {
  readonly s?: ReadonlyArray<string>
  readonly i?: ReadonlyArray<Int64Json>
  readonly f?: ReadonlyArray<FloatJson>
  readonly b?: ReadonlyArray<boolean>
  readonly type?: ReadonlyArray<DataTypeJson>
  readonly shape?: ReadonlyArray<TensorShapeJson>
  readonly tensor?: ReadonlyArray<TensorJson>
  readonly func?: ReadonlyArray<NameAttrListJson>
}

/** `AttrValue`: a oneof, so exactly one key is expected (`{"i": "1"}`, `{"list": {...}}`). */
export interface AttrValueJson {
  readonly list?: ListValueJson
  readonly s?: string
  readonly i?: Int64Json
  readonly f?: FloatJson
  readonly b?: boolean
  readonly type?: DataTypeJson
  readonly shape?: TensorShapeJson
  readonly tensor?: TensorJson
  readonly placeholder?: string
  readonly func?: NameAttrListJson
}

const attrMap = Schema.Record(Schema.String, Schema.suspend((): Schema.Codec<AttrValueJson> => AttrValueJson))

export const NameAttrListJson: Schema.Codec<NameAttrListJson> = Schema.Struct({
  name: opt(Schema.String),
  attr: opt(attrMap)
})

export const AttrValueJson: Schema.Codec<AttrValueJson> = Schema.Struct({
  list: opt(
    Schema.Struct({
      s: opt(Schema.Array(bytesJson)),
      i: opt(Schema.Array(int64Json)),
      f: opt(Schema.Array(floatJson)),
      b: opt(Schema.Array(Schema.Boolean)),
      type: opt(Schema.Array(dataTypeJson)),
      shape: opt(Schema.Array(TensorShapeJson)),
      tensor: opt(Schema.Array(TensorJson)),
      func: opt(Schema.Array(NameAttrListJson))
    })
  ),
  s: opt(bytesJson),
  i: opt(int64Json),
  f: opt(floatJson),
  b: opt(Schema.Boolean),
  type: opt(dataTypeJson),
  shape: opt(TensorShapeJson),
  tensor: opt(TensorJson),
  placeholder: opt(Schema.String),
  func: opt(NameAttrListJson)
})

export const NodeDefJson = Schema.Struct({
  name: opt(Schema.String),
  op: opt(Schema.String),
  input: opt(Schema.Array(Schema.String)),
  device: opt(Schema.String),
  attr: opt(attrMap)
})
export type NodeDefJson = typeof NodeDefJson.Type

export const ArgDefJson = Schema.Struct({
  name: opt(Schema.String),
  type: opt(dataTypeJson),
  typeAttr: opt(Schema.String),
  numberAttr: opt(Schema.String),
  typeListAttr: opt(Schema.String),
  handleData: opt(Schema.Array(Schema.Struct({ dtype: opt(dataTypeJson), shape: opt(TensorShapeJson) }))),
  isRef: opt(Schema.Boolean)
})
export type ArgDefJson = typeof ArgDefJson.Type

export const OpDefJson = Schema.Struct({
  name: opt(Schema.String),
  inputArg: opt(Schema.Array(ArgDefJson)),
  outputArg: opt(Schema.Array(ArgDefJson)),
  controlOutput: opt(Schema.Array(Schema.String)),
  isStateful: opt(Schema.Boolean)
})
export type OpDefJson = typeof OpDefJson.Type

const stringMap = Schema.Record(Schema.String, Schema.String)

export const FunctionDefJson = Schema.Struct({
  signature: opt(OpDefJson),
  attr: opt(attrMap),
  /** Keys are argument indices (uint32 map keys are strings in JSON). */
  argAttr: opt(Schema.Record(Schema.String, Schema.Struct({ attr: opt(attrMap) }))),
  nodeDef: opt(Schema.Array(NodeDefJson)),
  ret: opt(stringMap),
  controlRet: opt(stringMap)
})
export type FunctionDefJson = typeof FunctionDefJson.Type

export const GraphDefJson = Schema.Struct({
  node: opt(Schema.Array(NodeDefJson)),
  library: opt(
    Schema.Struct({
      function: opt(Schema.Array(FunctionDefJson)),
      gradient: opt(Schema.Array(Schema.Struct({ functionName: opt(Schema.String), gradientFunc: opt(Schema.String) }))),
      registeredGradients: opt(
        Schema.Array(Schema.Struct({ gradientFunc: opt(Schema.String), registeredOpType: opt(Schema.String) }))
      )
    })
  ),
  versions: opt(Schema.Struct({ producer: opt(int32Json), minConsumer: opt(int32Json), badConsumers: opt(Schema.Array(int32Json)) }))
})
export type GraphDefJson = typeof GraphDefJson.Type

// ---------------------------------------------------------------------------------------------
// Signature and weights manifest

/** `TensorInfo` of a SignatureDef. Converters of frozen graphs may write only the name. */
export const TensorInfoJson = Schema.Struct({
  name: opt(Schema.String),
  dtype: opt(dataTypeJson),
  tensorShape: opt(TensorShapeJson)
})
export type TensorInfoJson = typeof TensorInfoJson.Type

export const SignatureJson = Schema.Struct({
  inputs: opt(Schema.Record(Schema.String, TensorInfoJson)),
  outputs: opt(Schema.Record(Schema.String, TensorInfoJson)),
  methodName: opt(Schema.String)
})
export type SignatureJson = typeof SignatureJson.Type

/** The dtypes TF.js writes weights in (the converter casts everything else to these). */
export const WEIGHT_DTYPES = ["float32", "int32", "bool", "string", "complex64"] as const
export type WeightDType = (typeof WEIGHT_DTYPES)[number]

export const QuantizationJson = Schema.Struct({
  dtype: Schema.Literals(["uint8", "uint16", "float16"]),
  min: opt(Schema.Finite),
  scale: opt(Schema.Finite),
  original_dtype: opt(Schema.String)
})
export type QuantizationJson = typeof QuantizationJson.Type

export const WeightEntryJson = Schema.Struct({
  name: Schema.String,
  shape: Schema.Array(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  dtype: Schema.Literals(WEIGHT_DTYPES),
  quantization: opt(QuantizationJson),
  group: opt(Schema.String)
})
export type WeightEntryJson = typeof WeightEntryJson.Type

export const WeightGroupJson = Schema.Struct({
  paths: Schema.Array(Schema.String),
  weights: Schema.Array(WeightEntryJson)
})
export type WeightGroupJson = typeof WeightGroupJson.Type

const nullable = <S extends Schema.Top>(s: S) => opt(Schema.NullOr(s))

/** `model.json` of a TF.js graph model. */
export const ModelJson = Schema.Struct({
  format: opt(Schema.String),
  generatedBy: nullable(Schema.String),
  convertedBy: nullable(Schema.String),
  modelTopology: GraphDefJson,
  weightsManifest: nullable(Schema.Array(WeightGroupJson)),
  /** Newer converters write the signature here… */
  signature: nullable(SignatureJson),
  /** …older ones here (next to user metadata, which is free-form). */
  userDefinedMetadata: nullable(Schema.Struct({ signature: nullable(SignatureJson) })),
  /** A GraphDef run once before inference (hash-table initialisation) and its outputs. */
  modelInitializer: nullable(GraphDefJson),
  initializerSignature: nullable(SignatureJson)
})
export type ModelJson = typeof ModelJson.Type

// ---------------------------------------------------------------------------------------------
// Decoding

/** Formats a JSON path: `a.b[0]["input:0"]`. */
export const jsonPath = (segments: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`
    else if (typeof s === "string" && /^[A-Za-z_$][\w$]*$/.test(s)) out += out === "" ? s : `.${s}`
    else out += `[${JSON.stringify(String(s))}]`
  }
  return out
}

/** A short rendering of a JSON value for messages. */
export const preview = (v: unknown): string => {
  if (v === undefined) return "nothing"
  let s: string
  try {
    s = JSON.stringify(v) ?? String(v)
  } catch {
    s = String(v)
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

const valueAt = (root: unknown, path: ReadonlyArray<PropertyKey>): unknown => {
  let v = root
  for (const k of path) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, k)) return undefined
    v = (v as Record<PropertyKey, unknown>)[k]
  }
  return v
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/**
 * Deepest nesting accepted. Real model.json files nest about 15 levels (function → node →
 * attr → func → attr …); the schema and the IR conversion recurse per level, so a bound here
 * keeps a crafted file from exhausting the stack.
 */
export const MAX_JSON_DEPTH = 256

/** Checks the nesting depth without recursion. */
const checkDepth = (value: unknown, file: string, where: ReadonlyArray<PropertyKey>): void => {
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (v === null || typeof v !== "object") continue
    if (depth >= MAX_JSON_DEPTH) {
      throw new InvalidModelError({ file, where: jsonPath(where), what: `JSON nested too deeply (more than ${MAX_JSON_DEPTH} levels)` })
    }
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (x !== null && typeof x === "object") stack.push([x, depth + 1])
  }
}

/**
 * Decodes a parsed JSON value with a schema; a mismatch becomes an `InvalidModelError` naming
 * the JSON path (prefixed by `where`) and what was found there.
 */
export const decodeJsonWith = <S extends Schema.Codec<unknown, unknown>>(
  schema: S,
  value: unknown,
  file: string,
  where: ReadonlyArray<PropertyKey> = []
): S["Type"] => {
  checkDepth(value, file, where)
  const result = Schema.decodeUnknownResult(schema)(value)
  if (Result.isSuccess(result)) return result.success
  const issue = formatter(result.failure.issue).issues[0]
  const path = (issue?.path ?? []).map((p) => (typeof p === "object" && p !== null && "key" in p ? p.key : p))
  throw new InvalidModelError({
    file,
    where: jsonPath([...where, ...path]),
    what: `${issue?.message ?? "invalid value"}, found ${preview(valueAt(value, path))}`
  })
}

const utf8Strict = new TextDecoder("utf-8", { fatal: true })

/** `model.json` bytes → JSON value (UTF-8 and JSON syntax checked). */
export const parseJsonBytes = (bytes: Uint8Array, file: string): unknown => {
  let text: string
  try {
    text = utf8Strict.decode(bytes)
  } catch {
    throw new InvalidModelError({ file, where: "", what: "not UTF-8 text (expected a JSON model file)" })
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e)
    const at = /position (\d+)/.exec(msg)
    throw new InvalidModelError({ file, where: at ? `character ${at[1]}` : "", what: `not valid JSON (${msg})` })
  }
}

/** Refuses what is not a graph model before the schema would report confusing details. */
const checkFormat = (raw: unknown, file: string): void => {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new InvalidModelError({ file, where: "", what: `expected a JSON object (a TF.js model.json), found ${preview(raw)}` })
  }
  const o = raw as Record<string, unknown>
  const topology = o["modelTopology"]
  const kerasTopology = topology !== null && typeof topology === "object" &&
    ("model_config" in topology || "class_name" in topology || "config" in topology)
  if (o["format"] === "layers-model" || (o["format"] === undefined && kerasTopology)) {
    throw new InvalidModelError({
      file,
      where: "format",
      what: "this is a TF.js layers-model (Keras); only graph-models are supported: convert the Keras model with " +
        "tensorflowjs_converter --output_format=tfjs_graph_model"
    })
  }
  if (o["format"] !== undefined && o["format"] !== "graph-model") {
    throw new InvalidModelError({ file, where: "format", what: `expected "graph-model", found ${preview(o["format"])}` })
  }
}

/** `model.json` bytes → the validated model JSON. */
export const decodeModelJson = (bytes: Uint8Array, file: string): ModelJson => {
  const raw = parseJsonBytes(bytes, file)
  checkFormat(raw, file)
  return decodeJsonWith(ModelJson, raw, file)
}
