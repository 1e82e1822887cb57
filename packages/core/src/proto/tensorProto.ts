/**
 * `TensorProto` → host tensor, for every dtype, following TensorFlow's own rules
 * (tensor.cc): `tensor_content` holds the whole tensor when non-empty; otherwise the typed
 * repeated field for the dtype, where fewer values than elements repeat the last value
 * (`tf.zeros([3,3])` is stored as `float_val: [0]`) and no values mean zeros.
 *
 * @since 0.1.0
 */
import type { DType } from "../dtype.js"
import { dtypeFromEnum } from "../dtype.js"
import { InvalidModelError } from "../errors.js"
import type { ByteContext, HostData, HostTensor } from "../HostTensor.js"
import {
  decode16BitFloats,
  decodeMinifloats,
  formatShape,
  fromLittleEndianBytes,
  numElements,
  zerosData
} from "../HostTensor.js"
import type { Shape } from "../graph/ir.js"
import { int64ToBigInt, int64ToNumber, type pb, uint64ToBigInt } from "./decode.js"

/**
 * The most elements a tensor may expand to from fewer stored values (the fill rule).
 * Real graphs hold splatted constants far below this; a corrupt shape must not make us
 * allocate gigabytes from a few bytes.
 */
export const MAX_FILL_ELEMENTS = 1 << 26

/** `TensorShapeProto` → shape (`null` for unknown rank). */
export const shapeFromProto = (s: pb.TensorShapeProto.$Properties | null | undefined): Shape => {
  if (!s) return []
  if (s.unknownRank) return null
  return (s.dim ?? []).map((d) => int64ToNumber(d.size))
}

/** A shape that must be fully known and non-negative (constants, checkpoint entries). */
export const knownShape = (shape: Shape, ctx: ByteContext): ReadonlyArray<number> => {
  if (shape === null || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new InvalidModelError({ ...ctx, what: `expected a fully known shape, found ${formatShape(shape)}` })
  }
  const n = numElements(shape)
  if (!Number.isSafeInteger(n)) {
    throw new InvalidModelError({ ...ctx, what: `shape ${formatShape(shape)} has too many elements` })
  }
  return shape
}

type Ctor<T> = { new (n: number): T; from(xs: ArrayLike<unknown>): T }

/** Copies `values` into a typed array of n elements with the repeat-last fill rule. */
const fill = <T extends { [i: number]: unknown; length: number }>(
  ctor: Ctor<T>,
  values: ArrayLike<unknown>,
  n: number,
  perElement = 1
): T => {
  const out = new ctor(n * perElement)
  const m = Math.min(values.length, n * perElement)
  for (let i = 0; i < m; i++) out[i] = values[i]
  if (m > 0 && m < n * perElement) {
    // Complex values repeat the last (re, im) pair; others the last scalar.
    for (let i = m; i < n * perElement; i++) out[i] = values[m - perElement + ((i - m) % perElement)]
  }
  return out
}

const checkFill = (count: number, n: number, ctx: ByteContext, dtype: DType, shape: ReadonlyArray<number>) => {
  if (count < n && n > MAX_FILL_ELEMENTS) {
    throw new InvalidModelError({
      ...ctx,
      what: `${dtype}${formatShape(shape)} would be filled from ${count} stored value(s) to ${n} elements (limit ${MAX_FILL_ELEMENTS})`
    })
  }
}

/** Decodes a `TensorProto` into a host tensor. */
export const tensorFromProto = (t: pb.TensorProto.$Properties, ctx: ByteContext): HostTensor => {
  const dtype = dtypeFromEnum(t.dtype ?? 0)
  if (dtype === undefined) throw new InvalidModelError({ ...ctx, what: `tensor has invalid dtype ${t.dtype ?? 0}` })
  const shape = knownShape(shapeFromProto(t.tensorShape), ctx)
  const n = numElements(shape)
  const content = t.tensorContent
  if (content && content.length > 0 && dtype !== "string") {
    return fromLittleEndianBytes(dtype, shape, content, ctx)
  }
  const data = fromTypedField(dtype, t, n, shape, ctx)
  return { dtype, shape, data }
}

const fromTypedField = (
  dtype: DType,
  t: pb.TensorProto.$Properties,
  n: number,
  shape: ReadonlyArray<number>,
  ctx: ByteContext
): HostData => {
  const vals = (xs: ArrayLike<unknown> | null | undefined, perElement = 1): ArrayLike<unknown> => {
    const v = xs ?? []
    checkFill(Math.floor(v.length / perElement), n, ctx, dtype, shape)
    return v
  }
  switch (dtype) {
    case "float32":
      return fill(Float32Array, vals(t.floatVal), n)
    case "float64":
      return fill(Float64Array, vals(t.doubleVal), n)
    case "int32":
    case "qint32":
      return fill(Int32Array, vals(t.intVal), n)
    case "int16":
    case "qint16":
      return fill(Int16Array, vals(t.intVal), n)
    case "uint16":
    case "quint16":
      return fill(Uint16Array, vals(t.intVal), n)
    case "int8":
    case "qint8":
    case "int4":
    case "int2":
      return fill(Int8Array, vals(t.intVal), n)
    case "uint8":
    case "quint8":
    case "uint4":
    case "uint2":
      return fill(Uint8Array, vals(t.intVal), n)
    case "uint32":
      return fill(Uint32Array, vals(t.uint32Val), n)
    case "int64":
      return fill(BigInt64Array, Array.from(vals(t.int64Val), (v) => int64ToBigInt(v as number)), n)
    case "uint64":
      return fill(BigUint64Array, Array.from(vals(t.uint64Val), (v) => uint64ToBigInt(v as number)), n)
    case "bool":
      return fill(Uint8Array, Array.from(vals(t.boolVal), (b) => (b ? 1 : 0)), n)
    case "complex64":
      return fill(Float32Array, vals(t.scomplexVal, 2), n, 2)
    case "complex128":
      return fill(Float64Array, vals(t.dcomplexVal, 2), n, 2)
    case "float16":
    case "bfloat16":
      return decode16BitFloats(dtype, fill(Uint16Array, vals(t.halfVal), n))
    case "string": {
      const v = vals(t.stringVal) as ArrayLike<Uint8Array>
      const out: Array<Uint8Array> = []
      for (let i = 0; i < n; i++) out.push(v.length === 0 ? new Uint8Array(0) : v[Math.min(i, v.length - 1)]!)
      return out
    }
    case "resource": {
      const v = vals(t.resourceHandleVal) as ArrayLike<unknown>
      return Array.from({ length: n }, (_, i) => (v.length === 0 ? null : v[Math.min(i, v.length - 1)]))
    }
    case "variant": {
      const v = vals(t.variantVal) as ArrayLike<unknown>
      return Array.from({ length: n }, (_, i) => (v.length === 0 ? null : v[Math.min(i, v.length - 1)]))
    }
    default: {
      // float8 / float4: one byte per element in float8_val.
      const bytes = t.float8Val ?? new Uint8Array(0)
      if (bytes.length === 0) return zerosData(dtype, n)
      return decodeMinifloats(dtype, fill(Uint8Array, vals(bytes), n))
    }
  }
}
