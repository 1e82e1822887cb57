/**
 * TensorLists as dense stacked tensors (what TF2 loops make of `tf.TensorArray`, and what
 * tf2jax does): a list of n elements of shape S is a `[n, ...S]` value with the element dtype.
 *
 * - `TensorListReserve` gives static zeros `[n, ...S]` when the element shape is fully known,
 *   else a zero-size static placeholder `[n, 0]` that the first `TensorListSetItem` (or a masked
 *   loop step, see while.ts) replaces by zeros of the item's shape. Static lists stay static
 *   until a traced item is stored.
 * - `TensorListSetItem` writes row `index` with `where(arange(n) == index, item, list)`, which
 *   works for static and traced indices under jit/grad/vmap; `resize_if_index_out_of_bounds` is
 *   refused, as in tf2jax.
 * - `TensorListGetItem` reads row `index` (static: a basic slice; traced: a one-hot sum, so a
 *   traced out-of-range index reads zeros where TF raises). Its element dtype check is skipped
 *   when `disableAssertInTensorListGetItem` is set.
 * - `TensorListStack`, `TensorListFromTensor`: the tensor itself. `TensorListLength` and
 *   `TensorListElementShape` are static.
 */
import { numpy as np } from "@jax-js/jax"
import type { DType, HostTensor, JaxArray, Value } from "@tf2jax/core"
import {
  Attr,
  ConversionError,
  arrayValue,
  defineOp,
  hostValues,
  numElements,
  staticValue,
  toArray,
  zerosData
} from "@tf2jax/core"
import { Schema } from "effect"

const shapeOf = (v: Value): ReadonlyArray<number> => (v.kind === "static" ? v.tensor.shape : v.kind === "array" ? v.array.shape : [])
const dtypeOf = (v: Value, fallback: DType): DType => (v.kind === "static" ? v.tensor.dtype : v.kind === "array" ? v.dtype : fallback)

const zerosHost = (dtype: DType, shape: ReadonlyArray<number>): HostTensor => ({ dtype, shape: [...shape], data: zerosData(dtype, numElements(shape)) })

/** Dims of a static element_shape input; `undefined` when rank or a dim is unknown. */
const knownShape = (t: HostTensor): Array<number> | undefined => {
  const dims = Array.from(hostValues(t))
  if (t.shape.length === 0) return dims[0] === -1 ? undefined : []
  return dims.some((d) => d < 0) ? undefined : dims
}

const isPlaceholder = (list: Value, item: ReadonlyArray<number>): boolean => {
  const s = shapeOf(list)
  const elem = s.slice(1)
  return numElements(s) === 0 && (elem.length !== item.length || elem.some((d, i) => d !== item[i]))
}

export const tensorListReserve = defineOp({
  ops: ["TensorListReserve"],
  attrs: Schema.Struct({ element_dtype: Attr.type, shape_type: Attr.type }),
  inputs: ["static", "static"],
  run: (ctx, [elementShape, numElementsIn], a) => {
    const n = hostValues(numElementsIn as HostTensor)[0]!
    if (!Number.isInteger(n) || n < 0) throw new ConversionError({ where: ctx.where, what: `num_elements must be a non-negative integer, got ${n}` })
    const shape = knownShape(elementShape as HostTensor)
    return staticValue(zerosHost(a.element_dtype, shape ? [n, ...shape] : [n, 0]))
  }
})

export const tensorListFromTensor = defineOp({
  ops: ["TensorListFromTensor"],
  attrs: Schema.Struct({ element_dtype: Attr.type, shape_type: Attr.type }),
  inputs: ["value", "ignore"],
  run: (_ctx, [tensor]) => tensor as Value
})

export const tensorListStack = defineOp({
  ops: ["TensorListStack"],
  attrs: Schema.Struct({ element_dtype: Attr.type, num_elements: Schema.optionalKey(Attr.int) }),
  inputs: ["value", "static"],
  run: (ctx, [list, elementShape], a) => {
    const l = list as Value
    const s = shapeOf(l)
    if (numElements(s) === 0 && s.length === 2 && s[1] === 0) {
      const shape = knownShape(elementShape as HostTensor)
      if (shape === undefined && s[0]! > 0) {
        throw new ConversionError({ where: ctx.where, what: "stacking a TensorList whose elements were never set and whose element shape is unknown" })
      }
      return staticValue(zerosHost(a.element_dtype, [s[0]!, ...(shape ?? [])]))
    }
    return l
  }
})

export const tensorListLength = defineOp({
  ops: ["TensorListLength"],
  attrs: Schema.Struct({}),
  inputs: ["meta"],
  run: (_ctx, [meta]) => staticValue({ dtype: "int32", shape: [], data: Int32Array.of((meta as { shape: ReadonlyArray<number> }).shape[0] ?? 0) })
})

export const tensorListElementShape = defineOp({
  ops: ["TensorListElementShape"],
  attrs: Schema.Struct({ shape_type: Attr.type }),
  inputs: ["meta"],
  run: (_ctx, [meta], a) => {
    const s = (meta as { shape: ReadonlyArray<number> }).shape
    const elem = numElements(s) === 0 && s.length === 2 && s[1] === 0 ? undefined : s.slice(1)
    const dims = elem ?? [-1]
    const data = zerosData(a.shape_type, dims.length) as Int32Array
    dims.forEach((d, i) => (data[i] = a.shape_type === "int64" ? (BigInt(d) as never) : d))
    return staticValue({ dtype: a.shape_type, shape: elem ? [elem.length] : [], data })
  }
})

/** `[n]` indices 0…n−1 shaped to broadcast against `[n, ...rest]`. */
const rowIndex = (n: number, rank: number): JaxArray => np.arange(n).reshape([n, ...new Array<number>(rank - 1).fill(1)])

export const tensorListSetItem = defineOp({
  ops: ["TensorListSetItem"],
  attrs: Schema.Struct({ element_dtype: Attr.type, resize_if_index_out_of_bounds: Schema.optionalKey(Attr.bool) }),
  inputs: ["value", "value", "value"],
  check: (a, ctx) => {
    if (a.resize_if_index_out_of_bounds) {
      throw new ConversionError({ where: ctx.where, what: "resize_if_index_out_of_bounds is not supported (lists have a fixed length)" })
    }
  },
  run: (ctx, [listIn, indexIn, itemIn], a) => {
    let list = listIn as Value
    const index = indexIn as Value
    const item = itemIn as Value
    const itemShape = shapeOf(item)
    const n = shapeOf(list)[0] ?? 0
    if (isPlaceholder(list, itemShape)) list = staticValue(zerosHost(dtypeOf(list, a.element_dtype), [n, ...itemShape]))
    const dtype = dtypeOf(list, a.element_dtype)
    if (list.kind === "static" && index.kind === "static" && item.kind === "static") {
      const i = hostValues(index.tensor)[0]!
      if (!(i >= 0 && i < n)) throw new ConversionError({ where: ctx.where, what: `index ${i} is out of range for a list of ${n}` })
      const size = numElements(itemShape)
      const data = (list.tensor.data as unknown as { slice: () => unknown }).slice() as HostTensor["data"]
      const src = item.tensor.data as ArrayLike<unknown>
      for (let k = 0; k < size; k++) (data as unknown as Array<unknown>)[i * size + k] = src[k]
      return staticValue({ dtype, shape: list.tensor.shape, data })
    }
    const l = toArray(list, ctx.where)
    const it = toArray(item, ctx.where)
    const idx = index.kind === "static" ? hostValues(index.tensor)[0]! : toArray(index, ctx.where)
    const mask = np.equal(rowIndex(n, l.shape.length), idx)
    return arrayValue(np.where(mask, it.reshape([1, ...itemShape]), l), dtype)
  }
})

export const tensorListGetItem = defineOp({
  ops: ["TensorListGetItem"],
  attrs: Schema.Struct({ element_dtype: Attr.type, Tshape: Schema.optionalKey(Attr.type) }),
  inputs: ["value", "value", "ignore"],
  run: (ctx, [listIn, indexIn], a) => {
    const list = listIn as Value
    const index = indexIn as Value
    const dtype = dtypeOf(list, a.element_dtype)
    if (dtype !== a.element_dtype && !ctx.config.disableAssertInTensorListGetItem) {
      throw new ConversionError({ where: ctx.where, what: `the list holds ${dtype} elements, the op reads ${a.element_dtype} (set disableAssertInTensorListGetItem to skip this check)` })
    }
    const s = shapeOf(list)
    const n = s[0] ?? 0
    const elem = s.slice(1)
    if (index.kind === "static") {
      const i = hostValues(index.tensor)[0]!
      if (!(i >= 0 && i < n)) throw new ConversionError({ where: ctx.where, what: `index ${i} is out of range for a list of ${n}` })
      if (list.kind === "static") {
        const size = numElements(elem)
        const src = list.tensor.data as unknown as { slice: (a: number, b: number) => HostTensor["data"] }
        return staticValue({ dtype, shape: elem, data: src.slice(i * size, (i + 1) * size) })
      }
      // A basic slice, not np.take: jax-js 0.1.25 cannot jit the gather's transpose (scatter).
      return arrayValue(toArray(list, ctx.where).slice(i), dtype)
    }
    const l = toArray(list, ctx.where)
    const mask = np.equal(rowIndex(n, l.shape.length), toArray(index, ctx.where))
    const picked = np.where(mask, l, 0)
    return arrayValue((l.dtype === np.bool ? np.any(picked, 0) : np.sum(picked, 0)).astype(l.dtype), dtype)
  }
})

export const tensorListOps = [
  tensorListReserve,
  tensorListFromTensor,
  tensorListStack,
  tensorListLength,
  tensorListElementShape,
  tensorListSetItem,
  tensorListGetItem
]
