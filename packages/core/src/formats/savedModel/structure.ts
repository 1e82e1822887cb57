/**
 * `StructuredValue` (struct.proto) → `Structure`, and flattening a structure into its tensor
 * leaves the way TensorFlow's `nest.flatten` orders them (sequences in order, dicts by
 * sorted key) — the order of a concrete function's graph inputs and outputs.
 *
 * @since 0.1.0
 */
import { dtypeFromEnum } from "../../dtype.js"
import { InvalidModelError } from "../../errors.js"
import type { ByteContext } from "../../HostTensor.js"
import type { FlatInput, Structure, TensorSpec } from "../../model/TfModel.js"
import { int64ToBigInt, type pb } from "../../proto/decode.js"
import { shapeFromProto } from "../../proto/tensorProto.js"

const MAX_DEPTH = 64

const specFromProto = (
  s: { name?: string | null; shape?: pb.TensorShapeProto.$Properties | null; dtype?: number | null },
  ctx: ByteContext
): TensorSpec => {
  const dtype = dtypeFromEnum(s.dtype ?? 0)
  if (dtype === undefined) throw new InvalidModelError({ ...ctx, what: `tensor spec with invalid dtype ${s.dtype ?? 0}` })
  return { name: s.name ?? "", dtype, shape: shapeFromProto(s.shape) }
}

/** Converts a `StructuredValue`. */
export const structureFromProto = (
  v: pb.StructuredValue.$Properties | null | undefined,
  ctx: ByteContext,
  depth = 0
): Structure => {
  if (!v) return { kind: "none" }
  if (depth > MAX_DEPTH) throw new InvalidModelError({ ...ctx, what: "structure nested too deeply" })
  const rec = (x: pb.StructuredValue.$Properties | null | undefined) => structureFromProto(x, ctx, depth + 1)
  if (v.tensorSpecValue) return { kind: "tensor", spec: specFromProto(v.tensorSpecValue, ctx) }
  if (v.boundedTensorSpecValue) return { kind: "tensor", spec: specFromProto(v.boundedTensorSpecValue, ctx) }
  if (v.listValue) return { kind: "list", items: (v.listValue.values ?? []).map(rec) }
  if (v.tupleValue) return { kind: "tuple", items: (v.tupleValue.values ?? []).map(rec) }
  if (v.dictValue) {
    const fields: Record<string, Structure> = {}
    for (const [k, x] of Object.entries(v.dictValue.fields ?? {})) fields[k] = rec(x)
    return { kind: "dict", fields }
  }
  if (v.namedTupleValue) {
    const fields: Record<string, Structure> = {}
    for (const p of v.namedTupleValue.values ?? []) fields[p.key ?? ""] = rec(p.value)
    return { kind: "named-tuple", name: v.namedTupleValue.name ?? "", fields }
  }
  if (v.noneValue) return { kind: "none" }
  if (v.float64Value != null) return { kind: "literal", value: v.float64Value }
  if (v.int64Value != null) return { kind: "literal", value: int64ToBigInt(v.int64Value) }
  if (v.stringValue != null) return { kind: "literal", value: v.stringValue }
  if (v.boolValue != null) return { kind: "literal", value: v.boolValue }
  if (v.typeSpecValue) return { kind: "opaque", what: `TypeSpec ${v.typeSpecValue.typeSpecClassName ?? v.typeSpecValue.typeSpecClass ?? ""}` }
  if (v.tensorDtypeValue != null) return { kind: "opaque", what: "dtype" }
  if (v.tensorShapeValue) return { kind: "opaque", what: "shape" }
  if (v.tensorValue || v.numpyValue) return { kind: "opaque", what: "tensor value" }
  return { kind: "none" }
}

/** The tensor leaves of a structure in `nest.flatten` order, with readable paths. */
export const flattenStructure = (s: Structure, path = ""): Array<FlatInput> => {
  switch (s.kind) {
    case "tensor":
      return [{ path: path === "" ? s.spec.name : path, spec: s.spec }]
    case "list":
    case "tuple":
      return s.items.flatMap((item, i) => flattenStructure(item, `${path}[${i}]`))
    case "dict":
    case "named-tuple": {
      const keys = s.kind === "dict" ? Object.keys(s.fields).sort() : Object.keys(s.fields)
      return keys.flatMap((k) => flattenStructure(s.fields[k]!, path === "" ? k : `${path}.${k}`))
    }
    default:
      return []
  }
}

/**
 * The user inputs of a concrete function from its canonicalized input signature, a 2-tuple
 * (positional args, keyword args). Paths are the argument names where TF recorded them
 * (`x`, `inputs.image`), else positions (`args[0]`).
 */
export const flattenInputSignature = (s: Structure): Array<FlatInput> => {
  if (s.kind === "tuple" && s.items.length === 2) {
    const [args, kwargs] = s.items as [Structure, Structure]
    const positional =
      args.kind === "tuple" || args.kind === "list"
        ? args.items.flatMap((item, i) => {
            const name = item.kind === "tensor" && item.spec.name !== "" ? item.spec.name : `args[${i}]`
            return flattenStructure(item, name)
          })
        : flattenStructure(args, "args")
    return [...positional, ...flattenStructure(kwargs)]
  }
  return flattenStructure(s)
}

/** Number of tensor leaves. */
export const countTensors = (s: Structure): number => flattenStructure(s).length
