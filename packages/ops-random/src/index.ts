/**
 * @tf2jax/ops-random: stateful random ops (driven by the caller's `rng` key through the PRNG
 * service) and stateless ones (keyed by their seed input).
 *
 * @since 0.1.0
 */
export { layer, randomPack } from "./pack.js"
