/**
 * Shared plumbing of the array converters: reading static inputs, typed errors that name the
 * node, releasing inputs when validation fails, and the static-or-device decision.
 *
 * Ownership (OpConverter contract): `run` owns every array it receives. Validation runs on the
 * host before any array op, inside `guard`, which releases the inputs when it throws.
 */
import { numpy as np } from "@jax-js/jax"
import type { DType, HostTensor, Input, OpContext, Value } from "@tf2jax/core"
import {
  ConversionError,
  hostValues,
  InvalidAttrError,
  isComplex,
  jaxDtypeOf,
  numElements,
  toArray,
  UnsupportedDtypeError
} from "@tf2jax/core"

export type Arr = np.Array
export type StaticValue = Extract<Value, { kind: "static" }>

/**
 * Results computed from static inputs stay static (host tensors) up to this many elements.
 * Larger ones are computed on the device: the interpreter re-runs static nodes on every eager
 * call, where a JS loop over a large weight costs more than a device op, and no op needs such
 * a tensor on the host. Dtypes jax-js cannot hold (strings …) always stay on the host.
 */
export const STATIC_LIMIT = 1 << 16

/** Whether jax-js can hold `dtype` (DESIGN §8). */
export const onDevice = (dtype: DType): boolean => {
  try {
    jaxDtypeOf(dtype, "")
    return true
  } catch {
    return false
  }
}

/** Whether a result of `dtype` and `shape` computed from static inputs stays on the host. */
export const keepStatic = (dtype: DType, shape: ReadonlyArray<number>): boolean =>
  !isComplex(dtype) && (numElements(shape) <= STATIC_LIMIT || !onDevice(dtype))

/** Narrowing for values taken in `value` mode. */
export const isStatic = (v: Value): v is StaticValue => v.kind === "static"

/** Whether a value is static and the result (of `dtype` and `shape`) should stay so. */
export const hostable = (v: Value, dtype: DType, shape: ReadonlyArray<number>): v is StaticValue => isStatic(v) && keepStatic(dtype, shape)

/** The host tensors when every value is static and the result should stay so; else undefined. */
export const hostTensors = (vs: ReadonlyArray<Value | undefined>, dtype: DType, shape: ReadonlyArray<number>): Array<HostTensor> | undefined =>
  vs.every((v) => v === undefined || isStatic(v)) && keepStatic(dtype, shape)
    ? vs.map((v) => (v as StaticValue | undefined)?.tensor as HostTensor)
    : undefined

export const dtypeOf = (ctx: OpContext, v: Value): DType => {
  if (v.kind === "static") return v.tensor.dtype
  if (v.kind === "array") return v.dtype
  throw new ConversionError({ where: ctx.where, what: `expected a tensor, got a ${v.kind} value` })
}

export const shapeOf = (ctx: OpContext, v: Value): Array<number> => {
  if (v.kind === "static") return [...v.tensor.shape]
  if (v.kind === "array") return [...v.array.shape]
  throw new ConversionError({ where: ctx.where, what: `expected a tensor, got a ${v.kind} value` })
}

/** A value as a device array (static values are uploaded); consumes the value. */
export const device = (ctx: OpContext, v: Value): Arr => {
  if (v.kind === "static") {
    const t = v.tensor
    if (isComplex(t.dtype)) {
      throw new UnsupportedDtypeError({ dtype: t.dtype, where: ctx.where, what: "complex tensors are not supported on the device" })
    }
    // jax-js 0.1.25's np.array rejects empty float data ("Expected a number for constant").
    if (numElements(t.shape) === 0) return np.zeros([...t.shape], { dtype: jaxDtype(ctx, t.dtype) })
  }
  return toArray(v, ctx.where)
}

/** The jax-js dtype a TF dtype is computed in. */
export const jaxDtype = (ctx: OpContext, dtype: DType): np.DType => jaxDtypeOf(dtype, ctx.where) as np.DType

/** What errors need of a context (run time or build time). */
export type Ctx = Pick<OpContext, "node" | "where">

export const inputError = (ctx: Ctx, what: string): ConversionError => new ConversionError({ where: ctx.where, what })

export const attrError = (ctx: Ctx, attr: string, what: string): InvalidAttrError =>
  new InvalidAttrError({ node: ctx.node.name, op: ctx.node.op, attr, what })

/** Disposes the arrays among a converter's inputs. */
export const release = (inputs: ReadonlyArray<Input | Value>): void => {
  for (const i of inputs) {
    if (i === undefined || typeof i !== "object") continue
    if ("kind" in i) {
      if (i.kind === "array") i.array.dispose()
      else if (i.kind === "opaque") i.dispose?.()
    } else if ("dispose" in i && typeof i.dispose === "function" && "ref" in i) (i as Arr).dispose()
  }
}

/** Runs host-side validation; if it throws, releases the inputs and rethrows (with the node). */
export const guard = <T>(ctx: Ctx, inputs: ReadonlyArray<Input | Value>, f: () => T): T => {
  try {
    return f()
  } catch (e) {
    release(inputs)
    throw withNode(ctx, e)
  }
}

/**
 * Runs a lowering (which consumes its arguments even when it throws) and gives its errors the
 * node: lowerings raise InvalidAttrError with an empty node and ConversionError at the op name.
 */
export const lower = <T>(ctx: Ctx, f: () => T): T => {
  try {
    return f()
  } catch (e) {
    throw withNode(ctx, e)
  }
}

const withNode = (ctx: Ctx, e: unknown): unknown => {
  if (e instanceof InvalidAttrError && e.node === "") return attrError(ctx, e.attr, e.what)
  if (e instanceof ConversionError && !e.where.startsWith("node ")) return inputError(ctx, e.what)
  return e
}

/** The elements of a static integer input (shapes, axes, sizes …) as JS numbers. */
export const intsOf = (ctx: Ctx, t: HostTensor, what: string): Array<number> => {
  const vs = Array.from(hostValues(t))
  if (vs.some((v) => !Number.isInteger(v))) throw inputError(ctx, `${what} must hold integers, got [${vs.join(", ")}]`)
  return vs
}

/** A static integer input that must hold exactly one element (a scalar, or a 1-vector where TF allows it). */
export const intOf = (ctx: Ctx, t: HostTensor, what: string, allowVector = true): number => {
  const vs = intsOf(ctx, t, what)
  if (vs.length !== 1 || (!allowVector && t.shape.length !== 0)) {
    throw inputError(ctx, `${what} must be a scalar, got shape [${t.shape.join(",")}]`)
  }
  return vs[0]!
}

/** An axis in [-rank, rank) normalised to [0, rank). */
export const axisOf = (ctx: Ctx, axis: number, rank: number, what = "axis"): number => {
  const a = axis < 0 ? axis + rank : axis
  if (a < 0 || a >= rank) throw inputError(ctx, `${what} ${axis} is out of range for a tensor of rank ${rank}`)
  return a
}

export const fmt = (s: ReadonlyArray<number>): string => `[${s.join(",")}]`

export const product = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a * b, 1)

/** Index tuples for a multi-axis `slice`: `[]` (whole axis) except `[start, end]` at `axis`. */
export const axisRange = (rank: number, axis: number, start: number, end: number): Array<[] | [number, number]> =>
  Array.from({ length: rank }, (_, i) => (i === axis ? [start, end] : []))

/** A scalar value as a device array (static: built in its dtype, so where/select keep it); consumes it. */
export const scalarArray = (ctx: OpContext, v: Value): Arr => {
  if (v.kind !== "static") return device(ctx, v)
  const dtype = v.tensor.dtype
  const x = hostValues(v.tensor)[0]!
  return np.full([], dtype === "bool" ? x !== 0 : x, { dtype: jaxDtype(ctx, dtype) })
}
