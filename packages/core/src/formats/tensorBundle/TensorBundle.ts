/**
 * TensorBundle checkpoints: `<prefix>.index` (an SSTable of BundleEntryProto, keyed by
 * tensor name, with the BundleHeaderProto under key "") and the data shards
 * `<prefix>.data-%05d-of-%05d` (notes/tf-formats.md §2).
 *
 * The index is read eagerly and checked entry by entry; tensor data is read lazily, each
 * shard once, and numeric tensors are views into the shard bytes when aligned.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { DType } from "../../dtype.js"
import { dtypeFromEnum, storageSize } from "../../dtype.js"
import type { ReadError } from "../../errors.js"
import { InvalidModelError } from "../../errors.js"
import type { HostTensor } from "../../HostTensor.js"
import { formatShape, fromLittleEndianBytes, numElements } from "../../HostTensor.js"
import type { ModelSource } from "../../io/ModelSource.js"
import { decodeMessage, int64ToBigInt, pb } from "../../proto/decode.js"
import { knownShape, shapeFromProto } from "../../proto/tensorProto.js"
import { crc32c, hex32, maskCrc, unmaskCrc } from "./crc32c.js"
import { Cursor, readUint32LE } from "./cursor.js"
import { showKey, sstableEntries } from "./sstable.js"

/** The bundle format version this reader implements (TF's kTensorBundleVersion). */
export const TENSOR_BUNDLE_VERSION = 1

/** The key of the serialized TrackableObjectGraph in TF2 checkpoints. */
export const OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"

export interface BundleHeader {
  readonly numShards: number
  /** Big-endian bundles are refused when opened. */
  readonly endianness: "little"
  readonly version: {
    readonly producer: number
    readonly minConsumer: number
    readonly badConsumers: ReadonlyArray<number>
  }
}

/** Where and how one tensor is stored. */
export interface BundleEntry {
  readonly key: string
  readonly dtype: DType
  readonly shape: ReadonlyArray<number>
  readonly shardId: number
  /** Byte range in the shard. */
  readonly offset: number
  readonly size: number
  /** Masked CRC32C of the stored bytes, as stored. */
  readonly crc32c: number
  /** A partitioned variable's full-tensor entry (its data lives in slice entries; unsupported). */
  readonly sliced: boolean
}

export interface TensorBundle {
  /** E.g. "variables/variables". */
  readonly prefix: string
  readonly header: BundleHeader
  /** Every tensor entry by key, in key order (the header and slice-data keys are left out). */
  readonly entries: ReadonlyMap<string, BundleEntry>
  /** Reads one tensor; its shard is loaded on first use and kept. */
  readonly read: (key: string) => Effect.Effect<HostTensor, ReadError>
}

/** `<prefix>.index` */
export const indexPath = (prefix: string): string => `${prefix}.index`

/** `<prefix>.data-00000-of-00001` */
export const dataShardPath = (prefix: string, shardId: number, numShards: number): string =>
  `${prefix}.data-${String(shardId).padStart(5, "0")}-of-${String(numShards).padStart(5, "0")}`

/**
 * Runs synchronous parsing code: an `InvalidModelError` it throws becomes the failure; any
 * other exception stays a defect (a bug here, not bad input, so it must not be disguised).
 */
const attempt = <A>(f: () => A): Effect.Effect<A, InvalidModelError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(f())
    } catch (e) {
      if (e instanceof InvalidModelError) return Effect.fail(e)
      throw e
    }
  })

/** int64 field → non-negative safe integer, or an error naming the field. */
const nonNegative = (v: Parameters<typeof int64ToBigInt>[0], fail: (what: string) => InvalidModelError, what: string) => {
  const b = int64ToBigInt(v)
  if (b < 0n || b > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`${what} ${b} is out of range`)
  return Number(b)
}

const parseHeader = (value: Uint8Array, file: string): BundleHeader => {
  const h = decodeMessage(pb.BundleHeaderProto, value, file, "BundleHeaderProto")
  const fail = (what: string) => new InvalidModelError({ file, where: 'header (key "")', what })
  if (h.endianness === pb.BundleHeaderProto.Endianness.BIG) {
    throw fail("the checkpoint was written big-endian; only little-endian checkpoints are supported")
  }
  if (h.endianness !== pb.BundleHeaderProto.Endianness.LITTLE) throw fail(`unknown endianness ${h.endianness}`)
  if (!(h.numShards >= 1)) throw fail(`num_shards ${h.numShards} must be at least 1`)
  const version = {
    producer: h.version?.producer ?? 0,
    minConsumer: h.version?.minConsumer ?? 0,
    badConsumers: h.version?.badConsumers ?? []
  }
  // TF's own compatibility rule (CheckVersions in tensor_bundle.cc).
  if (version.producer < 0 || version.minConsumer > TENSOR_BUNDLE_VERSION) {
    throw fail(
      `bundle version: producer ${version.producer}, min consumer ${version.minConsumer}; ` +
        `this reader implements version ${TENSOR_BUNDLE_VERSION}`
    )
  }
  if (version.badConsumers.includes(TENSOR_BUNDLE_VERSION)) {
    throw fail(`bundle version ${TENSOR_BUNDLE_VERSION} is listed as a bad consumer`)
  }
  return { numShards: h.numShards, endianness: "little", version }
}

const parseEntry = (key: string, value: Uint8Array, header: BundleHeader, file: string): BundleEntry => {
  const where = `entry "${key}"`
  const fail = (what: string) => new InvalidModelError({ file, where, what })
  let e: pb.BundleEntryProto
  try {
    e = decodeMessage(pb.BundleEntryProto, value, file, "BundleEntryProto")
  } catch (err) {
    throw err instanceof InvalidModelError ? fail(err.what) : err
  }
  const dtype = dtypeFromEnum(e.dtype)
  if (dtype === undefined) throw fail(`unknown dtype enum ${e.dtype}`)
  const shape = knownShape(shapeFromProto(e.shape), { file, where })
  if (!(e.shardId >= 0 && e.shardId < header.numShards)) {
    throw fail(`shard_id ${e.shardId} outside the header's ${header.numShards} shard(s)`)
  }
  const offset = nonNegative(e.offset, fail, "offset")
  const size = nonNegative(e.size, fail, "size")
  const sliced = e.slices.length > 0
  const itemSize = storageSize(dtype)
  if (!sliced && itemSize !== undefined && size !== numElements(shape) * itemSize) {
    throw fail(`${dtype}${formatShape(shape)} needs ${numElements(shape) * itemSize} bytes, the entry says ${size}`)
  }
  return { key, dtype, shape, shardId: e.shardId, offset, size, crc32c: e.crc32c >>> 0, sliced }
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** Parses the whole index: the header, then every entry (checked, not yet read). */
export const parseBundleIndex = (
  bytes: Uint8Array,
  file: string
): { readonly header: BundleHeader; readonly entries: ReadonlyMap<string, BundleEntry> } => {
  let header: BundleHeader | undefined
  const entries = new Map<string, BundleEntry>()
  for (const { key, value } of sstableEntries(bytes, file)) {
    if (header === undefined) {
      // "" sorts first, so the header is the first entry or missing.
      if (key.length !== 0) {
        throw new InvalidModelError({ file, where: `key ${showKey(key)}`, what: 'missing the header entry (key "")' })
      }
      header = parseHeader(value, file)
      continue
    }
    // Slices of partitioned variables are stored under OrderedCode keys, which start with 0x00.
    if (key[0] === 0) continue
    let name: string
    try {
      name = utf8.decode(key)
    } catch {
      throw new InvalidModelError({ file, where: `key ${showKey(key)}`, what: "tensor name is not valid UTF-8" })
    }
    entries.set(name, parseEntry(name, value, header, file))
  }
  if (header === undefined) {
    throw new InvalidModelError({ file, where: "", what: 'empty index: missing the header entry (key "")' })
  }
  return { header, entries }
}

/**
 * Decodes a DT_STRING entry: numel varint64 lengths, a masked CRC32C of the lengths (each
 * as uint32 LE, uint64 if larger), then the bytes. The entry checksum covers the lengths in
 * that fixed-width form (not the varints), the 4 checksum bytes and the string bytes.
 * Elements are views into `bytes`.
 */
const decodeStrings = (entry: BundleEntry, bytes: Uint8Array, file: string): HostTensor => {
  const where = `entry "${entry.key}" @${entry.offset}`
  const c = new Cursor(bytes, 0, bytes.length, file, (pos) => `${where}+${pos}`)
  const n = numElements(entry.shape)
  // Each length takes at least one byte: refuse before allocating per element.
  if (n + 4 > bytes.length) throw c.error(`${n} strings need at least ${n + 4} bytes, the entry has ${bytes.length}`, 0)
  const lengths = new Array<number>(n)
  let wide = 0
  let total = 0
  for (let i = 0; i < n; i++) {
    const len = c.varint64("string length")
    total += len
    if (total > bytes.length) throw c.error(`string lengths add up to more than the entry's ${bytes.length} bytes`)
    lengths[i] = len
    if (len > 0xffffffff) wide++
  }
  const fixed = new Uint8Array(4 * n + 4 * wide)
  const view = new DataView(fixed.buffer)
  for (let i = 0, p = 0; i < n; i++) {
    const len = lengths[i]!
    if (len > 0xffffffff) {
      view.setBigUint64(p, BigInt(len), true)
      p += 8
    } else {
      view.setUint32(p, len, true)
      p += 4
    }
  }
  const lengthsCrc = crc32c(fixed)
  const checksumAt = c.pos
  const checksumBytes = c.take(4, "string lengths checksum")
  const storedLengthsCrc = readUint32LE(checksumBytes, 0)
  if (unmaskCrc(storedLengthsCrc) !== lengthsCrc) {
    throw c.error(
      `string lengths checksum mismatch (stored ${hex32(unmaskCrc(storedLengthsCrc))}, computed ${hex32(lengthsCrc)})`,
      checksumAt
    )
  }
  if (c.remaining !== total) throw c.error(`expected ${total} string bytes, the entry has ${c.remaining}`)
  const payload = bytes.subarray(c.pos)
  const actual = crc32c(payload, crc32c(checksumBytes, lengthsCrc))
  if (maskCrc(actual) !== entry.crc32c) {
    throw c.error(`checksum mismatch (stored ${hex32(unmaskCrc(entry.crc32c))}, computed ${hex32(actual)})`, 0)
  }
  const data = lengths.map((len) => c.take(len, "string"))
  return { dtype: "string", shape: entry.shape, data }
}

/** Checks and decodes one entry from its shard's bytes. */
export const decodeEntry = (entry: BundleEntry, shard: Uint8Array, file: string): HostTensor => {
  const where = `entry "${entry.key}" @${entry.offset}`
  const fail = (what: string) => new InvalidModelError({ file, where, what })
  if (entry.offset + entry.size > shard.length) {
    throw fail(`byte range [${entry.offset}, ${entry.offset + entry.size}) lies outside the ${shard.length}-byte shard`)
  }
  const bytes = shard.subarray(entry.offset, entry.offset + entry.size)
  if (entry.dtype === "string") return decodeStrings(entry, bytes, file)
  if (storageSize(entry.dtype) === undefined) {
    throw fail(`${entry.dtype} entries are not supported (only numeric and string tensors)`)
  }
  const actual = crc32c(bytes)
  if (maskCrc(actual) !== entry.crc32c) {
    throw fail(`checksum mismatch (stored ${hex32(unmaskCrc(entry.crc32c))}, computed ${hex32(actual)})`)
  }
  return fromLittleEndianBytes(entry.dtype, entry.shape, bytes, { file, where })
}

/**
 * Opens the TensorBundle `<prefix>.index` in `source` (e.g. prefix "variables/variables" of
 * a SavedModel, or "model" of a TF1 checkpoint directory) and checks every entry.
 */
export const readTensorBundle = (source: ModelSource, prefix: string): Effect.Effect<TensorBundle, ReadError> =>
  Effect.gen(function* () {
    const file = indexPath(prefix)
    const bytes = yield* source.read(file)
    const { header, entries } = yield* attempt(() => parseBundleIndex(bytes, file))
    // One memoised load per shard that some entry uses (never per declared shard: that
    // count comes from the file and may be huge).
    const shards = new Map<number, Effect.Effect<Uint8Array, ReadError>>()
    for (const e of entries.values()) {
      if (!shards.has(e.shardId)) {
        shards.set(e.shardId, yield* Effect.cached(source.read(dataShardPath(prefix, e.shardId, header.numShards))))
      }
    }
    const read = (key: string): Effect.Effect<HostTensor, ReadError> =>
      Effect.suspend(() => {
        const entry = entries.get(key)
        if (entry === undefined) {
          return Effect.fail(new InvalidModelError({ file, where: `key "${key}"`, what: "no such tensor in the checkpoint" }))
        }
        if (entry.sliced) {
          return Effect.fail(
            new InvalidModelError({
              file,
              where: `entry "${key}"`,
              what: "a partitioned (sliced) variable; reading partitioned variables is not supported"
            })
          )
        }
        const shardFile = dataShardPath(prefix, entry.shardId, header.numShards)
        return Effect.flatMap(shards.get(entry.shardId)!, (shard) => attempt(() => decodeEntry(entry, shard, shardFile)))
      })
    return { prefix, header, entries, read } satisfies TensorBundle
  })

export interface ReadProgress {
  /** Tensors read so far, including this one. */
  readonly done: number
  readonly total: number
  readonly key: string
  readonly bytesDone: number
  readonly bytesTotal: number
}

/** Reads every tensor in key order (fails on the first one that cannot be read). */
export const readAll = (
  bundle: TensorBundle,
  onProgress?: (progress: ReadProgress) => void
): Effect.Effect<ReadonlyMap<string, HostTensor>, ReadError> =>
  Effect.gen(function* () {
    const out = new Map<string, HostTensor>()
    const total = bundle.entries.size
    let bytesTotal = 0
    for (const e of bundle.entries.values()) bytesTotal += e.size
    let bytesDone = 0
    for (const [key, entry] of bundle.entries) {
      out.set(key, yield* bundle.read(key))
      bytesDone += entry.size
      onProgress?.({ done: out.size, total, key, bytesDone, bytesTotal })
    }
    return out
  })

/**
 * The checkpoint's TrackableObjectGraph (TF2 object-based checkpoints), or `undefined` for
 * TF1 checkpoints that have none.
 */
export const trackableObjectGraph = (
  bundle: TensorBundle
): Effect.Effect<pb.TrackableObjectGraph | undefined, ReadError> =>
  Effect.gen(function* () {
    const entry = bundle.entries.get(OBJECT_GRAPH_KEY)
    if (entry === undefined) return undefined
    const file = indexPath(bundle.prefix)
    if (entry.dtype !== "string" || numElements(entry.shape) !== 1) {
      return yield* new InvalidModelError({
        file,
        where: `entry "${OBJECT_GRAPH_KEY}"`,
        what: `expected a scalar string, found ${entry.dtype}${formatShape(entry.shape)}`
      })
    }
    const t = yield* bundle.read(OBJECT_GRAPH_KEY)
    const bytes = (t.data as ReadonlyArray<Uint8Array>)[0]!
    const shardFile = dataShardPath(bundle.prefix, entry.shardId, bundle.header.numShards)
    return yield* attempt(() => decodeMessage(pb.TrackableObjectGraph, bytes, shardFile, "TrackableObjectGraph"))
  })
