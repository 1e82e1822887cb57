/**
 * Attr schemas: IR attr values become plain JS values (s → string, i/f → number, b → boolean,
 * type → DType, shape → number[] | null, tensor → HostTensor, func → FuncRef, list → array),
 * which each op's `Schema.Struct` then validates. tf2jax refuses attrs an op does not know; so
 * do we, ignoring TensorFlow's internal `_`-prefixed attrs.
 *
 * @since 0.1.0
 */
import { Result, Schema } from "effect"
import { DTYPES } from "../dtype.js"
import type { DType } from "../dtype.js"
import { InvalidAttrError } from "../errors.js"
import type { HostTensor } from "../HostTensor.js"
import type { AttrValue, FuncRef, NodeDef, Shape } from "../graph/ir.js"
import { utf8 } from "../graph/ir.js"
import { tfOpSignature, withDefaultAttrs } from "../opdefs/opDefs.js"

const isHostTensor = (u: unknown): u is HostTensor =>
  typeof u === "object" && u !== null && "dtype" in u && "shape" in u && "data" in u
const isFuncRef = (u: unknown): u is FuncRef => typeof u === "object" && u !== null && "name" in u && "attrs" in u
const isShape = (u: unknown): u is Shape => u === null || (Array.isArray(u) && u.every((d) => typeof d === "number"))

/** Building blocks for op attr schemas. */
export const Attr = {
  type: Schema.Literals(DTYPES),
  types: Schema.Array(Schema.Literals(DTYPES)),
  int: Schema.Int,
  ints: Schema.Array(Schema.Int),
  float: Schema.Number,
  floats: Schema.Array(Schema.Number),
  bool: Schema.Boolean,
  string: Schema.String,
  strings: Schema.Array(Schema.String),
  shape: Schema.declare(isShape),
  shapes: Schema.Array(Schema.declare(isShape)),
  tensor: Schema.declare(isHostTensor),
  func: Schema.declare(isFuncRef),
  funcs: Schema.Array(Schema.declare(isFuncRef)),
  /** Accepted and not interpreted (e.g. `T`, which the inputs already carry). */
  any: Schema.Unknown
} as const

/** An attr value as a plain JS value. */
export const plainAttr = (a: AttrValue): unknown => {
  switch (a.kind) {
    case "s":
      return utf8.decode(a.value)
    case "list": {
      const l = a.value
      if (l.s.length) return l.s.map((s) => utf8.decode(s))
      if (l.i.length) return l.i
      if (l.f.length) return l.f
      if (l.b.length) return l.b
      if (l.type.length) return l.type
      if (l.shape.length) return l.shape
      if (l.tensor.length) return l.tensor
      if (l.func.length) return l.func
      return []
    }
    default:
      return a.value
  }
}

/** The struct fields a schema declares (when it is a Struct). */
const declaredFields = (schema: Schema.Top): ReadonlySet<string> | undefined => {
  const fields = (schema as { fields?: Record<string, unknown> }).fields
  return fields ? new Set(Object.keys(fields)) : undefined
}

/**
 * Decodes a node's attrs with an op's schema: refuses unknown attrs, fills TensorFlow's
 * defaults for attrs the node omits, and validates the result.
 */
export const decodeAttrs = <A>(node: NodeDef, schema: Schema.Decoder<A>, where: string): A => {
  const fields = declaredFields(schema)
  if (fields) {
    for (const name of Object.keys(node.attrs)) {
      if (!name.startsWith("_") && !fields.has(name)) {
        throw new InvalidAttrError({
          node: node.name,
          op: node.op,
          attr: name,
          what: `unexpected attr (the converter for ${node.op} handles ${[...fields].join(", ") || "none"}) at ${where}`
        })
      }
    }
  }
  const attrs = withDefaultAttrs(node.op, node.attrs, fields)
  const plain: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(attrs)) {
    if (!k.startsWith("_") && (!fields || fields.has(k))) plain[k] = plainAttr(v)
  }
  const result = Schema.decodeUnknownResult(schema)(plain)
  if (Result.isFailure(result)) {
    throw new InvalidAttrError({ node: node.name, op: node.op, attr: "", what: `${result.failure.message} at ${where}` })
  }
  return result.success
}

/** Whether TensorFlow knows op `op` (so its attrs have defaults and outputs are described). */
export const isTfOp = (op: string): boolean => tfOpSignature(op) !== undefined

/** A DType-valued attr from raw attrs (helpers for converters that inspect attrs at build time). */
export const rawType = (attrs: NodeDef["attrs"], name: string): DType | undefined => {
  const a = attrs[name]
  return a?.kind === "type" ? a.value : undefined
}
