/**
 * @tf2jax/ops-nn: math, array, nn, reduction, linalg and image op converters.
 *
 * @since 0.1.0
 */
export { layer, nnPack } from "./pack.js"
export { elementwise } from "./ops/math/elementwise.js"
