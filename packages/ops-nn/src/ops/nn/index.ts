/** Neural-network converters: convolution, pooling, normalisation, matmul, image, fused ops. */
import type { OpConverter } from "@tf2jax/core"

export const nnOps: ReadonlyArray<OpConverter<any>> = []
