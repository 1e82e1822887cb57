/**
 * MatrixBandPart: keeps `num_lower` sub- and `num_upper` superdiagonals (negative: all) of the
 * innermost matrices, zeroing the rest. The band mask is built on the host (static bounds).
 */
import { numpy as np } from "@jax-js/jax"
import type { HostTensor, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, staticValue } from "@tf2jax/core"
import { Schema } from "effect"
import { device, dtypeOf, fmt, guard, hostable, inputError, intOf, shapeOf } from "./common.js"
import { hostIndexMap, rawNumber } from "./hostIndex.js"

export const matrixBandPart = defineOp({
  ops: ["MatrixBandPart"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), Tindex: Schema.optionalKey(Attr.type) }),
  inputs: ["value", "static", "static"],
  run: (ctx, [x, l, u]) => {
    const v = x as Value
    const { shape, lower, upper } = guard(ctx, [v], () => {
      const shape = shapeOf(ctx, v)
      if (shape.length < 2) throw inputError(ctx, `input must have rank ≥ 2, got ${fmt(shape)}`)
      const [m, n] = shape.slice(-2) as [number, number]
      const lower = intOf(ctx, l as HostTensor, "num_lower", false)
      const upper = intOf(ctx, u as HostTensor, "num_upper", false)
      if (lower > m) throw inputError(ctx, `num_lower ${lower} must be negative or at most the number of rows ${m}`)
      if (upper > n) throw inputError(ctx, `num_upper ${upper} must be negative or at most the number of columns ${n}`)
      return { shape, lower, upper }
    })
    const [m, n] = shape.slice(-2) as [number, number]
    const inBand = (i: number, j: number) => (lower < 0 || i - j <= lower) && (upper < 0 || j - i <= upper)
    const dtype = dtypeOf(ctx, v)
    if (hostable(v, dtype, shape)) {
      const r = shape.length
      return staticValue(
        hostIndexMap(v.tensor, shape, (c) => (inBand(c[r - 2]!, c[r - 1]!) ? c.reduce((o, ci, d) => o * shape[d]! + ci, 0) : -1), rawNumber(dtype, 0))
      )
    }
    const arr = device(ctx, v)
    if (lower < 0 && upper < 0) return arrayValue(arr, dtype)
    const mask = Int32Array.from({ length: m * n }, (_, k) => (inBand(Math.floor(k / n), k % n) ? 1 : 0))
    const keep = np.array(mask, { dtype: np.int32, shape: [m, n] }).astype(np.bool)
    return arrayValue(np.where(keep, arr.ref, np.zerosLike(arr)), dtype)
  }
})

export const bandPartOps = [matrixBandPart]
