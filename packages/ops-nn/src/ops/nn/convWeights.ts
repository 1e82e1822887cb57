/**
 * Convolutions with a static or traced filter. A static filter (a Const: frozen graphs, TF.js)
 * is put into the lowering's layout once on the host (see prepare.ts), optionally with a
 * per-output-channel factor folded in (a fused batch norm); a traced one (a variable passed as
 * a param) goes through the lowering's own on-the-fly preparation.
 */
import type { HostTensor, Input, OpContext } from "@tf2jax/core"
import { hostToArray } from "@tf2jax/core"
import {
  conv2d,
  conv2dBackpropInputPrepared,
  conv2dBackpropInput,
  conv2dFilterInfo,
  conv2dPrepared,
  depthwiseConv2d,
  depthwiseConv2dPrepared,
  type WindowAttrs
} from "../../lowering/index.js"
import { checkDataFormat, fmtShape, inputError, nhwcShape, planOrDispose } from "../../lowering/common.js"
import { type Arr, arrayOf, staticOf } from "./common.js"
import { reshaped, scaleLastAxis, transposed, weightPrep } from "./prepare.js"

const upload = (ctx: OpContext, t: HostTensor): Arr => hostToArray(t, ctx.where)

/** The filter scaled per output channel by `factor` (cached per filter and factor tensor). */
const scaledFilter = (filter: HostTensor, factor: HostTensor | undefined): HostTensor =>
  factor === undefined
    ? filter
    : weightPrep.get([filter, factor], "scaled", () => scaleLastAxis(filter, factor.data as Float32Array))

const check4d = (op: string, x: Arr, filter: ReadonlyArray<number>): void => {
  if (filter.length !== 4) throw inputError(op, `filter must be 4-D, got ${fmtShape(filter)}`)
  if (x.ndim !== 4) throw inputError(op, `input must be 4-D, got ${fmtShape(x.shape)}`)
}

/**
 * Conv2D of `x` (consumed) with the filter input (static or traced; consumed). `factor`: a
 * per-output-channel scale folded into a static filter (ignored for traced ones: callers only
 * pass it with a static filter).
 */
export const conv2dOf = (ctx: OpContext, x: Arr, filter: Input, attrs: WindowAttrs, factor?: HostTensor): Arr => {
  const fh = staticOf(filter)
  if (fh === undefined) return conv2d(x, arrayOf(ctx, filter), attrs)
  const info = planOrDispose([x], () => {
    check4d("Conv2D", x, fh.shape)
    return conv2dFilterInfo(fh.shape, nhwcShape(x.shape, checkDataFormat("Conv2D", attrs.dataFormat))[3])
  })
  const { kh, kw, inPerGroup: cg, out: o, groups: g } = info
  // HWIO → [KH·KW·Cg, O] (a free reshape), or [G, KH·KW·Cg, O/G] for grouped convs.
  const prepared = weightPrep.get([scaledFilter(fh, factor)], `conv2d:${g}`, () => {
    const w = scaledFilter(fh, factor)
    return g === 1 ? reshaped(w, [kh * kw * cg, o]) : transposed(reshaped(w, [kh * kw * cg, g, o / g]), [1, 0, 2])
  })
  return conv2dPrepared(x, upload(ctx, prepared), info, attrs)
}

/** DepthwiseConv2dNative of `x` (consumed) with the filter input (consumed); `factor` as in `conv2dOf`. */
export const depthwiseOf = (ctx: OpContext, x: Arr, filter: Input, attrs: WindowAttrs, factor?: HostTensor): Arr => {
  const fh = staticOf(filter)
  if (fh === undefined) return depthwiseConv2d(x, arrayOf(ctx, filter), attrs)
  planOrDispose([x], () => check4d("DepthwiseConv2dNative", x, fh.shape))
  const [kh, kw, c, m] = fh.shape as [number, number, number, number]
  // [KH, KW, C, M] → [KH·KW, C(, M)]: tap k reads row k.
  const w = scaledFilter(fh, factor)
  const prepared = weightPrep.get([w], "depthwise", () => reshaped(w, m === 1 ? [kh * kw, c] : [kh * kw, c, m]))
  return depthwiseConv2dPrepared(x, upload(ctx, prepared), { kh, kw, multiplier: m }, attrs)
}

/** Conv2DBackpropInput with the static `inputSizes`; filter input and `dy` consumed. */
export const conv2dBackpropInputOf = (
  ctx: OpContext,
  inputSizes: ReadonlyArray<number>,
  filter: Input,
  dy: Arr,
  attrs: WindowAttrs
): Arr => {
  const fh = staticOf(filter)
  if (fh === undefined) return conv2dBackpropInput(inputSizes, arrayOf(ctx, filter), dy, attrs)
  planOrDispose([dy], () => check4d("Conv2DBackpropInput", dy, fh.shape))
  const [kh, kw, c, o] = fh.shape as [number, number, number, number]
  // HWIO [KH, KW, C, O] → [KH·KW·O, C].
  const prepared = weightPrep.get([fh], "conv2dBackpropInput", () => reshaped(transposed(fh, [0, 1, 3, 2]), [kh * kw * o, c]))
  return conv2dBackpropInputPrepared(inputSizes, upload(ctx, prepared), { kh, kw }, dy, attrs)
}
