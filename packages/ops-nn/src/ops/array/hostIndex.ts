/**
 * Host-side data movement for static values: every array op that only moves elements (tile,
 * pad, reverse, gather, broadcast, diagonals …) is "output coordinate → source element", so
 * one odometer loop serves them all. Elements are copied in their storage type, so any dtype
 * works (int64 as BigInt, strings as byte strings).
 */
import type { DType, HostTensor } from "@tf2jax/core"
import { numElements, stridesOf, zerosData } from "@tf2jax/core"

type Indexable = { [i: number]: unknown }

/**
 * A tensor of `shape` whose element at output coordinates `c` is `t`'s element at flat index
 * `source(c)`, or `fill` (a raw storage element, e.g. `0`, `0n`, `1`) where `source` returns −1.
 * `c` is reused between calls: read it, don't keep it.
 */
export const hostIndexMap = (
  t: HostTensor,
  shape: ReadonlyArray<number>,
  source: (coords: ReadonlyArray<number>) => number,
  fill?: unknown
): HostTensor => {
  const n = numElements(shape)
  const src = t.data as unknown as Indexable
  const dst = zerosData(t.dtype, n) as unknown as Indexable
  const rank = shape.length
  const c = new Array<number>(rank).fill(0)
  for (let k = 0; k < n; k++) {
    const s = source(c)
    dst[k] = s < 0 ? fill : src[s]
    for (let d = rank - 1; d >= 0; d--) {
      if (++c[d]! < shape[d]!) break
      c[d] = 0
    }
  }
  return { dtype: t.dtype, shape: [...shape], data: dst as unknown as HostTensor["data"] }
}

/** Flat index of coordinates in a row-major tensor with the given strides. */
export const flatIndex = (coords: ReadonlyArray<number>, strides: ReadonlyArray<number>): number => {
  let o = 0
  for (let d = 0; d < coords.length; d++) o += coords[d]! * strides[d]!
  return o
}

/** A tensor of `shape` filled with one raw storage element. */
export const hostFull = (dtype: DType, shape: ReadonlyArray<number>, element: unknown): HostTensor => {
  const n = numElements(shape)
  const data = zerosData(dtype, n) as unknown as Indexable
  for (let i = 0; i < n; i++) data[i] = element
  return { dtype, shape: [...shape], data: data as unknown as HostTensor["data"] }
}

/** The single element of a scalar host tensor in its storage type. */
export const rawScalar = (t: HostTensor): unknown => (t.data as unknown as Indexable)[0]

/** The storage element for zero (or one) of `dtype`. */
export const rawNumber = (dtype: DType, v: number): unknown => (dtype === "int64" || dtype === "uint64" ? BigInt(v) : v)

/** Elements `[start, end)` along `axis`. */
export const hostSliceAxis = (t: HostTensor, axis: number, start: number, end: number): HostTensor => {
  const shape = [...t.shape]
  shape[axis] = end - start
  const strides = stridesOf(t.shape)
  return hostIndexMap(t, shape, (c) => flatIndex(c, strides) + start * strides[axis]!)
}

/** Broadcasts `t` to `shape` (NumPy rules; the caller has checked compatibility). */
export const hostBroadcast = (t: HostTensor, shape: ReadonlyArray<number>): HostTensor => {
  const off = shape.length - t.shape.length
  const strides = stridesOf(t.shape)
  return hostIndexMap(t, shape, (c) => {
    let o = 0
    for (let d = 0; d < t.shape.length; d++) if (t.shape[d] !== 1) o += c[d + off]! * strides[d]!
    return o
  })
}
