/**
 * Host tensors: tensor values living in JS memory (typed arrays), as read from model files.
 * Constants, variables and shape arithmetic use them; they become jax-js arrays only when
 * an op needs them on the device.
 *
 * @since 0.1.0
 */
import type { DType } from "./dtype.js"
import { storageSize } from "./dtype.js"
import { InvalidModelError } from "./errors.js"

/**
 * Element storage per dtype:
 * float32 / float16 / bfloat16 / float8* / float4 → Float32Array (narrow floats decoded exactly);
 * float64 → Float64Array; int32, qint32 → Int32Array; uint32 → Uint32Array; int16, qint16 →
 * Int16Array; uint16, quint16 → Uint16Array; int8, qint8, int4, int2 → Int8Array; uint8,
 * quint8, uint4, uint2 → Uint8Array; bool → Uint8Array (0/1); int64 → BigInt64Array;
 * uint64 → BigUint64Array; complex64 → Float32Array and complex128 → Float64Array with
 * interleaved (re, im); string → array of byte strings; resource / variant → opaque items.
 */
export type NumericData =
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | BigInt64Array
  | BigUint64Array

export type HostData = NumericData | ReadonlyArray<Uint8Array> | ReadonlyArray<unknown>

/** A fully known tensor value in host memory. */
export interface HostTensor {
  readonly dtype: DType
  readonly shape: ReadonlyArray<number>
  readonly data: HostData
}

/** Number of elements of a (fully known) shape. */
export const numElements = (shape: ReadonlyArray<number>): number => {
  let n = 1
  for (const d of shape) n *= d
  return n
}

/** `[2,3]` → "[2,3]", unknown dims as "?", unknown rank as "<unknown rank>". */
export const formatShape = (shape: ReadonlyArray<number> | null): string =>
  shape === null ? "<unknown rank>" : `[${shape.map((d) => (d < 0 ? "?" : String(d))).join(",")}]`

type TypedArrayCtor<T> = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T
  new (length: number): T
  readonly BYTES_PER_ELEMENT: number
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * A typed-array view of little-endian bytes without copying when the offset is aligned
 * (the common case for checkpoint data and TF.js shards); otherwise one copy.
 */
const viewOrCopy = <T extends NumericData>(ctor: TypedArrayCtor<T>, bytes: Uint8Array, count: number): T => {
  const size = ctor.BYTES_PER_ELEMENT
  if (LITTLE_ENDIAN_HOST && bytes.byteOffset % size === 0) return new ctor(bytes.buffer, bytes.byteOffset, count)
  const out = new ctor(count)
  const dst = new Uint8Array(out.buffer)
  if (LITTLE_ENDIAN_HOST) dst.set(bytes.subarray(0, count * size))
  else for (let i = 0; i < count * size; i += size) for (let j = 0; j < size; j++) dst[i + j] = bytes[i + size - 1 - j]!
  return out
}

const F32_SCRATCH = new Float32Array(1)
const U32_SCRATCH = new Uint32Array(F32_SCRATCH.buffer)

/** IEEE binary16 bits → number. */
export const halfToFloat = (h: number): number => {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const man = h & 0x3ff
  if (exp === 0) return sign * man * 2 ** -24
  if (exp === 0x1f) return man === 0 ? sign * Infinity : NaN
  return sign * (1 + man / 1024) * 2 ** (exp - 15)
}

/** bfloat16 bits → number (the upper half of a float32). */
export const bfloat16ToFloat = (b: number): number => {
  U32_SCRATCH[0] = (b & 0xffff) << 16
  return F32_SCRATCH[0]!
}

interface MinifloatFormat {
  readonly exp: number
  readonly man: number
  readonly bias: number
  /** "ieee": max exponent is inf/NaN; "fn": only all-ones is NaN; "fnuz": 0x80 is NaN, no -0. */
  readonly kind: "ieee" | "fn" | "fnuz"
}

const MINIFLOATS: Partial<Record<DType, MinifloatFormat>> = {
  float8_e5m2: { exp: 5, man: 2, bias: 15, kind: "ieee" },
  float8_e4m3fn: { exp: 4, man: 3, bias: 7, kind: "fn" },
  float8_e4m3fnuz: { exp: 4, man: 3, bias: 8, kind: "fnuz" },
  float8_e4m3b11fnuz: { exp: 4, man: 3, bias: 11, kind: "fnuz" },
  float8_e5m2fnuz: { exp: 5, man: 2, bias: 16, kind: "fnuz" },
  float4_e2m1fn: { exp: 2, man: 1, bias: 1, kind: "fn" }
}

const decodeMinifloat = (bits: number, f: MinifloatFormat): number => {
  const width = 1 + f.exp + f.man
  const signBit = 1 << (width - 1)
  if (f.kind === "fnuz" && bits === signBit) return NaN
  const sign = bits & signBit ? -1 : 1
  const e = (bits >> f.man) & ((1 << f.exp) - 1)
  const m = bits & ((1 << f.man) - 1)
  const maxE = (1 << f.exp) - 1
  if (f.kind === "ieee" && e === maxE) return m === 0 ? sign * Infinity : NaN
  if (f.kind === "fn" && f.exp + f.man === 7 && e === maxE && m === (1 << f.man) - 1) return NaN
  if (e === 0) return sign * m * 2 ** (1 - f.bias - f.man)
  return sign * (1 + m / (1 << f.man)) * 2 ** (e - f.bias)
}

/** Decodes 16-bit float patterns (as numbers) into a Float32Array. */
export const decode16BitFloats = (dtype: "float16" | "bfloat16", bits: ArrayLike<number>): Float32Array => {
  const out = new Float32Array(bits.length)
  const f = dtype === "float16" ? halfToFloat : bfloat16ToFloat
  for (let i = 0; i < bits.length; i++) out[i] = f(bits[i]! & 0xffff)
  return out
}

/** Decodes one-byte minifloat patterns (float8 variants, float4 stored one per byte). */
export const decodeMinifloats = (dtype: DType, bytes: ArrayLike<number>): Float32Array => {
  const fmt = MINIFLOATS[dtype]!
  const out = new Float32Array(bytes.length)
  for (let i = 0; i < bytes.length; i++) out[i] = decodeMinifloat(bytes[i]! & 0xff, fmt)
  return out
}

/** Where bytes came from, for error messages. */
export interface ByteContext {
  readonly file: string
  readonly where: string
}

/**
 * Decodes raw row-major little-endian tensor bytes (TensorFlow's `tensor_content`, checkpoint
 * data, TF.js shards) into a host tensor. Numeric dtypes only; `bytes.length` must equal
 * `numel × storageSize(dtype)`.
 */
export const fromLittleEndianBytes = (
  dtype: DType,
  shape: ReadonlyArray<number>,
  bytes: Uint8Array,
  ctx: ByteContext
): HostTensor => {
  const itemSize = storageSize(dtype)
  if (itemSize === undefined) {
    throw new InvalidModelError({ ...ctx, what: `dtype ${dtype} has no fixed-size byte encoding` })
  }
  const n = numElements(shape)
  if (bytes.length !== n * itemSize) {
    throw new InvalidModelError({
      ...ctx,
      what: `${dtype}${formatShape(shape)} needs ${n * itemSize} bytes, found ${bytes.length}`
    })
  }
  return { dtype, shape, data: decodeElements(dtype, bytes, n) }
}

const decodeElements = (dtype: DType, bytes: Uint8Array, n: number): HostData => {
  switch (dtype) {
    case "float32":
      return viewOrCopy(Float32Array, bytes, n)
    case "float64":
      return viewOrCopy(Float64Array, bytes, n)
    case "complex64":
      return viewOrCopy(Float32Array, bytes, 2 * n)
    case "complex128":
      return viewOrCopy(Float64Array, bytes, 2 * n)
    case "int32":
    case "qint32":
      return viewOrCopy(Int32Array, bytes, n)
    case "uint32":
      return viewOrCopy(Uint32Array, bytes, n)
    case "int16":
    case "qint16":
      return viewOrCopy(Int16Array, bytes, n)
    case "uint16":
    case "quint16":
      return viewOrCopy(Uint16Array, bytes, n)
    case "int64":
      return viewOrCopy(BigInt64Array, bytes, n)
    case "uint64":
      return viewOrCopy(BigUint64Array, bytes, n)
    case "int8":
    case "qint8":
    case "int4":
    case "int2":
      return new Int8Array(bytes.buffer, bytes.byteOffset, n)
    case "uint8":
    case "quint8":
    case "uint4":
    case "uint2":
      return bytes.subarray(0, n)
    case "bool": {
      // TF writes 0/1; normalise anything else so that consumers can trust the values.
      for (let i = 0; i < n; i++) {
        if (bytes[i]! > 1) {
          const out = new Uint8Array(n)
          for (let j = 0; j < n; j++) out[j] = bytes[j] ? 1 : 0
          return out
        }
      }
      return bytes.subarray(0, n)
    }
    case "float16":
    case "bfloat16":
      return decode16BitFloats(dtype, viewOrCopy(Uint16Array, bytes, n))
    default:
      return decodeMinifloats(dtype, bytes.subarray(0, n))
  }
}

/** A typed array of the storage type for `dtype` filled with zeros (length = numel, ×2 for complex). */
export const zerosData = (dtype: DType, n: number): HostData => {
  switch (dtype) {
    case "float64":
      return new Float64Array(n)
    case "complex64":
      return new Float32Array(2 * n)
    case "complex128":
      return new Float64Array(2 * n)
    case "int32":
    case "qint32":
      return new Int32Array(n)
    case "uint32":
      return new Uint32Array(n)
    case "int16":
    case "qint16":
      return new Int16Array(n)
    case "uint16":
    case "quint16":
      return new Uint16Array(n)
    case "int64":
      return new BigInt64Array(n)
    case "uint64":
      return new BigUint64Array(n)
    case "int8":
    case "qint8":
    case "int4":
    case "int2":
      return new Int8Array(n)
    case "uint8":
    case "quint8":
    case "uint4":
    case "uint2":
    case "bool":
      return new Uint8Array(n)
    case "string":
      return Array.from({ length: n }, () => new Uint8Array(0))
    case "resource":
    case "variant":
      return new Array<unknown>(n).fill(null)
    default:
      return new Float32Array(n)
  }
}

/** Bytes of host memory a tensor's data occupies (strings: total byte length). */
export const hostBytes = (t: HostTensor): number => {
  const d = t.data
  if (ArrayBuffer.isView(d)) return d.byteLength
  let total = 0
  for (const s of d as ReadonlyArray<unknown>) if (s instanceof Uint8Array) total += s.length
  return total
}

/** Reads element i as a JS number (bigint elements converted; complex: the real part). */
export const elementAsNumber = (t: HostTensor, i: number): number => {
  const d = t.data
  if (t.dtype === "complex64" || t.dtype === "complex128") return Number((d as Float32Array)[2 * i])
  const v = (d as ArrayLike<number | bigint>)[i]
  return typeof v === "bigint" ? Number(v) : Number(v)
}

/** The elements as JS numbers (numeric dtypes). Convenient for small shape tensors. */
export const toNumbers = (t: HostTensor): number[] => {
  const n = numElements(t.shape)
  const out = new Array<number>(n)
  for (let i = 0; i < n; i++) out[i] = elementAsNumber(t, i)
  return out
}
