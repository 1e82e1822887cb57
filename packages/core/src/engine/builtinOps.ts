/**
 * Ops the engine itself needs, always registered first: graph plumbing (Const, Placeholder,
 * Identity, NoOp …) and variables (handles, reads, assignments), which live in the call's
 * parameter store.
 *
 * @since 0.1.0
 */
import { numpy as np } from "@jax-js/jax"
import { Schema } from "effect"
import { ConversionError, MissingInputError } from "../errors.js"
import { Attr } from "./attrs.js"
import type { Input, OpContext } from "./OpConverter.js"
import { CORE_CONTRACT_VERSION, defineOp, definePack } from "./OpConverter.js"
import type { Value } from "./Value.js"
import { arrayValue, disposeValue, hostToArray, toArray } from "./Value.js"

const constOp = defineOp({
  ops: ["Const"],
  attrs: Schema.Struct({ value: Attr.tensor, dtype: Attr.type }),
  inputs: "ignore",
  run: (_ctx, _inputs, a): Value => ({ kind: "static", tensor: a.value })
})

const placeholder = defineOp({
  ops: ["Placeholder"],
  attrs: Schema.Struct({ dtype: Attr.type, shape: Schema.optionalKey(Attr.shape) }),
  inputs: "ignore",
  run: (ctx) => {
    throw new MissingInputError({ missing: [ctx.node.name], expected: "a value for every placeholder the outputs depend on" })
  }
})

const passThrough = (_ctx: OpContext, inputs: ReadonlyArray<Input>): ReadonlyArray<Value> => inputs as ReadonlyArray<Value>

const placeholderWithDefault = defineOp({
  ops: ["PlaceholderWithDefault"],
  attrs: Schema.Struct({ dtype: Attr.type, shape: Attr.shape }),
  inputs: "value",
  run: passThrough
})

const identity = defineOp({
  ops: ["Identity", "Snapshot"],
  attrs: Schema.Struct({ T: Attr.type }),
  inputs: "value",
  run: passThrough
})

/** Without custom-gradient handling (the control pack adds it), IdentityN passes values through. */
const identityN = defineOp({
  ops: ["IdentityN"],
  attrs: Schema.Struct({ T: Attr.types }),
  inputs: "value",
  run: passThrough
})

const noOp = defineOp({
  ops: ["NoOp"],
  attrs: Schema.Struct({}),
  inputs: "ignore",
  run: () => []
})

/** `VarHandleOp` / `VariableV2` in a top-level graph: the handle of a model variable. */
const variableHandle = defineOp({
  ops: ["VarHandleOp", "VariableV2", "Variable"],
  attrs: Schema.Struct({
    dtype: Attr.type,
    shape: Attr.shape,
    container: Schema.optionalKey(Attr.string),
    shared_name: Schema.optionalKey(Attr.string),
    allowed_devices: Schema.optionalKey(Attr.strings),
    debug_name: Schema.optionalKey(Attr.string)
  }),
  inputs: "ignore",
  run: (ctx, _inputs, a): Value => {
    const name = ctx.params.forNode(ctx.node.name, a.shared_name)
    if (name === undefined) {
      throw new ConversionError({ where: ctx.where, what: "this variable has no value (it is not among the model's parameters)" })
    }
    return { kind: "resource", variable: name, dtype: a.dtype }
  }
})

const resourceOf = (ctx: OpContext, input: Input): string => {
  const v = input as Value
  if (v.kind !== "resource") throw new ConversionError({ where: ctx.where, what: "expected a variable handle" })
  return v.variable
}

const readVariable = defineOp({
  ops: ["ReadVariableOp"],
  attrs: Schema.Struct({ dtype: Attr.type }),
  inputs: ["resource"],
  run: (ctx, [handle]) => ctx.params.read(resourceOf(ctx, handle))
})

const isInitialized = defineOp({
  ops: ["VarIsInitializedOp", "IsVariableInitialized"],
  attrs: Schema.Struct({ dtype: Schema.optionalKey(Attr.type) }),
  inputs: ["resource"],
  run: (): Value => ({ kind: "static", tensor: { dtype: "bool", shape: [], data: new Uint8Array([1]) } })
})

/** Combines the current value with the assigned one (assign, add or subtract). */
const assign = (how: "set" | "add" | "sub", returnsValue: boolean) =>
  (ctx: OpContext, [handle, input]: ReadonlyArray<Input>): ReadonlyArray<Value> => {
    const name = resourceOf(ctx, handle)
    const value = input as Value
    const dtype = ctx.params.dtype(name) ?? (value.kind === "array" ? value.dtype : value.kind === "static" ? value.tensor.dtype : "float32")
    let next: Value
    if (how === "set") next = value
    else {
      const current = ctx.params.read(name)
      const a = current.kind === "array" ? current.array : current.kind === "static" ? hostToArray(current.tensor, ctx.where) : undefined
      const b = value.kind === "array" ? value.array : value.kind === "static" ? hostToArray(value.tensor, ctx.where) : undefined
      if (!a || !b) {
        if (a) a.dispose()
        disposeValue(current)
        throw new ConversionError({ where: ctx.where, what: "assigned value is not a tensor" })
      }
      next = arrayValue(how === "add" ? np.add(a, b) : np.subtract(a, b), dtype)
    }
    if (!returnsValue) {
      ctx.params.write(name, next)
      return []
    }
    ctx.params.write(name, next)
    return [ctx.params.read(name)]
  }

const assignResource = defineOp({
  ops: ["AssignVariableOp"],
  attrs: Schema.Struct({ dtype: Attr.type, validate_shape: Schema.optionalKey(Attr.bool) }),
  inputs: ["resource", "value"],
  run: assign("set", false)
})

const assignAddResource = defineOp({
  ops: ["AssignAddVariableOp"],
  attrs: Schema.Struct({ dtype: Attr.type }),
  inputs: ["resource", "value"],
  run: assign("add", false)
})

const assignSubResource = defineOp({
  ops: ["AssignSubVariableOp"],
  attrs: Schema.Struct({ dtype: Attr.type }),
  inputs: ["resource", "value"],
  run: assign("sub", false)
})

/** TF1 ref-variable assignments return the new value. */
const assignRef = defineOp({
  ops: ["Assign"],
  attrs: Schema.Struct({ T: Attr.type, validate_shape: Attr.bool, use_locking: Attr.bool }),
  inputs: ["resource", "value"],
  run: assign("set", true)
})

const assignAddRef = defineOp({
  ops: ["AssignAdd"],
  attrs: Schema.Struct({ T: Attr.type, use_locking: Attr.bool }),
  inputs: ["resource", "value"],
  run: assign("add", true)
})

const assignSubRef = defineOp({
  ops: ["AssignSub"],
  attrs: Schema.Struct({ T: Attr.type, use_locking: Attr.bool }),
  inputs: ["resource", "value"],
  run: assign("sub", true)
})

/** `var -= alpha · delta` (TF1 optimizers; the ref form returns the new value). */
const gradientDescent = (returnsValue: boolean) =>
  (ctx: OpContext, [handle, alpha, delta]: ReadonlyArray<Input>): ReadonlyArray<Value> => {
    const name = resourceOf(ctx, handle)
    const step = np.multiply(toArray(alpha as Value, ctx.where), toArray(delta as Value, ctx.where))
    return assign("sub", returnsValue)(ctx, [handle, arrayValue(step, ctx.params.dtype(name) ?? "float32")])
  }

const applyGradientDescent = defineOp({
  ops: ["ApplyGradientDescent"],
  attrs: Schema.Struct({ T: Attr.type, use_locking: Attr.bool }),
  inputs: ["resource", "value", "value"],
  run: gradientDescent(true)
})

const resourceApplyGradientDescent = defineOp({
  ops: ["ResourceApplyGradientDescent"],
  attrs: Schema.Struct({ T: Attr.type, use_locking: Attr.bool }),
  inputs: ["resource", "value", "value"],
  run: gradientDescent(false)
})

/** The ops every registry starts with. */
export const builtinPack = definePack({
  name: "@tf2jax/core/builtin",
  version: "0.1.0",
  contract: CORE_CONTRACT_VERSION,
  converters: [
    constOp,
    placeholder,
    placeholderWithDefault,
    identity,
    identityN,
    noOp,
    variableHandle,
    readVariable,
    isInitialized,
    assignResource,
    assignAddResource,
    assignSubResource,
    assignRef,
    assignAddRef,
    assignSubRef,
    applyGradientDescent,
    resourceApplyGradientDescent
  ]
})
