/**
 * A reader for the LevelDB-style SSTable TensorFlow uses as a checkpoint's `.index` file
 * (tensorflow/core/lib/io/table_format.txt; notes/tf-formats.md §2.1).
 *
 * File = data blocks, a metaindex block, an index block, a 48-byte footer. Each block is
 * followed by a 5-byte trailer (compression type, masked CRC32C of contents ‖ type). Block
 * contents = prefix-compressed entries, a uint32 restart array, its length.
 *
 * Every structural fact is checked, so that a corrupt or hostile file ends in an
 * `InvalidModelError` with the file name and byte offset, in time linear in the file size.
 *
 * @since 0.1.0
 */
import { InvalidModelError } from "../../errors.js"
import { crc32c, hex32, unmaskCrc } from "./crc32c.js"
import type { Locate } from "./cursor.js"
import { atByte, Cursor, readUint32LE } from "./cursor.js"
import { snappyUncompress } from "./snappy.js"

/** The footer: two handles padded to 40 bytes, then the magic number. */
export const FOOTER_SIZE = 48
/** Compression type byte + masked CRC32C after every block. */
export const BLOCK_TRAILER_SIZE = 5
/** `0xdb4775248b80fb57` as little-endian bytes. */
export const TABLE_MAGIC: ReadonlyArray<number> = [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb]

export const NO_COMPRESSION = 0
export const SNAPPY_COMPRESSION = 1

/** Where a block lives: its contents' offset and size (the size excludes the trailer). */
export interface BlockHandle {
  readonly offset: number
  readonly size: number
}

export interface Footer {
  readonly metaindex: BlockHandle
  readonly index: BlockHandle
}

/** One key/value pair. `value` is a view into the file (or the decompressed block). */
export interface SSTableEntry {
  readonly key: Uint8Array
  readonly value: Uint8Array
}

/** Decoded block contents plus how to name positions inside them in messages. */
export interface Block {
  readonly contents: Uint8Array
  readonly locate: Locate
}

/**
 * How many bytes of keys a table may expand to, relative to its file size (with a floor).
 * Prefix compression lets each tiny entry repeat a long previous key, so a hostile block of
 * n bytes could otherwise materialise O(n²) bytes of keys. Real indexes stay far below.
 */
export const KEY_EXPANSION_FACTOR = 32
export const KEY_BYTES_FLOOR = 64 << 20

/** The remaining key-byte allowance of one table, shared by its blocks. */
export interface KeyBudget {
  left: number
}

export const keyBudgetFor = (fileSize: number): KeyBudget => ({
  left: Math.max(KEY_BYTES_FLOOR, KEY_EXPANSION_FACTOR * fileSize)
})

/** Bytewise comparison (the SSTable key order). */
export const compareBytes = (a: Uint8Array, b: Uint8Array): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/** A key for messages: printable ASCII as is, other bytes as \xNN, long keys shortened. */
export const showKey = (key: Uint8Array): string => {
  let s = ""
  for (let i = 0; i < Math.min(key.length, 80); i++) {
    const b = key[i]!
    s += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`
  }
  return `"${s}${key.length > 80 ? "…" : ""}"`
}

const readHandle = (c: Cursor, what: string): BlockHandle => {
  const offset = c.varint64(`${what} offset`)
  const size = c.varint64(`${what} size`)
  return { offset, size }
}

/** Checks that a block and its trailer lie before the footer. */
const checkHandle = (h: BlockHandle, fileSize: number, file: string, what: string, where: number): void => {
  const limit = fileSize - FOOTER_SIZE
  if (h.offset + h.size + BLOCK_TRAILER_SIZE > limit) {
    throw new InvalidModelError({
      file,
      where: atByte(where),
      what:
        `${what} [${h.offset}, +${h.size}) plus its ${BLOCK_TRAILER_SIZE}-byte trailer ` +
        `ends past byte ${limit} (start of the footer)`
    })
  }
}

/** Parses and checks the 48-byte footer. */
export const readFooter = (bytes: Uint8Array, file: string): Footer => {
  if (bytes.length < FOOTER_SIZE) {
    throw new InvalidModelError({
      file,
      where: atByte(0),
      what: `${bytes.length} bytes is too short for an SSTable (the footer alone is ${FOOTER_SIZE})`
    })
  }
  const start = bytes.length - FOOTER_SIZE
  const magicAt = bytes.length - TABLE_MAGIC.length
  for (let i = 0; i < TABLE_MAGIC.length; i++) {
    if (bytes[magicAt + i] !== TABLE_MAGIC[i]) {
      throw new InvalidModelError({
        file,
        where: atByte(magicAt),
        what: "missing SSTable magic number 0xdb4775248b80fb57 (not a TensorBundle .index file, or truncated)"
      })
    }
  }
  // Both handles must fit in the 40 bytes before the magic.
  const c = new Cursor(bytes, start, magicAt, file)
  const metaindex = readHandle(c, "metaindex handle")
  const indexAt = c.pos
  const index = readHandle(c, "index handle")
  checkHandle(metaindex, bytes.length, file, "metaindex block", start)
  checkHandle(index, bytes.length, file, "index block", indexAt)
  return { metaindex, index }
}

/** Reads one block: verifies its trailer checksum, then decompresses it if needed. */
export const readBlock = (bytes: Uint8Array, handle: BlockHandle, file: string, what: string): Block => {
  checkHandle(handle, bytes.length, file, what, handle.offset)
  const end = handle.offset + handle.size
  const raw = bytes.subarray(handle.offset, end)
  const type = bytes[end]!
  const stored = readUint32LE(bytes, end + 1)
  const actual = crc32c(bytes.subarray(end, end + 1), crc32c(raw))
  if (unmaskCrc(stored) !== actual) {
    throw new InvalidModelError({
      file,
      where: atByte(end + 1),
      what: `${what} @${handle.offset}: checksum mismatch (stored ${hex32(unmaskCrc(stored))}, computed ${hex32(actual)})`
    })
  }
  switch (type) {
    case NO_COMPRESSION:
      return { contents: raw, locate: (pos) => atByte(handle.offset + pos) }
    case SNAPPY_COMPRESSION: {
      const contents = snappyUncompress(raw, file, (pos) => atByte(handle.offset + pos))
      return {
        contents,
        locate: (pos) => `Snappy ${what} @${handle.offset}, uncompressed byte ${pos}`
      }
    }
    default:
      throw new InvalidModelError({
        file,
        where: atByte(end),
        what: `${what} @${handle.offset}: unknown compression type ${type} (expected 0 = none or 1 = Snappy)`
      })
  }
}

/**
 * The entries of one block, in order. Checks the restart array (count within the block,
 * offsets increasing, each at an entry with no shared prefix), every varint and length, the
 * shared prefix against the previous key, and that keys strictly increase.
 */
export const blockEntries = (
  block: Block,
  file: string,
  budget: KeyBudget = keyBudgetFor(block.contents.length)
): Array<SSTableEntry> => {
  const { contents, locate } = block
  const size = contents.length
  const fail = (what: string, pos: number) => new InvalidModelError({ file, where: locate(pos), what })
  if (size < 4) throw fail(`block of ${size} bytes cannot hold its restart count`, 0)
  const numRestarts = readUint32LE(contents, size - 4)
  const maxRestarts = Math.floor((size - 4) / 4)
  if (numRestarts === 0 || numRestarts > maxRestarts) {
    throw fail(`restart count ${numRestarts} impossible for a ${size}-byte block (1..${maxRestarts})`, size - 4)
  }
  const restartsAt = size - 4 - 4 * numRestarts
  const restart = (i: number) => readUint32LE(contents, restartsAt + 4 * i)
  if (restart(0) !== 0) throw fail(`first restart offset is ${restart(0)}, expected 0`, restartsAt)

  const out: Array<SSTableEntry> = []
  const c = new Cursor(contents, 0, restartsAt, file, locate)
  let prev: Uint8Array = new Uint8Array(0)
  let r = 0 // next restart point to match
  while (c.pos < restartsAt) {
    const at = c.pos
    const shared = c.varint32("shared key length")
    const unshared = c.varint32("unshared key length")
    const valueLen = c.varint32("value length")
    if (r < numRestarts && restart(r) <= at) {
      if (restart(r) !== at) throw fail(`restart offset ${restart(r)} is not at an entry boundary`, restartsAt + 4 * r)
      if (shared !== 0) throw fail(`entry at a restart point shares ${shared} key bytes (expected 0)`, at)
      r++
    }
    if (shared > prev.length) throw fail(`shared key length ${shared} exceeds the previous key's ${prev.length} bytes`, at)
    const suffix = c.take(unshared, "key")
    const value = c.take(valueLen, "value")
    budget.left -= shared + unshared
    if (budget.left < 0) throw fail("keys expand to more bytes than this file can justify (corrupt shared prefix lengths?)", at)
    const key = new Uint8Array(shared + unshared)
    key.set(prev.subarray(0, shared))
    key.set(suffix, shared)
    if (out.length > 0 && compareBytes(prev, key) >= 0) {
      throw fail(`key ${showKey(key)} does not sort after the previous key ${showKey(prev)}`, at)
    }
    out.push({ key, value })
    prev = key
  }
  // Every restart offset must have matched an entry; an empty block has only restart 0.
  if (r < numRestarts && !(out.length === 0 && numRestarts === 1)) {
    throw fail(`restart offset ${restart(r)} does not point at an entry`, restartsAt + 4 * r)
  }
  return out
}

/**
 * Every (key, value) of the table in key order, block by block (lazily: an error surfaces
 * when its block is reached). Also checks what lookups rely on: data blocks in file order
 * without overlap, keys strictly increasing across blocks, and every key of data block i in
 * (index key i−1, index key i].
 */
export function* sstableEntries(bytes: Uint8Array, file: string): Generator<SSTableEntry, void, undefined> {
  const footer = readFooter(bytes, file)
  const indexBlock = readBlock(bytes, footer.index, file, "index block")
  const budget = keyBudgetFor(bytes.length)
  let prevKey: Uint8Array | undefined
  let prevSeparator: Uint8Array | undefined
  let nextFree = 0
  for (const { key: separator, value } of blockEntries(indexBlock, file, budget)) {
    const hc = new Cursor(value, 0, value.length, file, () => `index entry ${showKey(separator)}`)
    const handle = readHandle(hc, "data block handle")
    if (hc.remaining !== 0) throw hc.error(`${hc.remaining} unexpected bytes after the data block handle`)
    // In file order and disjoint: each block is then read once, so total work is linear.
    if (handle.offset < nextFree) {
      throw new InvalidModelError({
        file,
        where: `index entry ${showKey(separator)}`,
        what: `data block @${handle.offset} overlaps or precedes the previous block (which ends at ${nextFree})`
      })
    }
    nextFree = handle.offset + handle.size + BLOCK_TRAILER_SIZE
    const block = readBlock(bytes, handle, file, "data block")
    for (const entry of blockEntries(block, file, budget)) {
      const outOfOrder = prevKey !== undefined && compareBytes(prevKey, entry.key) >= 0
      const outOfRange =
        compareBytes(entry.key, separator) > 0 ||
        (prevSeparator !== undefined && compareBytes(entry.key, prevSeparator) <= 0)
      if (outOfOrder || outOfRange) {
        throw new InvalidModelError({
          file,
          where: `data block @${handle.offset}`,
          what: outOfOrder
            ? `key ${showKey(entry.key)} does not sort after the previous block's last key ${showKey(prevKey!)}`
            : `key ${showKey(entry.key)} lies outside its index range ` +
              `(${prevSeparator ? showKey(prevSeparator) : "start"}, ${showKey(separator)}]`
        })
      }
      prevKey = entry.key
      yield entry
    }
    prevSeparator = separator
  }
}
