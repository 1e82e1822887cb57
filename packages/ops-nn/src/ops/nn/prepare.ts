/**
 * Weight preparation once per static tensor (DESIGN §11). In frozen graphs and TF.js models the
 * weights are Const nodes: their host tensors are the same objects on every call, so the layout
 * work a lowering wants (im2col filter matrix, transposed backprop filter, batch norm folded
 * into the filter …) is done once on the host and cached on the tensors' identity. The result
 * is host data too: it is uploaded like any other constant (eagerly per call, once per trace
 * under jit), so the cache holds no device buffers and never leaks. Traced weights (SavedModel
 * variables passed as params) take the lowerings' on-the-fly path instead.
 */
import type { HostTensor } from "@tf2jax/core"
import { hostTranspose, numElements, zerosData } from "@tf2jax/core"

interface Level {
  readonly next: WeakMap<object, Level>
  readonly values: Map<string, HostTensor>
}

const newLevel = (): Level => ({ next: new WeakMap(), values: new Map() })

/** A cache of host tensors derived from one or more static tensors (keyed by their identity). */
export class StaticPrep {
  readonly #root = newLevel()
  #made = 0

  /** The prepared tensor for `sources` and `variant` (what kind of preparation, with its parameters). */
  get(sources: ReadonlyArray<HostTensor>, variant: string, make: () => HostTensor): HostTensor {
    let level = this.#root
    for (const s of sources) {
      let next = level.next.get(s)
      if (next === undefined) {
        next = newLevel()
        level.next.set(s, next)
      }
      level = next
    }
    const hit = level.values.get(variant)
    if (hit !== undefined) return hit
    const v = make()
    this.#made++
    level.values.set(variant, v)
    return v
  }

  /** How many preparations ran (tests check that a static weight is prepared once). */
  get made(): number {
    return this.#made
  }
}

/** The cache the nn converters share. */
export const weightPrep = new StaticPrep()

/** Same data, new shape (free). */
export const reshaped = (t: HostTensor, shape: ReadonlyArray<number>): HostTensor => ({ dtype: t.dtype, shape: [...shape], data: t.data })

/** Transposed copy. */
export const transposed = (t: HostTensor, perm: ReadonlyArray<number>): HostTensor => hostTranspose(t, perm)

/** `t` with its last axis scaled by `factor` (per channel), in `t`'s storage type. */
export const scaleLastAxis = (t: HostTensor, factor: ArrayLike<number>): HostTensor => {
  const n = numElements(t.shape)
  const c = factor.length
  const src = t.data as ArrayLike<number>
  const dst = zerosData(t.dtype, n) as Float32Array
  for (let i = 0; i < n; i++) dst[i] = src[i]! * factor[i % c]!
  return { dtype: t.dtype, shape: [...t.shape], data: dst }
}

/** A float vector host tensor in `like`'s dtype. */
export const vectorLike = (like: HostTensor, values: ArrayLike<number>): HostTensor => {
  const data = zerosData(like.dtype, values.length) as Float32Array
  for (let i = 0; i < values.length; i++) data[i] = values[i]!
  return { dtype: like.dtype, shape: [values.length], data }
}
