/**
 * Cumsum / Cumprod along a static axis, with TF's `exclusive` (start from the identity, drop the
 * last element) and `reverse` (accumulate from the end) flags. jax-js has neither flag: reverse
 * is flip → scan → flip, exclusive is `includeInitial` minus the last element. Narrow integer
 * types wrap. Static inputs fold on the host (offsets for Split-like shape arithmetic).
 */
import { numpy as np } from "@jax-js/jax"
import type { HostTensor, JaxArray, Value } from "@tf2jax/core"
import { arrayValue, Attr, ConversionError, defineOp, hostFromValues, hostValues, numElements, staticValue, toArray, toNumbers } from "@tf2jax/core"
import { Schema } from "effect"
import { dtypeOf, fail, intBits, isIntType, isNarrowInt, isRealType, requireDtype, shapeOf, smallEnough, wrapInt } from "./support.js"

type Kind = "sum" | "prod"

export interface ScanFlags {
  readonly exclusive: boolean
  readonly reverse: boolean
}

/** The scan on the device (consumes `x`). */
export const scan = (kind: Kind, x: JaxArray, axis: number, flags: ScanFlags): JaxArray => {
  const n = x.shape[axis]!
  let y = flags.reverse ? np.flip(x, axis) : x
  if (flags.exclusive) {
    const full = kind === "sum" ? np.cumulativeSum(y, { axis, includeInitial: true }) : np.cumulativeProd(y, { axis, includeInitial: true })
    const index = x.shape.map((_, i): [] | [number, number] => (i === axis ? [0, n] : []))
    y = full.slice(...index)
  } else y = kind === "sum" ? np.cumsum(y, axis) : np.cumprod(y, axis)
  return flags.reverse ? np.flip(y, axis) : y
}

/** The scan on host numbers (int ≤ 32-bit products exact via imul; storage wraps). */
const hostScan = (kind: Kind, t: HostTensor, axis: number, flags: ScanFlags): HostTensor => {
  const values = hostValues(t)
  const shape = t.shape
  const n = shape[axis]!
  const inner = numElements(shape.slice(axis + 1))
  const outer = numElements(shape.slice(0, axis))
  const exactInt = isIntType(t.dtype) && intBits(t.dtype) <= 32
  const combine = kind === "sum" ? (a: number, b: number) => a + b : exactInt ? (a: number, b: number) => Math.imul(a, b) : (a: number, b: number) => a * b
  const out = new Float64Array(values.length)
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = kind === "sum" ? 0 : 1
      for (let s = 0; s < n; s++) {
        const k = flags.reverse ? n - 1 - s : s
        const at = (o * n + k) * inner + i
        if (flags.exclusive) {
          out[at] = acc
          acc = combine(acc, values[at]!)
        } else {
          acc = combine(acc, values[at]!)
          out[at] = acc
        }
      }
    }
  }
  return hostFromValues(t.dtype, shape, out)
}

const cumulative = (op: string, kind: Kind) =>
  defineOp({
    ops: [op],
    attrs: Schema.Struct({
      exclusive: Schema.optionalKey(Attr.bool),
      reverse: Schema.optionalKey(Attr.bool),
      T: Schema.optionalKey(Attr.type),
      Tidx: Schema.optionalKey(Attr.type)
    }),
    inputs: ["value", "static"],
    run: (ctx, inputs, a): Value => {
      const x = inputs[0] as Value
      const d = dtypeOf(x, a.T)
      requireDtype([x], d, isRealType, ctx.where)
      const shape = shapeOf(x)
      const raw = toNumbers(inputs[1] as HostTensor)[0] ?? 0
      const axis = raw < 0 ? raw + shape.length : raw
      if (axis < 0 || axis >= shape.length) {
        return fail([x], new ConversionError({ where: ctx.where, what: `axis ${raw} is out of range for rank ${shape.length}` }))
      }
      const flags = { exclusive: a.exclusive ?? false, reverse: a.reverse ?? false }
      if (x.kind === "static" && smallEnough(shape)) return staticValue(hostScan(kind, x.tensor, axis, flags))
      const y = scan(kind, toArray(x, ctx.where), axis, flags)
      return arrayValue(isNarrowInt(d) ? wrapInt(y, d) : y, d)
    }
  })

export const cumsum = cumulative("Cumsum", "sum")
export const cumprod = cumulative("Cumprod", "prod")

export const cumulativeOps = [cumsum, cumprod]
