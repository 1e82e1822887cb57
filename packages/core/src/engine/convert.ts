/**
 * The conversion API (Effect form): `convert`, `convertFunctional`, `convertFromRestored`,
 * `convertFunctionalFromRestored`. Each plans the function once and returns a plain, synchronous
 * jax-js function — composable with `jit`, `grad`, `vmap`, `jvp` — that consumes its arguments
 * and returns arrays the caller owns (jax-js conventions).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { DType } from "../dtype.js"
import {
  ConversionError,
  DtypeMismatchError,
  IncompatibleOpPackError,
  InvalidAttrError,
  MissingInputError,
  MissingRngKeyError,
  ShapeMismatchError,
  StaticValueRequiredError,
  UnsupportedDtypeError,
  UnsupportedOpsError
} from "../errors.js"
import { formatShape } from "../HostTensor.js"
import type { Shape } from "../graph/ir.js"
import type { Capture, Structure } from "../model/TfModel.js"
import { flattenStructure } from "../formats/savedModel/structure.js"
import { ConfigOverrides, currentGlobalConfig } from "./Config.js"
import type { TfConfig } from "./Config.js"
import type { Runtime } from "./interpreter.js"
import { runPlan } from "./interpreter.js"
import type { ParamStore } from "./OpConverter.js"
import { OpRegistry } from "./OpRegistry.js"
import type { Plan, Planner } from "./plan.js"
import { checkSupported, planBody, unsupportedOps } from "./plan.js"
import { Prng } from "./Prng.js"
import type { Convertible, Target } from "./target.js"
import { modelOf, targetOf } from "./target.js"
import type { JaxArray, Value } from "./Value.js"
import { arrayValue, disposeValue, hostToArray, jaxDtypeOf, refValue } from "./Value.js"

/** Inputs of a converted function: by key, by position, or a lone array for a one-input function. */
export type Inputs = Readonly<Record<string, JaxArray>> | ReadonlyArray<JaxArray> | JaxArray
/** Parameters (variables) by name. */
export type Params = Readonly<Record<string, JaxArray>>
/** Outputs: a record keyed like the signature's outputs, or the function's output structure. */
export type Outputs = any

export interface CallOptions {
  /** A jax-js PRNG key; required when `requiresRng`. */
  readonly rng?: JaxArray
}

/** A parameter's description. */
export interface ParamSpec {
  readonly dtype: DType
  readonly shape: ReadonlyArray<number>
  readonly trainable: boolean
}

/** What a converted function expects and returns. */
export interface FunctionSpecs {
  readonly functionName: string
  readonly inputSpecs: ReadonlyArray<{ readonly key: string; readonly dtype: DType | undefined; readonly shape: Shape }>
  readonly outputKeys: ReadonlyArray<string>
  readonly paramSpecs: Readonly<Record<string, ParamSpec>>
  /** Whether calls need `{ rng }` (a random op is reachable). */
  readonly requiresRng: boolean
}

/** `fn(params, inputs, { rng }) → [outputs, newParams]` (convert / convertFromRestored). */
export interface ConvertedFunction extends FunctionSpecs {
  (params: Params, inputs: Inputs, options?: CallOptions): [Outputs, Record<string, JaxArray>]
}

/** `fn(inputs, { rng }) → outputs` (convertFunctional / convertFunctionalFromRestored). */
export interface ConvertedFunctional extends FunctionSpecs {
  (inputs: Inputs, options?: CallOptions): Outputs
}

/** Every error conversion can fail with. */
export type ConvertError =
  | UnsupportedOpsError
  | InvalidAttrError
  | ConversionError
  | UnsupportedDtypeError
  | StaticValueRequiredError
  | IncompatibleOpPackError

/** An example input fixing a traced shape: an array, or a `{ shape, dtype }` spec. */
export type ExampleInput = JaxArray | { readonly shape: ReadonlyArray<number>; readonly dtype?: DType }

const isArray = (x: unknown): x is JaxArray =>
  typeof x === "object" && x !== null && "shape" in x && "dtype" in x && typeof (x as { dispose?: unknown }).dispose === "function"

/** Applies example inputs (positional, or one record by key) to the input specs. */
const refineInputs = (target: Target, examples: ReadonlyArray<ExampleInput | Record<string, ExampleInput>>): Target => {
  if (examples.length === 0) return target
  const byKey: Record<string, ExampleInput> =
    examples.length === 1 && !isArray(examples[0]) && !("shape" in (examples[0] as object))
      ? (examples[0] as Record<string, ExampleInput>)
      : Object.fromEntries(target.inputs.map((i, k) => [i.key, examples[k] as ExampleInput]))
  return {
    ...target,
    inputs: target.inputs.map((i) => {
      const e = byKey[i.key]
      if (!e) return i
      return { key: i.key, spec: { ...i.spec, shape: [...e.shape], dtype: i.spec.dtype ?? (e.dtype as DType | undefined) } }
    })
  }
}

const shapeMatches = (expected: Shape, actual: ReadonlyArray<number>): boolean =>
  expected === null || (expected.length === actual.length && expected.every((d, i) => d < 0 || d === actual[i]))

/** Collects every array reachable in an argument (to release them if the call is refused). */
const arraysIn = (x: unknown): Array<JaxArray> =>
  isArray(x) ? [x] : typeof x === "object" && x !== null ? Object.values(x).flatMap(arraysIn) : []

/** Binds user inputs to the target's inputs (by key, by position, or a single array). */
const bindInputs = (target: Target, inputs: Inputs): Array<JaxArray> => {
  const keys = target.inputs.map((i) => i.key)
  let bound: Array<JaxArray | undefined>
  if (isArray(inputs)) {
    bound = keys.length === 1 ? [inputs] : [inputs, ...new Array<undefined>(Math.max(0, keys.length - 1))]
  } else if (Array.isArray(inputs)) bound = keys.map((_, k) => (inputs as ReadonlyArray<JaxArray>)[k])
  else bound = keys.map((k) => (inputs as Record<string, JaxArray>)[k])
  const missing = keys.filter((_, k) => !bound[k])
  if (missing.length > 0) {
    throw new MissingInputError({
      missing,
      expected: `{ ${target.inputs.map((i) => `${i.key}: ${i.spec.dtype ?? "?"}${formatShape(i.spec.shape)}`).join(", ")} }`
    })
  }
  return bound as Array<JaxArray>
}

const checkInputs = (target: Target, arrays: ReadonlyArray<JaxArray>, config: TfConfig): void => {
  target.inputs.forEach((input, k) => {
    const a = arrays[k]!
    if (config.strictShapeCheck && !shapeMatches(input.spec.shape, a.shape)) {
      throw new ShapeMismatchError({ input: input.key, expected: formatShape(input.spec.shape), actual: formatShape(a.shape) })
    }
    if (config.strictDtypeCheck && input.spec.dtype !== undefined) {
      const want = jaxDtypeOf(input.spec.dtype, `input "${input.key}"`)
      if (a.dtype !== want) {
        throw new DtypeMismatchError({ input: input.key, expected: `${input.spec.dtype} (jax-js ${want})`, actual: String(a.dtype) })
      }
    }
  })
}

const captureValue = (c: Capture, where: string): Value => {
  switch (c.kind) {
    case "variable":
      return { kind: "resource", variable: c.variable, dtype: undefined }
    case "constant":
      return { kind: "static", tensor: c.value }
    case "asset":
      return { kind: "static", tensor: { dtype: "string", shape: [], data: [new TextEncoder().encode(c.asset)] } }
    case "captured-tensor":
      throw new ConversionError({ where, what: `captures tensor ${c.tensor} of ${c.function} (only gradient functions do)` })
    case "resource":
      throw new ConversionError({ where, what: "captures a resource (hash tables and similar are not supported)" })
  }
}

/** A parameter store over the call's params (consumed) and how graph variable nodes map to them. */
const makeParamStore = (target: Target, params: Record<string, Value>): ParamStore & { drain: () => Record<string, JaxArray>; dispose: () => void } => {
  const values = new Map(Object.entries(params))
  const where = target.name
  return {
    has: (name) => values.has(name),
    read: (name) => {
      const v = values.get(name)
      if (!v) throw new MissingInputError({ missing: [name], expected: `params ${Object.keys(target.variables).join(", ")}` })
      return refValue(v)
    },
    write: (name, value) => {
      const old = values.get(name)
      if (old) disposeValue(old)
      values.set(name, value)
    },
    dtype: (name) => target.variables[name]?.dtype,
    forNode: (node, shared) => target.variableNodes.get(node) ?? (shared !== undefined && shared in target.variables ? shared : undefined),
    drain: () => {
      const out: Record<string, JaxArray> = {}
      for (const [k, v] of values) {
        out[k] = v.kind === "array" ? v.array : v.kind === "static" ? hostToArray(v.tensor, where) : (() => {
          throw new ConversionError({ where, what: `parameter ${k} holds a ${v.kind} value` })
        })()
      }
      values.clear()
      return out
    },
    dispose: () => {
      for (const v of values.values()) disposeValue(v)
      values.clear()
    }
  }
}

/** Arranges flat output values as the target says (arrays owned by the caller). */
const shapeOutputs = (target: Target, outs: Array<Value>, params: ParamStore): Outputs => {
  const arrays = outs.map((v, k): JaxArray | null => {
    const d = v.kind === "resource" ? params.read(v.variable) : v
    if (d.kind === "array") return d.array
    if (d.kind === "static") {
      if (d.tensor.dtype === "string") {
        throw new UnsupportedDtypeError({ dtype: "string", where: `${target.name} output ${k}`, what: "string outputs cannot be jax-js arrays" })
      }
      return hostToArray(d.tensor, `${target.name} output ${k}`)
    }
    throw new ConversionError({ where: target.name, what: `output ${k} is a ${d.kind} value` })
  })
  if (target.outputs.kind === "record") return Object.fromEntries(target.outputs.keys.map((k, i) => [k, arrays[i]]))
  let next = 0
  const build = (s: Structure): unknown => {
    switch (s.kind) {
      case "tensor":
        return arrays[next++]
      case "list":
      case "tuple":
        return s.items.map(build)
      case "dict":
      case "named-tuple":
        return Object.fromEntries(Object.keys(s.fields).sort().map((k) => [k, build(s.fields[k]!)]))
      case "none":
        return null
      case "literal":
        return typeof s.value === "bigint" ? Number(s.value) : s.value
      default:
        return null
    }
  }
  return build(target.outputs.structure)
}

interface Prepared {
  readonly target: Target
  readonly plan: Plan
  readonly plans: ReadonlyMap<string, Plan>
  readonly overrides: Partial<TfConfig>
  readonly split: (key: JaxArray, n: number) => Array<JaxArray>
}

/** Resolves, checks and plans a convertible. */
const prepare = (c: Convertible, examples: ReadonlyArray<ExampleInput | Record<string, ExampleInput>>) =>
  Effect.gen(function* () {
    const registry = yield* OpRegistry
    const prng = yield* Prng
    const overrides = yield* ConfigOverrides
    const config = { ...currentGlobalConfig(), ...overrides }
    return yield* Effect.try({
      try: (): Prepared => {
        const target = refineInputs(targetOf(c, (op) => registry.get(op)?.outputs), examples)
        checkSupported(registry, target.library, target.body)
        const captures = new Map(Object.values(modelOf(c)?.concreteFunctions ?? {}).map((f) => [f.name, f.captures] as const))
        const planner: Planner = { registry, library: target.library, config, functions: new Map(), captures }
        const plan = planBody(planner, target.body)
        return { target, plan, plans: planner.functions, overrides, split: prng.split }
      },
      catch: (e) => {
        if (
          e instanceof UnsupportedOpsError ||
          e instanceof InvalidAttrError ||
          e instanceof ConversionError ||
          e instanceof UnsupportedDtypeError ||
          e instanceof StaticValueRequiredError
        ) return e
        return new ConversionError({ where: "conversion", what: e instanceof Error ? e.message : String(e) })
      }
    })
  })

const specsOf = (p: Prepared): FunctionSpecs => ({
  functionName: p.target.name,
  inputSpecs: p.target.inputs.map((i) => ({ key: i.key, dtype: i.spec.dtype, shape: i.spec.shape })),
  outputKeys:
    p.target.outputs.kind === "record" ? p.target.outputs.keys : flattenStructure(p.target.outputs.structure).map((x) => x.path),
  paramSpecs: Object.fromEntries(
    Object.values(p.target.variables).map((v) => [v.name, { dtype: v.dtype, shape: v.shape, trainable: v.trainable }])
  ),
  requiresRng: p.plan.needsRng
})

/** Builds the plain function for a prepared target. */
const makeFunction = (p: Prepared): ConvertedFunction => {
  const { target, plan } = p
  const fn = (params: Params, inputs: Inputs, options?: CallOptions): [Outputs, Record<string, JaxArray>] => {
    const config = { ...currentGlobalConfig(), ...p.overrides }
    const received = [...arraysIn(params), ...arraysIn(inputs), ...(options?.rng ? [options.rng] : [])]
    let arrays: Array<JaxArray>
    try {
      if (plan.needsRng && !options?.rng) throw new MissingRngKeyError({ function: target.name, randomNodes: [...plan.randomNodes] })
      arrays = bindInputs(target, inputs)
      checkInputs(target, arrays, config)
      const missing = Object.keys(target.variables).filter((k) => !params[k])
      if (missing.length > 0) throw new MissingInputError({ missing, expected: `params ${Object.keys(target.variables).join(", ")}` })
    } catch (e) {
      for (const a of received) a.dispose()
      throw e
    }
    const store = makeParamStore(
      target,
      Object.fromEntries(Object.entries(params).map(([k, a]) => [k, arrayValue(a, target.variables[k]?.dtype ?? dtypeOfArray(a))]))
    )
    const bound = new Set(arrays)
    for (const a of arraysIn(inputs)) if (!bound.has(a)) a.dispose()
    try {
      const args: Array<Value> = [
        ...arrays.map((a, k) => arrayValue(a, target.inputs[k]!.spec.dtype ?? dtypeOfArray(a))),
        ...target.captures.map((c) => captureValue(c, target.name))
      ]
      const rt: Runtime = { config, params: store, plans: p.plans, splitKey: p.split }
      const outs = runPlan(plan, args, rt, plan.needsRng ? options?.rng : (options?.rng?.dispose(), undefined))
      const outputs = shapeOutputs(target, outs, store)
      return [outputs, store.drain()]
    } finally {
      store.dispose()
    }
  }
  return Object.assign(fn, specsOf(p))
}

const dtypeOfArray = (a: JaxArray): DType => {
  const d = String(a.dtype)
  return d === "float16" ? "float16" : (d as DType)
}

const functional = (p: Prepared): ConvertedFunctional => {
  if (Object.keys(p.target.variables).length > 0) {
    throw new ConversionError({
      where: p.target.name,
      what: `captures variables (${Object.keys(p.target.variables).join(", ")}); use convert/convertFromRestored, which take params`
    })
  }
  const f = makeFunction(p)
  const fn = (inputs: Inputs, options?: CallOptions) => f({}, inputs, options)[0]
  return Object.assign(fn, specsOf(p))
}

/** Initial parameter arrays (caller-owned) for a prepared target. */
const initialParams = (p: Prepared): Record<string, JaxArray> =>
  Object.fromEntries(Object.values(p.target.variables).map((v) => [v.name, hostToArray(v.value, `variable ${v.name}`)]))

/**
 * The ops reachable from a convertible that no registered converter handles (empty when it
 * can be converted as far as op coverage goes).
 */
export const findUnsupportedOps = (target: Convertible) =>
  Effect.gen(function* () {
    const registry = yield* OpRegistry
    return yield* Effect.try({
      try: () => {
        const t = targetOf(target, (op) => registry.get(op)?.outputs)
        return unsupportedOps(registry, t.library, t.body)
      },
      catch: (e) => (e instanceof ConversionError ? e : new ConversionError({ where: "check", what: e instanceof Error ? e.message : String(e) }))
    })
  })

/**
 * Converts a function for calling with params: `{ fn, params }` with
 * `fn(params, inputs, { rng }) → [outputs, newParams]` (tf2jax's `convert`). Example inputs fix
 * the traced input shapes (checked when `strictShapeCheck` is on).
 */
export const convert = (target: Convertible, ...exampleInputs: ReadonlyArray<ExampleInput | Record<string, ExampleInput>>) =>
  Effect.map(prepare(target, exampleInputs), (p) => ({ fn: makeFunction(p), params: initialParams(p) }))

/** Converts a function that captures no variables: `fn(inputs, { rng }) → outputs`. */
export const convertFunctional = (target: Convertible, ...exampleInputs: ReadonlyArray<ExampleInput | Record<string, ExampleInput>>) =>
  Effect.flatMap(prepare(target, exampleInputs), (p) => Effect.try({ try: () => functional(p), catch: (e) => e as ConversionError }))

/** Converts a restored signature/function with its own specs; returns the function and its params. */
export const convertFromRestored = (target: Convertible) =>
  Effect.map(prepare(target, []), (p) => ({ fn: makeFunction(p), params: initialParams(p) }))

/** Converts a restored signature/function that captures no variables. */
export const convertFunctionalFromRestored = (target: Convertible) =>
  Effect.flatMap(prepare(target, []), (p) => Effect.try({ try: () => functional(p), catch: (e) => e as ConversionError }))
