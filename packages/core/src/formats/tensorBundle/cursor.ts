/**
 * A bounds-checked reader over a byte range. Every overrun or oversized value becomes an
 * `InvalidModelError` naming the file and the byte position, never an exception of another
 * kind or a read past the range.
 *
 * @since 0.1.0
 */
import { InvalidModelError } from "../../errors.js"

/** Formats a position inside the current byte range for messages (e.g. "byte 1234"). */
export type Locate = (pos: number) => string

/** The default locator: positions are file offsets. */
export const atByte: Locate = (pos) => `byte ${pos}`

export class Cursor {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
    readonly file: string,
    readonly locate: Locate = atByte
  ) {}

  /** An error at `pos` (default: the current position). */
  error(what: string, pos: number = this.pos): InvalidModelError {
    return new InvalidModelError({ file: this.file, where: this.locate(pos), what })
  }

  get remaining(): number {
    return this.end - this.pos
  }

  /** A LEB128 varint of at most 5 bytes whose value fits in 32 bits (LevelDB varint32). */
  varint32(what: string): number {
    return this.varint(what, 5, 0xffffffff)
  }

  /**
   * A LEB128 varint of at most 10 bytes (varint64). Values above 2^53 − 1 are refused: no
   * length or offset in a real file comes near, and they could not be represented exactly.
   */
  varint64(what: string): number {
    return this.varint(what, 10, Number.MAX_SAFE_INTEGER)
  }

  private varint(what: string, maxBytes: number, maxValue: number): number {
    const start = this.pos
    let value = 0
    let scale = 1
    for (let i = 0; i < maxBytes; i++) {
      if (this.pos >= this.end) throw this.error(`${what}: varint runs past the end`, start)
      const b = this.bytes[this.pos++]!
      value += (b & 0x7f) * scale
      if (b < 0x80) {
        if (value > maxValue) throw this.error(`${what}: varint value ${value} is too large (max ${maxValue})`, start)
        return value
      }
      scale *= 128
    }
    throw this.error(`${what}: varint longer than ${maxBytes} bytes`, start)
  }

  /** A little-endian uint32. */
  uint32(what: string): number {
    this.need(4, what)
    this.pos += 4
    return readUint32LE(this.bytes, this.pos - 4)
  }

  /** The next `n` bytes as a view (no copy). */
  take(n: number, what: string): Uint8Array {
    this.need(n, what)
    const out = this.bytes.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw this.error(`${what}: needs ${n} bytes, only ${this.end - this.pos} left`)
    }
  }
}

/** Little-endian uint32 at `pos` of a range the caller has already bounds-checked. */
export const readUint32LE = (b: Uint8Array, pos: number): number =>
  (b[pos]! | (b[pos + 1]! << 8) | (b[pos + 2]! << 16) | (b[pos + 3]! << 24)) >>> 0
