/**
 * The PRNG service: how a converted function's `rng` key is split among its random ops.
 * A function that reaches a random op requires a key (its `requiresRng` says so); the key is
 * split deterministically, one sub-key per random node in execution order, and again at each
 * nested function call.
 *
 * @since 0.1.0
 */
import { numpy as np, random } from "@jax-js/jax"
import { Context, Layer } from "effect"
import type { JaxArray } from "./Value.js"

export interface PrngShape {
  /** Splits `key` (consumed) into `n` independent keys. */
  readonly split: (key: JaxArray, n: number) => Array<JaxArray>
}

/** jax-js's threefry `random.split`, row by row. */
export const splitWithJax = (key: JaxArray, n: number): Array<JaxArray> => {
  const keys = random.split(key, n)
  const rows = np.split(keys, n, 0).map((k) => k.reshape([2]))
  return rows
}

export class Prng extends Context.Service<Prng, PrngShape>()("@tf2jax/core/engine/Prng") {
  /** The default: jax-js's `random.split`. */
  static readonly layer: Layer.Layer<Prng> = Layer.succeed(Prng, Prng.of({ split: splitWithJax }))
}
