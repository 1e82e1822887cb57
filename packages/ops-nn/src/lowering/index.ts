/**
 * Numerically exact, jit/grad/vmap-safe jax-js lowerings of TensorFlow's heavy NN and array
 * ops. Plain functions over jax-js arrays plus static (host) parameters; each consumes its
 * array arguments and returns arrays the caller owns (see common.ts).
 */
export * from "./barrier.js"
export { type DataFormat, HostCache } from "./common.js"
export * from "./conv2d.js"
export * from "./conv2dBackpropInput.js"
export * from "./depthwiseConv2d.js"
export * from "./gather.js"
export * from "./matmul.js"
export * from "./pool.js"
export * from "./reduceIndex.js"
export * from "./resize.js"
export * from "./stridedSlice.js"
export { type AxisGeometry, type Padding, type WindowAttrs, type WindowGeometry, windowGeometry } from "./windowGeometry.js"
