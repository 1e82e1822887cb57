/**
 * The ops-nn pack: every converter of this package, and its Effect layer.
 */
import { CORE_CONTRACT_VERSION, definePack, OpRegistry } from "@tf2jax/core"
import { arrayOps } from "./ops/array/index.js"
import { mathOps } from "./ops/math/index.js"
import { nnOps } from "./ops/nn/index.js"

export const nnPack = definePack({
  name: "@tf2jax/ops-nn",
  version: "0.1.0",
  contract: CORE_CONTRACT_VERSION,
  converters: [...mathOps, ...arrayOps, ...nnOps]
})

/** Adds this pack to the op registry provided below it. */
export const layer = OpRegistry.extend([nnPack])
