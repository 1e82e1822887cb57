/**
 * @tf2jax/ops-control: function calls, control flow, TensorList/TensorArray and gradient-control
 * op converters.
 *
 * @since 0.1.0
 */
export { controlPack, layer } from "./pack.js"
