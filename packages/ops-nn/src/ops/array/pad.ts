/**
 * Pad, PadV2, MirrorPad (static paddings). jax-js's np.pad only pads with zeros (and ignores
 * `mode`, notes/jax-js.md §6.6), so:
 * - a zero constant uses np.pad;
 * - any other constant (static or traced) concatenates constant blocks axis by axis, which is
 *   exact (x − c + c would round);
 * - REFLECT / SYMMETRIC concatenate flipped slices of the input axis by axis.
 */
import { numpy as np } from "@jax-js/jax"
import type { DType, HostTensor, OpContext, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostValues, staticValue, stridesOf } from "@tf2jax/core"
import { Schema } from "effect"
import { type Arr, attrError, type Ctx, axisRange, device, dtypeOf, fmt, guard, hostable, hostTensors, inputError, intsOf, isStatic, jaxDtype, shapeOf } from "./common.js"
import { hostIndexMap, rawNumber, rawScalar } from "./hostIndex.js"

type Pads = ReadonlyArray<readonly [number, number]>

/** `paddings` as [rank, 2] pairs, checked against the input shape. */
const padsOf = (ctx: Ctx, t: HostTensor, shape: ReadonlyArray<number>, limit?: (dim: number) => number): Pads => {
  const flat = intsOf(ctx, t, "paddings")
  const rank = shape.length
  if (t.shape.length !== 2 || t.shape[0] !== rank || t.shape[1] !== 2) {
    throw inputError(ctx, `paddings must have shape [${rank},2], got ${fmt(t.shape)}`)
  }
  return shape.map((d, i) => {
    const lo = flat[2 * i]!
    const hi = flat[2 * i + 1]!
    if (lo < 0 || hi < 0) throw inputError(ctx, `paddings ${fmt(flat)} must be non-negative`)
    if (limit && (lo > limit(d) || hi > limit(d))) {
      throw inputError(ctx, `paddings of dimension ${i} (${lo}, ${hi}) must be at most ${limit(d)} for a dimension of size ${d}`)
    }
    return [lo, hi] as const
  })
}

const paddedShape = (shape: ReadonlyArray<number>, pads: Pads): Array<number> => shape.map((d, i) => d + pads[i]![0] + pads[i]![1])

/** Source index along one axis for output index `o` (−1: padding). */
type AxisSource = (o: number, lo: number, n: number) => number

const constantSource: AxisSource = (o, lo, n) => (o < lo || o >= lo + n ? -1 : o - lo)
const reflectSource: AxisSource = (o, lo, n) => {
  const i = o - lo
  return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i
}
const symmetricSource: AxisSource = (o, lo, n) => {
  const i = o - lo
  return i < 0 ? -i - 1 : i >= n ? 2 * n - 1 - i : i
}

const hostPad = (t: HostTensor, pads: Pads, source: AxisSource, fill?: unknown): HostTensor => {
  const strides = stridesOf(t.shape)
  return hostIndexMap(
    t,
    paddedShape(t.shape, pads),
    (c) => {
      let o = 0
      for (let d = 0; d < c.length; d++) {
        const s = source(c[d]!, pads[d]![0], t.shape[d]!)
        if (s < 0) return -1
        o += s * strides[d]!
      }
      return o
    },
    fill
  )
}

/** Pads with a constant (a number, or a traced scalar array consumed here). */
const devicePad = (ctx: OpContext, x: Arr, pads: Pads, c: number | Arr, dtype: DType): Arr => {
  if (c === 0) return pads.every(([lo, hi]) => lo === 0 && hi === 0) ? x : np.pad(x, pads.map(([lo, hi]) => [lo, hi] as [number, number]))
  let y = x
  const block = (shape: Array<number>): Arr =>
    typeof c === "number"
      ? np.full(shape, dtype === "bool" ? c !== 0 : c, { dtype: jaxDtype(ctx, dtype) })
      : np.broadcastTo(c.ref, shape)
  pads.forEach(([lo, hi], axis) => {
    if (lo === 0 && hi === 0) return
    const parts: Arr[] = []
    const shapeWith = (n: number) => y.shape.map((d, i) => (i === axis ? n : d))
    if (lo > 0) parts.push(block(shapeWith(lo)))
    parts.push(y)
    if (hi > 0) parts.push(block(shapeWith(hi)))
    y = np.concatenate(parts, axis)
  })
  if (typeof c !== "number") c.dispose()
  return y
}

/** Mirror padding on the device: flipped slices concatenated per axis (exact gradients too). */
const deviceMirror = (x: Arr, pads: Pads, symmetric: boolean): Arr => {
  let y = x
  pads.forEach(([lo, hi], axis) => {
    if (lo === 0 && hi === 0) return
    const n = y.shape[axis]!
    const rank = y.ndim
    const parts: Arr[] = []
    const flipped = (start: number, end: number) => np.flip(y.ref.slice(...axisRange(rank, axis, start, end)), axis)
    if (lo > 0) parts.push(symmetric ? flipped(0, lo) : flipped(1, lo + 1))
    if (hi > 0) parts.push(symmetric ? flipped(n - hi, n) : flipped(n - 1 - hi, n - 1))
    const mid = lo > 0 ? 1 : 0
    parts.splice(mid, 0, y)
    y = np.concatenate(parts, axis)
  })
  return y
}

const padAttrs = Schema.Struct({ T: Schema.optionalKey(Attr.type), Tpaddings: Schema.optionalKey(Attr.type) })

/** Pad / PadV2: a constant (default 0) around the input. */
const runPad = (ctx: OpContext, v: Value, p: HostTensor, c: Value | undefined): Value => {
  const values = c ? [v, c] : [v]
  const pads = guard(ctx, values, () => {
    if (c && shapeOf(ctx, c).length !== 0) throw inputError(ctx, "constant_values must be a scalar")
    return padsOf(ctx, p, shapeOf(ctx, v))
  })
  const dtype = dtypeOf(ctx, v)
  const host = hostTensors([v, c], dtype, paddedShape(shapeOf(ctx, v), pads))
  if (host) {
    const fill = host[1] ? rawScalar(host[1]) : rawNumber(dtype, 0)
    return staticValue(hostPad(host[0]!, pads, constantSource, fill))
  }
  const cv: number | Arr = c === undefined ? 0 : isStatic(c) ? hostValues(c.tensor)[0]! : device(ctx, c)
  return arrayValue(devicePad(ctx, device(ctx, v), pads, cv, dtype), dtype)
}

export const pad = defineOp({
  ops: ["Pad"],
  attrs: padAttrs,
  inputs: ["value", "static"],
  run: (ctx, [x, p]) => runPad(ctx, x as Value, p as HostTensor, undefined)
})

export const padV2 = defineOp({
  ops: ["PadV2"],
  attrs: padAttrs,
  inputs: ["value", "static", "value"],
  run: (ctx, [x, p, c]) => runPad(ctx, x as Value, p as HostTensor, c as Value)
})

export const mirrorPad = defineOp({
  ops: ["MirrorPad"],
  attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type), Tpaddings: Schema.optionalKey(Attr.type), mode: Attr.string }),
  inputs: ["value", "static"],
  check: (a, ctx) => {
    if (a.mode !== "REFLECT" && a.mode !== "SYMMETRIC") {
      throw attrError(ctx, "mode", `${a.mode} is not REFLECT or SYMMETRIC`)
    }
  },
  run: (ctx, [x, p], a) => {
    const v = x as Value
    const symmetric = a.mode === "SYMMETRIC"
    // TF: REFLECT pads < dim (the edge is not repeated), SYMMETRIC pads ≤ dim.
    const pads = guard(ctx, [v], () => padsOf(ctx, p as HostTensor, shapeOf(ctx, v), (d) => (symmetric ? d : d - 1)))
    const dtype = dtypeOf(ctx, v)
    if (hostable(v, dtype, paddedShape(shapeOf(ctx, v), pads))) {
      return staticValue(hostPad(v.tensor, pads, symmetric ? symmetricSource : reflectSource))
    }
    return arrayValue(deviceMirror(device(ctx, v), pads, symmetric), dtype)
  }
})

export const padOps = [pad, padV2, mirrorPad]
