/**
 * CRC32C (Castagnoli) and the "masked" form LevelDB/TensorFlow store on disk.
 *
 * @since 0.1.0
 */
// crc-32 is CommonJS behind a UMD wrapper that Node's ESM loader cannot see named exports
// through, so only the default import (= module.exports) works everywhere.
import CRC32C from "crc-32/crc32c.js"

/** CRC32C of `bytes`, continuing a previous result `crc` (0 to start), as an unsigned 32-bit value. */
export const crc32c = (bytes: Uint8Array, crc = 0): number => CRC32C.buf(bytes, crc) >>> 0

const MASK_DELTA = 0xa282ead8

/**
 * Masks a CRC for storage: rotate right by 15, add a constant. Storing the raw CRC of data
 * that itself embeds CRCs would make those checksums weak, hence the mask (LevelDB's crc32c.h).
 */
export const maskCrc = (crc: number): number => ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0

/** Inverse of `maskCrc`. */
export const unmaskCrc = (masked: number): number => {
  const rot = (masked - MASK_DELTA) >>> 0
  return ((rot >>> 17) | (rot << 15)) >>> 0
}

/** Hex for messages ("0x1234abcd"). */
export const hex32 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, "0")}`
