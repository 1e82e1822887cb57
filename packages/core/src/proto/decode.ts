/**
 * Decoding TensorFlow protobuf messages with protobufjs, turning its untyped exceptions
 * into `InvalidModelError`s that name the file and the message type.
 *
 * @since 0.1.0
 */
import Long from "long"
import { InvalidModelError } from "../errors.js"
import { tensorflow } from "../gen/tf.js"

export { tensorflow as pb }

interface Decodable<T> {
  decode(reader: Uint8Array): T
}

/**
 * Decodes `bytes` as `type`. protobufjs bounds every length by the input and caps recursion
 * depth, so a corrupt file cannot make it allocate more than its own size; anything it
 * throws becomes an `InvalidModelError`.
 */
export const decodeMessage = <T>(type: Decodable<T>, bytes: Uint8Array, file: string, what: string): T => {
  try {
    return type.decode(bytes)
  } catch (e) {
    throw new InvalidModelError({ file, where: what, what: `not a valid ${what} protobuf (${describe(e)})` })
  }
}

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** protobufjs int64 value (Long or number) → bigint. */
export const int64ToBigInt = (v: number | Long | null | undefined): bigint => {
  if (v === null || v === undefined) return 0n
  if (typeof v === "number") return BigInt(v)
  return (BigInt(v.high) << 32n) | BigInt(v.low >>> 0)
}

/** protobufjs uint64 value → bigint. */
export const uint64ToBigInt = (v: number | Long | null | undefined): bigint =>
  BigInt.asUintN(64, int64ToBigInt(v))

/** protobufjs int64 value → number (exact below 2^53 in magnitude). */
export const int64ToNumber = (v: number | Long | null | undefined): number => {
  if (v === null || v === undefined) return 0
  if (typeof v === "number") return v
  return Long.isLong(v) ? v.toNumber() : Number(v)
}
