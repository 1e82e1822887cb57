/**
 * The ops-control pack: every converter of this package, and its Effect layer.
 */
import { CORE_CONTRACT_VERSION, definePack, OpRegistry } from "@tf2jax/core"
import { assertOps } from "./ops/asserts.js"
import { callOps } from "./ops/calls.js"
import { condOps } from "./ops/cond.js"
import { gradientOps } from "./ops/gradients.js"
import { tensorListOps } from "./ops/tensorList.js"
import { whileOps } from "./ops/while.js"

export const controlPack = definePack({
  name: "@tf2jax/ops-control",
  version: "0.1.0",
  contract: CORE_CONTRACT_VERSION,
  converters: [...callOps, ...condOps, ...whileOps, ...gradientOps, ...assertOps, ...tensorListOps]
})

/** Adds this pack to the op registry provided below it. */
export const layer = OpRegistry.extend([controlPack])
