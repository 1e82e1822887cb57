/**
 * Image converters: ResizeBilinear (float32 result, as in TF) and ResizeNearestNeighbor (keeps
 * the dtype), NHWC, with a static `size`, reproducing TF's CPU kernels' coordinate maps
 * (../../lowering/resize.ts).
 */
import type { HostTensor } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, hostValues } from "@tf2jax/core"
import { Schema } from "effect"
import { resizeBilinear, resizeNearestNeighbor } from "../../lowering/index.js"
import { type Arr, atNode } from "./common.js"

const resizeAttrs = Schema.Struct({
  T: Attr.type,
  align_corners: Schema.optionalKey(Attr.bool),
  half_pixel_centers: Schema.optionalKey(Attr.bool)
})

const modes = (a: typeof resizeAttrs.Type) => ({ alignCorners: a.align_corners ?? false, halfPixelCenters: a.half_pixel_centers ?? false })

const resizeBilinearOp = defineOp({
  ops: ["ResizeBilinear"],
  attrs: resizeAttrs,
  inputs: ["array", "static"],
  run: (ctx, [images, size], a) =>
    arrayValue(atNode(ctx, () => resizeBilinear(images as Arr, Array.from(hostValues(size as HostTensor)), modes(a))), "float32")
})

const resizeNearestOp = defineOp({
  ops: ["ResizeNearestNeighbor"],
  attrs: resizeAttrs,
  inputs: ["array", "static"],
  run: (ctx, [images, size], a) =>
    arrayValue(atNode(ctx, () => resizeNearestNeighbor(images as Arr, Array.from(hostValues(size as HostTensor)), modes(a))), a.T)
})

export const imageOps = [resizeBilinearOp, resizeNearestOp]
