/**
 * Writes SSTables and TensorBundles the way TensorFlow's TableBuilder and BundleWriter lay
 * them out (same block splitting, restart intervals, index separators, field order), so
 * that the reader can be tested on synthetic checkpoints of any shape — many blocks,
 * Snappy, several shards, strings — and on deliberately inconsistent ones: every field is
 * written as given, unchecked.
 *
 * @since 0.1.0
 */
import snappy from "snappyjs"
import type { DType } from "../../dtype.js"
import { dtypeToEnum } from "../../dtype.js"
import { crc32c, maskCrc } from "./crc32c.js"
import type { SSTableEntry } from "./sstable.js"
import { compareBytes, FOOTER_SIZE, NO_COMPRESSION, SNAPPY_COMPRESSION, TABLE_MAGIC } from "./sstable.js"

/** A growable byte buffer with the LEB128/little-endian primitives both formats need. */
class Bytes {
  private buf = new Uint8Array(256)
  length = 0

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n))
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
  }

  byte(b: number): this {
    this.reserve(1)
    this.buf[this.length++] = b & 0xff
    return this
  }

  /** Unsigned LEB128; negative numbers are written as 64-bit two's complement (10 bytes). */
  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v))
    while (x >= 0x80n) {
      this.byte(Number(x & 0x7fn) | 0x80)
      x >>= 7n
    }
    return this.byte(Number(x))
  }

  uint32(v: number): this {
    return this.byte(v).byte(v >>> 8).byte(v >>> 16).byte(v >>> 24)
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length)
    this.buf.set(b, this.length)
    this.length += b.length
    return this
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length)
  }
}

// --- protobuf (only the two messages of tensor_bundle.proto) ---------------------------

const tag = (w: Bytes, field: number, wire: number) => w.varint((field << 3) | wire)

/** proto3: scalars at their default value are not written. */
const varintField = (w: Bytes, field: number, v: number | bigint) => {
  if (BigInt(v) !== 0n) tag(w, field, 0).varint(v)
}

const messageField = (w: Bytes, field: number, body: Uint8Array) => tag(w, field, 2).varint(body.length).bytes(body)

export interface HeaderFields {
  readonly numShards: number
  /** 0 = LITTLE, 1 = BIG. */
  readonly endianness?: number
  readonly producer?: number
  readonly minConsumer?: number
  readonly badConsumers?: ReadonlyArray<number>
}

export const encodeBundleHeader = (h: HeaderFields): Uint8Array => {
  const w = new Bytes()
  varintField(w, 1, h.numShards)
  varintField(w, 2, h.endianness ?? 0)
  const v = new Bytes()
  varintField(v, 1, h.producer ?? 1)
  varintField(v, 2, h.minConsumer ?? 0)
  for (const b of h.badConsumers ?? []) tag(v, 3, 0).varint(b)
  messageField(w, 3, v.finish())
  return w.finish()
}

export interface EntryFields {
  /** DataType enum value. */
  readonly dtype: number
  /** Dims as written (may be negative); `null` = unknown rank. */
  readonly shape: ReadonlyArray<number | bigint> | null
  readonly shardId: number
  readonly offset: number | bigint
  readonly size: number | bigint
  /** Masked CRC32C. */
  readonly crc32c: number
  /** Number of (empty) TensorSliceProto slices: > 0 marks a partitioned variable. */
  readonly slices?: number
}

export const encodeBundleEntry = (e: EntryFields): Uint8Array => {
  const w = new Bytes()
  varintField(w, 1, e.dtype)
  const s = new Bytes()
  if (e.shape === null) varintField(s, 3, 1)
  else for (const d of e.shape) messageField(s, 2, new Bytes().byte(0x08).varint(d).finish())
  messageField(w, 2, s.finish()) // TF always writes the shape, even a scalar's empty one
  varintField(w, 3, e.shardId)
  varintField(w, 4, e.offset)
  varintField(w, 5, e.size)
  if (e.crc32c !== 0) tag(w, 6, 5).uint32(e.crc32c)
  for (let i = 0; i < (e.slices ?? 0); i++) messageField(w, 7, new Uint8Array(0))
  return w.finish()
}

// --- SSTable ---------------------------------------------------------------------------

export interface TableOptions {
  /** Flush a data block once its estimated size reaches this (TF: 256 KiB). */
  readonly blockSize?: number
  /** Entries between full keys in data blocks (TF: 16; the index block uses 1). */
  readonly restartInterval?: number
  /** Snappy-compress blocks that shrink by at least 1/8, as LevelDB does. */
  readonly snappy?: boolean
}

class BlockBuilder {
  private readonly w = new Bytes()
  private readonly restarts: Array<number> = [0]
  private counter = 0
  private last: Uint8Array = new Uint8Array(0)
  count = 0

  constructor(private readonly restartInterval: number) {}

  add(key: Uint8Array, value: Uint8Array): void {
    let shared = 0
    if (this.counter < this.restartInterval) {
      const n = Math.min(this.last.length, key.length)
      while (shared < n && this.last[shared] === key[shared]) shared++
    } else {
      this.restarts.push(this.w.length)
      this.counter = 0
    }
    this.w.varint(shared).varint(key.length - shared).varint(value.length)
    this.w.bytes(key.subarray(shared)).bytes(value)
    this.last = key
    this.counter++
    this.count++
  }

  sizeEstimate(): number {
    return this.w.length + 4 * this.restarts.length + 4
  }

  finish(): Uint8Array {
    for (const r of this.restarts) this.w.uint32(r)
    return this.w.uint32(this.restarts.length).finish()
  }
}

/** LevelDB's BytewiseComparator::FindShortestSeparator: a short key in [start, limit). */
const shortestSeparator = (start: Uint8Array, limit: Uint8Array): Uint8Array => {
  const n = Math.min(start.length, limit.length)
  let i = 0
  while (i < n && start[i] === limit[i]) i++
  if (i < n) {
    const b = start[i]!
    if (b < 0xff && b + 1 < limit[i]!) {
      const out = start.slice(0, i + 1)
      out[i] = b + 1
      return out
    }
  }
  return start
}

/** FindShortSuccessor: a short key ≥ `key`. */
const shortSuccessor = (key: Uint8Array): Uint8Array => {
  for (let i = 0; i < key.length; i++) {
    if (key[i] !== 0xff) {
      const out = key.slice(0, i + 1)
      out[i] = key[i]! + 1
      return out
    }
  }
  return key
}

/** Writes a table of `entries` (which must be sorted; not checked, so tests can break it). */
export const writeSSTable = (entries: Iterable<SSTableEntry>, options: TableOptions = {}): Uint8Array => {
  const blockSize = options.blockSize ?? 256 * 1024
  const interval = options.restartInterval ?? 16
  const out = new Bytes()
  const writeBlock = (contents: Uint8Array) => {
    let type = NO_COMPRESSION
    let stored: Uint8Array = contents
    if (options.snappy) {
      const c = snappy.compress(contents)
      if (c.length < contents.length - Math.floor(contents.length / 8)) {
        type = SNAPPY_COMPRESSION
        stored = c
      }
    }
    const handle = new Bytes().varint(out.length).varint(stored.length).finish()
    const crc = crc32c(new Uint8Array([type]), crc32c(stored))
    out.bytes(stored).byte(type).uint32(maskCrc(crc))
    return handle
  }
  const index = new BlockBuilder(1)
  let block = new BlockBuilder(interval)
  let lastKey: Uint8Array | undefined
  let pendingHandle: Uint8Array | undefined
  for (const { key, value } of entries) {
    if (pendingHandle !== undefined) {
      index.add(shortestSeparator(lastKey!, key), pendingHandle)
      pendingHandle = undefined
    }
    block.add(key, value)
    lastKey = key
    if (block.sizeEstimate() >= blockSize) {
      pendingHandle = writeBlock(block.finish())
      block = new BlockBuilder(interval)
    }
  }
  if (block.count > 0) pendingHandle = writeBlock(block.finish())
  if (pendingHandle !== undefined) index.add(shortSuccessor(lastKey!), pendingHandle)
  const metaHandle = writeBlock(new BlockBuilder(interval).finish())
  const indexHandle = writeBlock(index.finish())
  const footer = new Bytes().bytes(metaHandle).bytes(indexHandle)
  while (footer.length < FOOTER_SIZE - TABLE_MAGIC.length) footer.byte(0)
  for (const b of TABLE_MAGIC) footer.byte(b)
  return out.bytes(footer.finish()).finish()
}

// --- TensorBundle ----------------------------------------------------------------------

/** One tensor to write: raw little-endian bytes (numeric dtypes) or the strings. */
export interface TensorToWrite {
  readonly key: string
  readonly dtype: DType
  readonly shape: ReadonlyArray<number>
  readonly data: Uint8Array | ReadonlyArray<Uint8Array>
  readonly shardId?: number
}

/** TF's string tensor encoding; `crc` is the unmasked checksum the entry stores (masked). */
export const encodeStrings = (strings: ReadonlyArray<Uint8Array>): { bytes: Uint8Array; crc: number } => {
  const w = new Bytes()
  const fixed = new Bytes()
  for (const s of strings) {
    w.varint(s.length)
    fixed.uint32(s.length)
  }
  const lengthsCrc = crc32c(fixed.finish())
  const checksum = new Bytes().uint32(maskCrc(lengthsCrc)).finish()
  w.bytes(checksum)
  let crc = crc32c(checksum, lengthsCrc)
  for (const s of strings) {
    w.bytes(s)
    crc = crc32c(s, crc)
  }
  return { bytes: w.finish(), crc }
}

export interface BundleOptions extends TableOptions {
  readonly numShards?: number
  /** Header overrides (tests of refusal paths). */
  readonly header?: Partial<HeaderFields>
}

/** The index bytes and the data shards of a bundle holding `tensors` (written in the order given). */
export const writeTensorBundle = (
  tensors: ReadonlyArray<TensorToWrite>,
  options: BundleOptions = {}
): { readonly index: Uint8Array; readonly shards: ReadonlyArray<Uint8Array> } => {
  const numShards = options.numShards ?? 1
  const shards = Array.from({ length: numShards }, () => new Bytes())
  const enc = new TextEncoder()
  const entries: Array<SSTableEntry> = [
    { key: new Uint8Array(0), value: encodeBundleHeader({ numShards, ...options.header }) }
  ]
  for (const t of tensors) {
    const shardId = t.shardId ?? 0
    const shard = shards[shardId]!
    const { bytes, crc } = t.data instanceof Uint8Array ? { bytes: t.data, crc: crc32c(t.data) } : encodeStrings(t.data)
    const value = encodeBundleEntry({
      dtype: dtypeToEnum(t.dtype),
      shape: t.shape,
      shardId,
      offset: shard.length,
      size: bytes.length,
      crc32c: maskCrc(crc)
    })
    shard.bytes(bytes)
    entries.push({ key: enc.encode(t.key), value })
  }
  entries.sort((a, b) => compareBytes(a.key, b.key))
  return { index: writeSSTable(entries, options), shards: shards.map((s) => s.finish()) }
}
