/** Math converters: element-wise ops, activations, reductions. */
import { elementwiseOps } from "./elementwise.js"

export const mathOps = [...elementwiseOps]
