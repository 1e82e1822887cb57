/** LogicalAnd, LogicalOr, LogicalNot on bool tensors (folded on the host when static). */
import { numpy as np } from "@jax-js/jax"
import type { DType } from "@tf2jax/core"
import { mathOp } from "./elementwise.js"

const isBool = (d: DType): boolean => d === "bool"

export const logicalAnd = mathOp({
  ops: ["LogicalAnd"],
  accepts: isBool,
  jax: ([a, b]) => np.logicalAnd(a!, b!),
  host: () => (a, b) => (a && b ? 1 : 0)
})

export const logicalOr = mathOp({
  ops: ["LogicalOr"],
  accepts: isBool,
  jax: ([a, b]) => np.logicalOr(a!, b!),
  host: () => (a, b) => (a || b ? 1 : 0)
})

export const logicalNot = mathOp({
  ops: ["LogicalNot"],
  accepts: isBool,
  jax: ([a]) => np.logicalNot(a!),
  host: () => (a) => (a ? 0 : 1)
})

export const logicalOps = [logicalAnd, logicalOr, logicalNot]
