/**
 * Shifted-slice windows: the vmap-able, `reduceWindow`-free way to express depthwise
 * convolution and pooling in jax-js. A K×K window op becomes K·K strided views ("taps") of
 * one padded, materialised input, combined element-wise.
 */
import { numpy as np } from "@jax-js/jax"
import { materialize } from "./barrier.js"
import { type Arr, HostCache } from "./common.js"
import { tapPadding, type WindowGeometry } from "./windowGeometry.js"

/**
 * Pads an NHWC input so that every tap slice fits (see `tapPadding`) and materialises it.
 * `fill` is the value of the real padding region (TF's window padding); the extra high
 * padding taps may touch is never read into an output. `fill` ≠ 0 is applied by adding a
 * host bias that is 0 inside the input and `fill` outside: exact for floats (x + 0 = x,
 * 0 + −∞ = −∞) and int32, and its gradient flows only to real elements. `barrier`: materialise
 * (needed when K·K taps read the result; a single reduction over it reads each element once).
 * `tiled`: windows tile the input (kernel = stride), so only [0, out·kernel) must fit.
 */
export const padForTaps = (x: Arr, g: WindowGeometry, fill = 0, barrier = true, tiled = false): Arr => {
  const [hl, hh] = tapPadding(g.h, tiled)
  const [wl, wh] = tapPadding(g.w, tiled)
  if (hl + hh + wl + wh === 0) return barrier ? materialize(x) : x
  let xp = np.pad(x, [
    [0, 0],
    [hl, hh],
    [wl, wh],
    [0, 0]
  ])
  if (fill !== 0) xp = xp.add(fillBias(g, x.dtype, fill, tiled))
  return barrier ? materialize(xp) : xp
}

const biasCache = new HostCache<Float32Array | Int32Array>(64)

const fillBias = (g: WindowGeometry, dtype: np.DType, fill: number, tiled: boolean): Arr => {
  const [hl, hh] = tapPadding(g.h, tiled)
  const [wl, wh] = tapPadding(g.w, tiled)
  const hp = g.h.size + hl + hh
  const wp = g.w.size + wl + wh
  const isInt = dtype === np.int32 || dtype === np.uint32
  const data = biasCache.get(`${hp},${wp},${hl},${wl},${g.h.size},${g.w.size},${fill},${isInt}`, () => {
    const d = isInt ? new Int32Array(hp * wp) : new Float32Array(hp * wp)
    for (let i = 0; i < hp; i++) {
      for (let j = 0; j < wp; j++) {
        const inside = i >= hl && i < hl + g.h.size && j >= wl && j < wl + g.w.size
        d[i * wp + j] = inside ? 0 : fill
      }
    }
    return d
  })
  return np.array(data, { dtype: isInt ? np.int32 : np.float32, shape: [hp, wp, 1] })
}

/**
 * Tap (i, j) of a padded NHWC input `xp` (consumes `xp`; pass `.ref`):
 * `xp[:, i·dh + oh·sh, j·dw + ow·sw, :]` for oh < OH, ow < OW. Strides are taken by slicing
 * OH·sh rows, splitting them into [OH, sh] and keeping index 0 (jax-js has no strided slice).
 */
export const tap = (xp: Arr, g: WindowGeometry, i: number, j: number): Arr => {
  const [n, , , c] = xp.shape as [number, number, number, number]
  const h0 = i * g.h.dilation
  const w0 = j * g.w.dilation
  const { out: oh, stride: sh } = g.h
  const { out: ow, stride: sw } = g.w
  const t = xp.slice([], [h0, h0 + oh * sh], [w0, w0 + ow * sw], [])
  if (sh === 1 && sw === 1) return t
  return t.reshape([n, oh, sh, ow, sw, c]).slice([], [], 0, [], 0, [])
}
