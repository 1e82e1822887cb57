/**
 * The default services: a registry with every op pack, and the jax-js PRNG.
 */
import { OpRegistry, Prng } from "@tf2jax/core"
import type { OpPack } from "@tf2jax/core"
import { Layer } from "effect"
import { controlPack } from "@tf2jax/ops-control"
import { nnPack } from "@tf2jax/ops-nn"
import { randomPack } from "@tf2jax/ops-random"

/** Every op pack this package bundles, in registration order. */
export const allPacks: ReadonlyArray<OpPack> = [nnPack, controlPack, randomPack]

/** Registry (core built-ins + all packs) and PRNG: what conversion needs. */
export const DefaultLayer = Layer.mergeAll(OpRegistry.layer(allPacks), Prng.layer)
