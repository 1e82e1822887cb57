/**
 * TF ResizeBilinear and ResizeNearestNeighbor (NHWC) with TF's CPU-kernel coordinate maps,
 * computed on the host in float32 exactly as TF does (scale = in/out, or (in−1)/(out−1) with
 * align_corners; half_pixel_centers shifts by ½), turned into gather indices and lerp weights.
 *
 * Bilinear evaluates TF's formula and rounding order:
 *   top = tl + (tr − tl)·xl,  bottom = bl + (br − bl)·xl,  out = top + (bottom − top)·yl
 * from 4 corner gathers, so results match TF to float32 rounding and the gradient is TF's
 * (the transpose of the same linear map). The output is float32 whatever the input dtype,
 * as in TF. (tf2jax uses `jax.image.scale_and_translate` instead, which differs from TF's
 * kernel in the legacy modes.)
 */
import { numpy as np } from "@jax-js/jax"
import { gradSafeGather } from "./barrier.js"
import { type Arr, attrError, float32Const, fmtShape, HostCache, inputError, int32Const, planOrDispose } from "./common.js"

export interface ResizeAttrs {
  readonly alignCorners?: boolean
  readonly halfPixelCenters?: boolean
}

const f32 = Math.fround

/** TF's CalculateResizeScale, in float32. */
const resizeScale = (inSize: number, outSize: number, alignCorners: boolean): number =>
  alignCorners && inSize > 1 && outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : f32(inSize / outSize)

interface LinearAxis {
  readonly lower: Int32Array
  readonly upper: Int32Array
  readonly lerp: Float32Array
}

const linearCache = new HostCache<LinearAxis>(128)
const nearestCache = new HostCache<Int32Array>(128)

/** Per output index: the two source indices and the weight of the upper one. */
const linearAxis = (inSize: number, outSize: number, attrs: ResizeAttrs): LinearAxis =>
  linearCache.get(`${inSize},${outSize},${!!attrs.alignCorners},${!!attrs.halfPixelCenters}`, () => {
    const scale = resizeScale(inSize, outSize, !!attrs.alignCorners)
    const lower = new Int32Array(outSize)
    const upper = new Int32Array(outSize)
    const lerp = new Float32Array(outSize)
    for (let i = 0; i < outSize; i++) {
      const src = attrs.halfPixelCenters ? f32(f32(f32(i + 0.5) * scale) - 0.5) : f32(i * scale)
      const fl = Math.floor(src)
      lower[i] = Math.max(fl, 0)
      upper[i] = Math.min(Math.ceil(src), inSize - 1)
      lerp[i] = f32(src - fl)
    }
    return { lower, upper, lerp }
  })

/** Per output index: the source index (floor, or round-half-away with align_corners). */
const nearestAxis = (inSize: number, outSize: number, attrs: ResizeAttrs): Int32Array =>
  nearestCache.get(`${inSize},${outSize},${!!attrs.alignCorners},${!!attrs.halfPixelCenters}`, () => {
    const scale = resizeScale(inSize, outSize, !!attrs.alignCorners)
    const idx = new Int32Array(outSize)
    for (let i = 0; i < outSize; i++) {
      // The half-pixel map for nearest omits TF's −½: the floor() that follows does it.
      const src = attrs.halfPixelCenters ? f32(f32(i + 0.5) * scale) : f32(i * scale)
      // C's roundf rounds halves away from zero; src ≥ 0 here, so floor(src + ½) is the same.
      const r = attrs.alignCorners ? Math.floor(src + 0.5) : Math.floor(src)
      // TF clamps at 0 only with half_pixel_centers; the other maps are never negative.
      idx[i] = Math.max(Math.min(r, inSize - 1), 0)
    }
    return idx
  })

const validate = (op: string, images: Arr, size: ReadonlyArray<number>, attrs: ResizeAttrs): [number, number] => {
  if (images.ndim !== 4) throw inputError(op, `images must be 4-D NHWC, got ${fmtShape(images.shape)}`)
  if (size.length !== 2 || !size.every((s) => Number.isInteger(s) && s > 0)) {
    throw inputError(op, `size must be 2 positive integers, got [${size.join(",")}]`)
  }
  if (attrs.alignCorners && attrs.halfPixelCenters) {
    throw attrError(op, "half_pixel_centers", "if half_pixel_centers is true, align_corners must be false")
  }
  if (images.shape[1] === 0 || images.shape[2] === 0) throw inputError(op, "input image must be of non-zero size")
  return [size[0]!, size[1]!]
}

/** ResizeBilinear of NHWC `images` to the static `size` [OH, OW]; float32 result. Consumes `images`. */
export const resizeBilinear = (images: Arr, size: ReadonlyArray<number>, attrs: ResizeAttrs = {}): Arr => {
  const [oh, ow] = planOrDispose([images], () => validate("ResizeBilinear", images, size, attrs))
  const [, h, w] = images.shape as [number, number, number, number]
  const ya = linearAxis(h, oh, attrs)
  const xa = linearAxis(w, ow, attrs)
  const x = images.dtype === np.float32 ? images : images.astype(np.float32)
  const rows = (idx: Int32Array): Arr => np.take(x.ref, int32Const(idx, [oh]), 1)
  const top = rows(ya.lower)
  const bottom = rows(ya.upper)
  x.dispose()
  const cols = (t: Arr, idx: Int32Array): Arr => np.take(t, int32Const(idx, [ow]), 2)
  const xl = float32Const(xa.lerp, [ow, 1])
  const yl = float32Const(ya.lerp, [oh, 1, 1])
  const tl = cols(top.ref, xa.lower)
  const tr = cols(top, xa.upper)
  const bl = cols(bottom.ref, xa.lower)
  const br = cols(bottom, xa.upper)
  const t = tl.ref.add(tr.sub(tl).mul(xl.ref))
  const b = bl.ref.add(br.sub(bl).mul(xl))
  return t.ref.add(b.sub(t).mul(yl))
}

/** ResizeNearestNeighbor of NHWC `images` to the static `size` [OH, OW]; keeps the dtype. Consumes `images`. */
export const resizeNearestNeighbor = (images: Arr, size: ReadonlyArray<number>, attrs: ResizeAttrs = {}): Arr => {
  const [oh, ow] = planOrDispose([images], () => validate("ResizeNearestNeighbor", images, size, attrs))
  const [, h, w] = images.shape as [number, number, number, number]
  const yi = nearestAxis(h, oh, attrs)
  const xi = nearestAxis(w, ow, attrs)
  const rows = np.take(images, int32Const(yi, [oh]), 1)
  return gradSafeGather(np.take(rows, int32Const(xi, [ow]), 2))
}
