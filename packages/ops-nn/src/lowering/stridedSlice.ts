/**
 * TF StridedSlice: the full mask semantics (begin/end/ellipsis/new-axis/shrink-axis masks,
 * negative indices and strides, clamping) resolved on the host into a plan — per input dim
 * a first index, a count and a step — following TF's ValidateStridedSliceOp. The plan is
 * applied to device arrays with slice/pad/reshape/flip (jax-js has no strided slicing), or to
 * host tensors (static values such as shapes) by direct indexing.
 */
import { numpy as np } from "@jax-js/jax"
import type { HostTensor } from "@tf2jax/core"
import { type Arr, attrError, fmtShape, inputError, planOrDispose, product } from "./common.js"

export interface StridedSliceMasks {
  readonly beginMask?: number
  readonly endMask?: number
  readonly ellipsisMask?: number
  readonly newAxisMask?: number
  readonly shrinkAxisMask?: number
}

export interface SliceDim {
  /** First index read (when size > 0). */
  readonly begin: number
  /** Number of elements. */
  readonly size: number
  /** Step, non-zero, possibly negative. */
  readonly stride: number
}

export interface StridedSlicePlan {
  readonly inputShape: ReadonlyArray<number>
  /** One entry per input dimension. */
  readonly dims: ReadonlyArray<SliceDim>
  /** The result shape: shrunk dims removed, new axes inserted. */
  readonly outputShape: ReadonlyArray<number>
}

const OP = "StridedSlice"
const NEW_AXIS = -2
const SHRINK = -1

/**
 * Resolves a StridedSlice on an input of static `shape` (all of begin/end/strides static,
 * same length, < 32 entries). Throws InvalidAttrError on what TF rejects (zero stride, two
 * ellipses, shrinking an out-of-range index, more indices than dims).
 */
export const stridedSlicePlan = (
  shape: ReadonlyArray<number>,
  begin: ReadonlyArray<number>,
  end: ReadonlyArray<number>,
  strides: ReadonlyArray<number>,
  masks: StridedSliceMasks = {}
): StridedSlicePlan => {
  const sparseDims = strides.length
  if (begin.length !== sparseDims || end.length !== sparseDims || sparseDims >= 32) {
    throw attrError(OP, "begin", `begin, end and strides must be equal-length vectors (< 32), got ${begin.length}, ${end.length}, ${sparseDims}`)
  }
  const beginMask = masks.beginMask ?? 0
  const endMask = masks.endMask ?? 0
  let ellipsisMask = masks.ellipsisMask ?? 0
  const newAxisMask = masks.newAxisMask ?? 0
  const shrinkMask = masks.shrinkAxisMask ?? 0
  if (ellipsisMask & (ellipsisMask - 1)) throw attrError(OP, "ellipsis_mask", "multiple ellipses in slice spec not allowed")

  // Step 1: count new axes after the ellipsis; add an implicit trailing ellipsis.
  let afterEllipsisNewAxes = 0
  let seen = false
  for (let i = 0; i < sparseDims; i++) {
    if (seen && (newAxisMask >> i) & 1) afterEllipsisNewAxes++
    if ((ellipsisMask >> i) & 1) seen = true
  }
  let nSparse = sparseDims
  if (!seen) ellipsisMask |= 1 << nSparse++

  // Step 2: the dense spec (one entry per input dim).
  const rank = shape.length
  const dBegin = new Array<number>(rank).fill(0)
  const dEnd = new Array<number>(rank).fill(0)
  const dStride = new Array<number>(rank).fill(1)
  const dBeginMasked = new Array<boolean>(rank).fill(false)
  const dEndMasked = new Array<boolean>(rank).fill(false)
  const dShrink = new Array<boolean>(rank).fill(false)
  const gather: number[] = []
  let full = 0
  for (let i = 0; i < nSparse; i++) {
    if ((ellipsisMask >> i) & 1) {
      const next = Math.min(rank - (nSparse - i) + 1 + afterEllipsisNewAxes, rank)
      for (; full < next; full++) {
        dBeginMasked[full] = dEndMasked[full] = true
        gather.push(full)
      }
    } else if ((newAxisMask >> i) & 1) {
      gather.push(NEW_AXIS)
    } else {
      if (full === rank) throw attrError(OP, "begin", `index ${i} is out of range for an input of rank ${rank}`)
      dBegin[full] = begin[i]!
      dEnd[full] = end[i]!
      dStride[full] = strides[i]!
      dBeginMasked[full] = ((beginMask >> i) & 1) === 1
      dEndMasked[full] = ((endMask >> i) & 1) === 1
      dShrink[full] = ((shrinkMask >> i) & 1) === 1
      gather.push(dShrink[full] ? SHRINK : full)
      full++
    }
  }

  // Step 3: canonical ranges and sizes.
  const dims: SliceDim[] = []
  for (let i = 0; i < rank; i++) {
    const dim = shape[i]!
    const s = dStride[i]!
    if (s === 0) throw attrError(OP, "strides", `strides[${i}] must be non-zero`)
    let b: number
    let size: number
    if (dShrink[i]) {
      if (s <= 0) throw attrError(OP, "strides", "only stride 1 allowed on non-range indexing")
      b = dBegin[i]! < 0 ? dim + dBegin[i]! : dBegin[i]!
      if (b < 0 || b >= dim) throw attrError(OP, "begin", `slice index ${dBegin[i]} of dimension ${i} out of bounds`)
      size = 1
    } else {
      const lo = s > 0 ? 0 : -1
      const hi = s > 0 ? dim : dim - 1
      const canonical = (x: number, masked: boolean, isEnd: boolean): number => {
        if (masked) return (s > 0) !== isEnd ? lo : hi
        const fwd = x < 0 ? dim + x : x
        return Math.min(Math.max(fwd, lo), hi)
      }
      b = canonical(dBegin[i]!, dBeginMasked[i]!, false)
      const e = canonical(dEnd[i]!, dEndMasked[i]!, true)
      const interval = e - b
      size = interval === 0 || interval < 0 !== s < 0 ? 0 : Math.ceil(interval / s)
    }
    dims.push({ begin: b, size, stride: s })
  }

  // Step 4: the final shape.
  const outputShape: number[] = []
  for (const gi of gather) {
    if (gi >= 0) outputShape.push(dims[gi]!.size)
    else if (gi === NEW_AXIS) outputShape.push(1)
  }
  return { inputShape: [...shape], dims, outputShape }
}

/** StridedSlice of a device array (consumes `x`). */
export const stridedSlice = (
  x: Arr,
  begin: ReadonlyArray<number>,
  end: ReadonlyArray<number>,
  strides: ReadonlyArray<number>,
  masks: StridedSliceMasks = {}
): Arr => applyStridedSlice(x, planOrDispose([x], () => stridedSlicePlan(x.shape, begin, end, strides, masks)))

/**
 * Applies a plan to a device array (consumes `x`): one multi-axis slice of
 * [first, first + size·|stride|) per dim (padded at the end where that runs past the input),
 * a reshape splitting strided dims into [size, |stride|] and taking index 0, a flip of the
 * negative-stride dims, and the final reshape.
 */
export const applyStridedSlice = (x: Arr, plan: StridedSlicePlan): Arr => {
  planOrDispose([x], () => {
    if (x.shape.length !== plan.inputShape.length || x.shape.some((d, i) => d !== plan.inputShape[i])) {
      throw inputError(OP, `plan is for ${fmtShape(plan.inputShape)}, input is ${fmtShape(x.shape)}`)
    }
  })
  if (plan.dims.some((d) => d.size === 0)) {
    const dtype = x.dtype
    x.dispose()
    return np.zeros([...plan.outputShape], { dtype })
  }
  // Lowest index read and the run length covering size·|stride| elements.
  const ranges = plan.dims.map((d) => {
    const step = Math.abs(d.stride)
    const lo = d.stride > 0 ? d.begin : d.begin + (d.size - 1) * d.stride
    return { lo, step, size: d.size, len: d.size * step }
  })
  let y = x
  if (!ranges.every((r, i) => r.lo === 0 && r.len === plan.inputShape[i])) {
    y = y.slice(...ranges.map((r, i): [number, number] => [r.lo, Math.min(r.lo + r.len, plan.inputShape[i]!)]))
    const padHi = ranges.map((r, i) => r.lo + r.len - Math.min(r.lo + r.len, plan.inputShape[i]!))
    if (padHi.some((p) => p > 0)) y = np.pad(y, padHi.map((p): [number, number] => [0, p]))
  }
  if (ranges.some((r) => r.step > 1)) {
    y = y.reshape(ranges.flatMap((r) => (r.step > 1 ? [r.size, r.step] : [r.size])))
    y = y.slice(...ranges.flatMap((r): ([] | number)[] => (r.step > 1 ? [[], 0] : [[]])))
  }
  const flipAxes = plan.dims.flatMap((d, i) => (d.stride < 0 && d.size > 1 ? [i] : []))
  if (flipAxes.length > 0) y = np.flip(y, flipAxes)
  return y.reshape([...plan.outputShape])
}

type Indexable = { readonly length: number; [i: number]: unknown }

/** Applies a plan to a host tensor (static values: shapes, sizes…); any element type. */
export const applyStridedSliceHost = (t: HostTensor, plan: StridedSlicePlan): HostTensor => {
  if (t.shape.length !== plan.inputShape.length || t.shape.some((d, i) => d !== plan.inputShape[i])) {
    throw inputError(OP, `plan is for ${fmtShape(plan.inputShape)}, input is ${fmtShape(t.shape)}`)
  }
  const n = product(plan.dims.map((d) => d.size))
  const src = t.data as unknown as Indexable
  const out: Indexable = ArrayBuffer.isView(t.data)
    ? new (t.data.constructor as new (n: number) => Indexable)(n)
    : new Array<unknown>(n)
  // Input strides (row-major) and an odometer over the output positions.
  const rank = plan.dims.length
  const inStride = new Array<number>(rank)
  for (let i = rank - 1, acc = 1; i >= 0; i--) {
    inStride[i] = acc
    acc *= plan.inputShape[i]!
  }
  const pos = new Array<number>(rank).fill(0)
  for (let k = 0; k < n; k++) {
    let off = 0
    for (let i = 0; i < rank; i++) off += (plan.dims[i]!.begin + pos[i]! * plan.dims[i]!.stride) * inStride[i]!
    out[k] = src[off]
    for (let i = rank - 1; i >= 0; i--) {
      if (++pos[i]! < plan.dims[i]!.size) break
      pos[i] = 0
    }
  }
  return { dtype: t.dtype, shape: [...plan.outputShape], data: out as unknown as HostTensor["data"] }
}
