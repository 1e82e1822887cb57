/**
 * The Promise API, with tf2jax's names and call shapes:
 *
 * ```ts
 * const model = await loadModel(path)
 * const f = await convertFunctionalFromRestored(model.signatures["serving_default"])
 * const { fn, params } = await convertFromRestored(sig)
 * const [outs, newParams] = fn(params, { x }, { rng })
 * ```
 */
import * as core from "@tf2jax/core"
import type { ConvertedFunction, ConvertedFunctional, Convertible, ExampleInput, JaxArray, OpPack } from "@tf2jax/core"
import { Effect, Layer } from "effect"
import { allPacks, DefaultLayer } from "./layers.js"
import { runPromise } from "./runPromise.js"

/** Extra op packs (e.g. your own converters) registered after the bundled ones. */
let extraPacks: ReadonlyArray<OpPack> = []

/** Registers op packs for every later conversion (later packs override earlier ops). */
export const registerOpPack = (...packs: ReadonlyArray<OpPack>): void => {
  extraPacks = [...extraPacks, ...packs]
}

const layer = () =>
  extraPacks.length === 0 ? DefaultLayer : Layer.mergeAll(core.OpRegistry.layer([...allPacks, ...extraPacks]), core.Prng.layer)

const run = <A, E>(effect: Effect.Effect<A, E, core.OpRegistry | core.Prng>): Promise<A> =>
  runPromise(effect.pipe(Effect.provide(layer())))

type Example = ExampleInput | Readonly<Record<string, ExampleInput>>

/** `{ fn, params }`, `fn(params, inputs, { rng }) → [outputs, newParams]`, example inputs fixing shapes. */
export const convert = (
  target: Convertible,
  ...exampleInputs: ReadonlyArray<Example>
): Promise<{ fn: ConvertedFunction; params: Record<string, JaxArray> }> => run(core.convert(target, ...exampleInputs))

/** `fn(inputs, { rng }) → outputs` for functions without variables. */
export const convertFunctional = (target: Convertible, ...exampleInputs: ReadonlyArray<Example>): Promise<ConvertedFunctional> =>
  run(core.convertFunctional(target, ...exampleInputs))

/** Converts a restored signature or function; returns `{ fn, params }`. */
export const convertFromRestored = (target: Convertible): Promise<{ fn: ConvertedFunction; params: Record<string, JaxArray> }> =>
  run(core.convertFromRestored(target))

/** Converts a restored signature or function without variables. */
export const convertFunctionalFromRestored = (target: Convertible): Promise<ConvertedFunctional> =>
  run(core.convertFunctionalFromRestored(target))

export { run as runWithDefaultLayer }
