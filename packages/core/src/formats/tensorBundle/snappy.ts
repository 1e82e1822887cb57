/**
 * Raw (unframed) Snappy decompression for SSTable blocks.
 *
 * snappyjs does the copying, but it trusts its input: on a corrupt stream it returns zeros
 * for missing bytes, accepts output shorter or longer than declared, and a 4-byte literal
 * length ≥ 2^31 turns negative and loops forever (snappyjs 0.7.0). So the whole stream is
 * validated here first — one pass over the tags, no allocation — and only a stream that
 * decodes to exactly its declared length reaches snappyjs.
 *
 * @since 0.1.0
 */
import snappy from "snappyjs"
import type { Locate } from "./cursor.js"
import { Cursor, readUint32LE } from "./cursor.js"

/**
 * The most a compressed byte can expand to: a 3-byte copy (tag + 16-bit offset) emits at
 * most 64 bytes; every other element emits less per input byte.
 */
const MAX_EXPANSION_NUM = 64
const MAX_EXPANSION_DEN = 3

/** The declared uncompressed length, refused when `compressed` could not possibly expand to it. */
export const snappyDeclaredLength = (c: Cursor): number => {
  const start = c.pos
  const declared = c.varint32("Snappy uncompressed length")
  const limit = Math.floor((c.remaining * MAX_EXPANSION_NUM) / MAX_EXPANSION_DEN)
  if (declared > limit) {
    throw c.error(
      `Snappy uncompressed length ${declared} is impossible for ${c.remaining} compressed bytes (max ${limit})`,
      start
    )
  }
  return declared
}

/** Walks every element, checking bounds, copy offsets and the total output length. */
const validate = (c: Cursor, declared: number): void => {
  const b = c.bytes
  let out = 0
  while (c.pos < c.end) {
    const at = c.pos
    const tag = b[c.pos++]!
    let len: number
    let offset = 0
    switch (tag & 3) {
      case 0: {
        len = (tag >>> 2) + 1
        if (len > 60) {
          // 1–4 little-endian length bytes follow (read unsigned; snappyjs reads them signed)
          const extra = c.take(len - 60, "Snappy literal length")
          len = 0
          for (let i = extra.length - 1; i >= 0; i--) len = len * 256 + extra[i]!
          len += 1
        }
        c.take(len, "Snappy literal")
        break
      }
      case 1:
        len = ((tag >>> 2) & 7) + 4
        offset = ((tag >>> 5) << 8) | c.take(1, "Snappy copy offset")[0]!
        break
      case 2: {
        len = (tag >>> 2) + 1
        const o = c.take(2, "Snappy copy offset")
        offset = o[0]! | (o[1]! << 8)
        break
      }
      default: {
        len = (tag >>> 2) + 1
        offset = readUint32LE(c.take(4, "Snappy copy offset"), 0)
      }
    }
    if ((tag & 3) !== 0 && (offset === 0 || offset > out)) {
      throw c.error(`Snappy copy offset ${offset} outside the ${out} bytes decoded so far`, at)
    }
    out += len
    if (out > declared) throw c.error(`Snappy data expands beyond its declared length ${declared}`, at)
  }
  if (out !== declared) throw c.error(`Snappy data decodes to ${out} bytes, declared ${declared}`)
}

/** Decompresses raw Snappy `compressed`; `locate` maps positions in it to file positions. */
export const snappyUncompress = (compressed: Uint8Array, file: string, locate: Locate): Uint8Array => {
  const c = new Cursor(compressed, 0, compressed.length, file, locate)
  const declared = snappyDeclaredLength(c)
  validate(c, declared)
  // A plain Uint8Array view: snappyjs switches to Buffer output when given a Node Buffer.
  const view = new Uint8Array(compressed.buffer, compressed.byteOffset, compressed.length)
  return snappy.uncompress(view, declared)
}
