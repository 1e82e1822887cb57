/** Neural-network converters: convolution, pooling, normalisation, matmul, image, fused ops. */
import type { OpConverter } from "@tf2jax/core"
import { batchNormOps } from "./batchNorm.js"
import { convOps } from "./conv.js"
import { crossEntropyOps } from "./crossEntropy.js"
import { einsumOps } from "./einsum.js"
import { imageOps } from "./image.js"
import { matmulOps } from "./matmul.js"
import { poolOps } from "./pool.js"

export const nnOps: ReadonlyArray<OpConverter<any>> = [
  ...convOps,
  ...matmulOps,
  ...einsumOps,
  ...poolOps,
  ...batchNormOps,
  ...imageOps,
  ...crossEntropyOps
]
