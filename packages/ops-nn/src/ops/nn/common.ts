/**
 * Shared plumbing of the nn converters: attr schema pieces, TF attrs → lowering attrs, value
 * access and node-named errors.
 */
import type { numpy as np } from "@jax-js/jax"
import type { DType, HostTensor, Input, OpContext, Value } from "@tf2jax/core"
import { Attr, ConversionError, InvalidAttrError, toArray } from "@tf2jax/core"
import { Schema } from "effect"
import type { WindowAttrs } from "../../lowering/index.js"

export type Arr = np.Array

/** The attrs every TF convolution shares (the TF op defs fill defaults for TF ops). */
export const convAttrFields = {
  T: Attr.type,
  strides: Attr.ints,
  padding: Attr.string,
  explicit_paddings: Schema.optionalKey(Attr.ints),
  data_format: Schema.optionalKey(Attr.string),
  dilations: Schema.optionalKey(Attr.ints),
  use_cudnn_on_gpu: Schema.optionalKey(Attr.bool)
}

export interface ConvAttrs {
  readonly strides: ReadonlyArray<number>
  readonly padding: string
  readonly explicit_paddings?: ReadonlyArray<number>
  readonly data_format?: string
  readonly dilations?: ReadonlyArray<number>
}

/** TF conv attrs in the lowerings' form. */
export const windowAttrs = (a: ConvAttrs): WindowAttrs => ({
  strides: a.strides,
  padding: a.padding,
  explicitPaddings: a.explicit_paddings ?? [],
  dilations: a.dilations ?? [],
  dataFormat: a.data_format ?? "NHWC"
})

/**
 * Runs `f` (a lowering call); errors raised without a node (the lowerings do not know the graph)
 * are re-raised naming this node.
 */
export const atNode = <T>(ctx: OpContext, f: () => T): T => {
  try {
    return f()
  } catch (e) {
    if (e instanceof InvalidAttrError && e.node === "") {
      throw new InvalidAttrError({ node: ctx.node.name, op: ctx.node.op, attr: e.attr, what: e.what })
    }
    if (e instanceof ConversionError && !e.where.startsWith("node ")) {
      throw new ConversionError({ where: ctx.where, what: e.what })
    }
    throw e
  }
}

/**
 * Conversion-time validation of window attrs (the lowerings re-check against the input shape):
 * data format, padding kind, 4-element strides/dilations/ksize and 8 explicit paddings.
 */
export const checkWindowAttrs = (
  node: { readonly name: string; readonly op: string },
  a: ConvAttrs & { readonly ksize?: ReadonlyArray<number> },
  paddings: ReadonlyArray<string> = ["SAME", "VALID", "EXPLICIT"]
): void => {
  const df = a.data_format ?? "NHWC"
  if (df !== "NHWC" && df !== "NCHW") throw badAttr(node, "data_format", `${df} is not supported (NHWC or NCHW)`)
  if (!paddings.includes(a.padding)) throw badAttr(node, "padding", `${a.padding} is not supported (${paddings.join(", ")})`)
  for (const [name, v] of [["strides", a.strides], ["dilations", a.dilations], ["ksize", a.ksize]] as const) {
    if (v !== undefined && v.length !== 0 && v.length !== 4) throw badAttr(node, name, `expected 4 values, got [${v.join(",")}]`)
  }
  if (a.padding === "EXPLICIT" && a.explicit_paddings?.length !== 8) {
    throw badAttr(node, "explicit_paddings", `padding EXPLICIT needs 8 values, got [${(a.explicit_paddings ?? []).join(",")}]`)
  }
}

/** An attr value the converter refuses, for `check`. */
export const badAttr = (node: { readonly name: string; readonly op: string }, attr: string, what: string): InvalidAttrError =>
  new InvalidAttrError({ node: node.name, op: node.op, attr, what })

/** A value input (taken in `value` mode) as an array the caller owns. */
export const arrayOf = (ctx: OpContext, input: Input): Arr => toArray(input as Value, ctx.where)

/** The host tensor of a static value input, else undefined. */
export const staticOf = (input: Input): HostTensor | undefined => {
  const v = input as Value | undefined
  return v?.kind === "static" ? v.tensor : undefined
}

/** Releases the arrays of value inputs a converter does not use (static ones own nothing). */
export const releaseValues = (inputs: ReadonlyArray<Input>): void => {
  for (const i of inputs) {
    const v = i as Value | undefined
    if (v?.kind === "array") v.array.dispose()
  }
}

/** The TF dtype and shape of a value input. */
export const metaOf = (input: Input): { readonly dtype: DType | undefined; readonly shape: ReadonlyArray<number> } => {
  const v = input as Value
  if (v.kind === "static") return { dtype: v.tensor.dtype, shape: v.tensor.shape }
  if (v.kind === "array") return { dtype: v.dtype, shape: v.array.shape }
  return { dtype: undefined, shape: [] }
}
