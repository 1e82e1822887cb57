/** Math converters: element-wise ops, casts, activations, reductions and scans. */
import type { OpConverter } from "@tf2jax/core"
import { activationOps } from "./activations.js"
import { argReduceOps } from "./argReduce.js"
import { arithmeticOps } from "./arithmetic.js"
import { biasAddOps } from "./biasAdd.js"
import { bitwiseOps } from "./bitwise.js"
import { castOps } from "./cast.js"
import { compareOps } from "./compare.js"
import { cumulativeOps } from "./cumulative.js"
import { logicalOps } from "./logical.js"
import { minmaxOps } from "./minmax.js"
import { nonanOps } from "./nonan.js"
import { powOps } from "./pow.js"
import { reductionOps } from "./reductions.js"
import { selectOps } from "./select.js"
import { unaryOps } from "./unary.js"

export const mathOps: ReadonlyArray<OpConverter<any>> = [
  ...arithmeticOps,
  ...powOps,
  ...minmaxOps,
  ...nonanOps,
  ...bitwiseOps,
  ...compareOps,
  ...logicalOps,
  ...selectOps,
  ...unaryOps,
  ...castOps,
  ...activationOps,
  ...reductionOps,
  ...argReduceOps,
  ...cumulativeOps,
  ...biasAddOps
]
