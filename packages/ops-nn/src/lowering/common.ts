/**
 * Shared plumbing for the lowerings: typed errors, the consume-on-throw guard, host caches,
 * NHWC/NCHW transposes and small host helpers.
 *
 * Ownership convention of every lowering: array arguments are consumed (pass `.ref` to keep
 * one), the returned arrays belong to the caller, and every intermediate is consumed or
 * disposed. Host-side validation runs before any array op; if it throws, the arguments are
 * disposed first, so a failing call never leaks.
 */
import { numpy as np } from "@jax-js/jax"
import { ConversionError, InvalidAttrError } from "@tf2jax/core"

export type Arr = np.Array

/**
 * An attribute the lowering cannot honour. `node` is empty: the lowering does not know the
 * graph node; the engine rethrows with it.
 */
export const attrError = (op: string, attr: string, what: string): InvalidAttrError =>
  new InvalidAttrError({ node: "", op, attr, what })

/** Inputs whose shapes or values do not fit the op. */
export const inputError = (op: string, what: string): ConversionError =>
  new ConversionError({ where: op, what })

/** Runs host-side planning; on failure disposes the (not yet consumed) arrays and rethrows. */
export const planOrDispose = <T>(arrays: ReadonlyArray<Arr | undefined>, plan: () => T): T => {
  try {
    return plan()
  } catch (e) {
    for (const a of arrays) a?.dispose()
    throw e
  }
}

/**
 * A bounded memo for host precomputation keyed by static shapes/attrs (gather indices,
 * masks, weights, plans). Least recently used entries go first once more than `limit`
 * entries or `maxBytes` (per `sizeOf`) are held; the newest entry always stays. Values are
 * host data (typed arrays), never device arrays, so the cache holds no jax-js buffers.
 */
export class HostCache<V> {
  readonly #map = new Map<string, V>()
  #bytes = 0
  constructor(
    readonly limit: number,
    readonly maxBytes = Infinity,
    readonly sizeOf: (v: V) => number = () => 0
  ) {}
  get(key: string, make: () => V): V {
    const hit = this.#map.get(key)
    if (hit !== undefined) {
      this.#map.delete(key)
      this.#map.set(key, hit)
      return hit
    }
    const v = make()
    this.#map.set(key, v)
    this.#bytes += this.sizeOf(v)
    for (const [k, old] of this.#map) {
      if (this.#map.size <= this.limit && this.#bytes <= this.maxBytes) break
      if (k === key) break
      this.#map.delete(k)
      this.#bytes -= this.sizeOf(old)
    }
    return v
  }
}

export type DataFormat = "NHWC" | "NCHW"

export const checkDataFormat = (op: string, df: string | undefined): DataFormat => {
  const f = df ?? "NHWC"
  if (f !== "NHWC" && f !== "NCHW") throw attrError(op, "data_format", `${f} is not supported (NHWC or NCHW)`)
  return f
}

/** NCHW → NHWC (a no-op for NHWC). */
export const toNhwc = (x: Arr, df: DataFormat): Arr => (df === "NCHW" ? np.transpose(x, [0, 2, 3, 1]) : x)

/** NHWC → NCHW (a no-op for NHWC). */
export const fromNhwc = (y: Arr, df: DataFormat): Arr => (df === "NCHW" ? np.transpose(y, [0, 3, 1, 2]) : y)

/** NHWC shape of a 4-D shape given in `df` order. */
export const nhwcShape = (shape: ReadonlyArray<number>, df: DataFormat): [number, number, number, number] =>
  df === "NCHW"
    ? [shape[0]!, shape[2]!, shape[3]!, shape[1]!]
    : [shape[0]!, shape[1]!, shape[2]!, shape[3]!]

export const product = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a * b, 1)

/** A device int32 constant from host data. */
export const int32Const = (data: Int32Array, shape: ReadonlyArray<number>): Arr =>
  np.array(data, { dtype: np.int32, shape: [...shape] })

/** A device float32 constant from host data. */
export const float32Const = (data: Float32Array, shape: ReadonlyArray<number>): Arr =>
  np.array(data, { dtype: np.float32, shape: [...shape] })

export const sameShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i])

export const fmtShape = (s: ReadonlyArray<number>): string => `[${s.join(",")}]`
