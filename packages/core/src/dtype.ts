/**
 * TensorFlow dtypes: enum numbers (types.proto), names, JSON spellings and storage sizes.
 *
 * @since 0.1.0
 */

/** TensorFlow dtype names, lower-case and numpy-like (`DT_HALF` is "float16"). */
export const DTYPES = [
  "float32",
  "float64",
  "int32",
  "uint8",
  "int16",
  "int8",
  "string",
  "complex64",
  "int64",
  "bool",
  "qint8",
  "quint8",
  "qint32",
  "bfloat16",
  "qint16",
  "quint16",
  "uint16",
  "complex128",
  "float16",
  "resource",
  "variant",
  "uint32",
  "uint64",
  "float8_e5m2",
  "float8_e4m3fn",
  "float8_e4m3fnuz",
  "float8_e4m3b11fnuz",
  "float8_e5m2fnuz",
  "int4",
  "uint4",
  "int2",
  "uint2",
  "float4_e2m1fn"
] as const

export type DType = (typeof DTYPES)[number]

/** `DataType` enum value → name; index i holds enum value i + 1 (DT_INVALID = 0 has no name). */
const BY_ENUM: ReadonlyArray<DType> = DTYPES

/** The enum names used in protobuf JSON (`"DT_FLOAT"`), in enum order. */
const JSON_NAMES: ReadonlyArray<string> = [
  "DT_FLOAT",
  "DT_DOUBLE",
  "DT_INT32",
  "DT_UINT8",
  "DT_INT16",
  "DT_INT8",
  "DT_STRING",
  "DT_COMPLEX64",
  "DT_INT64",
  "DT_BOOL",
  "DT_QINT8",
  "DT_QUINT8",
  "DT_QINT32",
  "DT_BFLOAT16",
  "DT_QINT16",
  "DT_QUINT16",
  "DT_UINT16",
  "DT_COMPLEX128",
  "DT_HALF",
  "DT_RESOURCE",
  "DT_VARIANT",
  "DT_UINT32",
  "DT_UINT64",
  "DT_FLOAT8_E5M2",
  "DT_FLOAT8_E4M3FN",
  "DT_FLOAT8_E4M3FNUZ",
  "DT_FLOAT8_E4M3B11FNUZ",
  "DT_FLOAT8_E5M2FNUZ",
  "DT_INT4",
  "DT_UINT4",
  "DT_INT2",
  "DT_UINT2",
  "DT_FLOAT4_E2M1FN"
]

const ENUM_OF: ReadonlyMap<DType, number> = new Map(DTYPES.map((d, i) => [d, i + 1]))
const BY_JSON_NAME: ReadonlyMap<string, DType> = new Map(JSON_NAMES.map((n, i) => [n, DTYPES[i]!]))

/**
 * The dtype for a `DataType` enum value. Reference types (`DT_FLOAT_REF` = 101 …, TF1
 * VariableV2 outputs) map to their value type. Returns `undefined` for DT_INVALID and
 * unknown values.
 */
export const dtypeFromEnum = (value: number): DType | undefined => {
  const v = value > 100 ? value - 100 : value
  return v >= 1 ? BY_ENUM[v - 1] : undefined
}

/** Whether a `DataType` enum value is a TF1 reference type (`DT_*_REF`). */
export const isRefEnum = (value: number): boolean => value > 100 && value - 100 <= BY_ENUM.length

/** The `DataType` enum value of a dtype. */
export const dtypeToEnum = (dtype: DType): number => ENUM_OF.get(dtype)!

/**
 * The dtype for a protobuf-JSON enum name (`"DT_FLOAT"`, `"DT_FLOAT_REF"`) or a number.
 * Also accepts our own names (`"float32"`) so that TF.js manifests (`"float32"`) and
 * GraphDef JSON (`"DT_FLOAT"`) share one parser.
 */
export const dtypeFromName = (name: string | number): DType | undefined => {
  if (typeof name === "number") return dtypeFromEnum(name)
  const base = name.endsWith("_REF") ? name.slice(0, -4) : name
  return BY_JSON_NAME.get(base) ?? (ENUM_OF.has(base as DType) ? (base as DType) : undefined)
}

/** The protobuf-JSON enum name of a dtype (`"DT_FLOAT"`). */
export const dtypeJsonName = (dtype: DType): string => JSON_NAMES[ENUM_OF.get(dtype)! - 1]!

/**
 * Bytes per element in TensorFlow's own serialization (`tensor_content`, checkpoint data).
 * `undefined` for variable-size dtypes (string, resource, variant).
 */
export const storageSize = (dtype: DType): number | undefined => {
  switch (dtype) {
    case "float64":
    case "int64":
    case "uint64":
    case "complex64":
      return 8
    case "complex128":
      return 16
    case "float32":
    case "int32":
    case "uint32":
    case "qint32":
      return 4
    case "float16":
    case "bfloat16":
    case "int16":
    case "uint16":
    case "qint16":
    case "quint16":
      return 2
    case "string":
    case "resource":
    case "variant":
      return undefined
    default:
      // bool, 8-bit ints, float8, and the sub-byte int4/int2/float4 types (one byte each)
      return 1
  }
}

/** Floating-point dtypes (real). */
export const isFloating = (d: DType): boolean =>
  d === "float32" || d === "float64" || d === "float16" || d === "bfloat16" || d.startsWith("float8") ||
  d === "float4_e2m1fn"

/** Complex dtypes. */
export const isComplex = (d: DType): boolean => d === "complex64" || d === "complex128"

/** Integer dtypes (signed, unsigned and quantized). */
export const isInteger = (d: DType): boolean =>
  d === "int32" || d === "int64" || d === "int16" || d === "int8" || d === "uint8" || d === "uint16" ||
  d === "uint32" || d === "uint64" || d === "qint8" || d === "quint8" || d === "qint16" || d === "quint16" ||
  d === "qint32" || d === "int4" || d === "uint4" || d === "int2" || d === "uint2"
