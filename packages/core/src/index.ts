/**
 * @tf2jax/core: TensorFlow model readers, the graph IR and the conversion engine.
 *
 * @since 0.1.0
 */
export * from "./dtype.js"
export * from "./errors.js"
export * from "./HostTensor.js"
export * from "./graph/ir.js"
export * from "./io/ModelSource.js"
export * from "./model/TfModel.js"
