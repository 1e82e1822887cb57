/**
 * The ops-random pack: every converter of this package, and its Effect layer.
 */
import { CORE_CONTRACT_VERSION, definePack, OpRegistry } from "@tf2jax/core"
import { statefulOps } from "./ops/stateful.js"
import { statelessOps } from "./ops/stateless.js"

export const randomPack = definePack({
  name: "@tf2jax/ops-random",
  version: "0.1.0",
  contract: CORE_CONTRACT_VERSION,
  converters: [...statefulOps, ...statelessOps]
})

/** Adds this pack to the op registry provided below it. */
export const layer = OpRegistry.extend([randomPack])
