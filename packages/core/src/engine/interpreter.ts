/**
 * Runs a plan on values (DESIGN §7). Every value is handed to its consumers with exactly the
 * references they need — the last consumer gets the array itself, earlier ones `.ref`s — and
 * whatever is left when the run ends (normally nothing; after an error, the intermediates) is
 * released in a `finally`.
 *
 * @since 0.1.0
 */
import { ConversionError, StaticValueRequiredError } from "../errors.js"
import type { HostTensor } from "../HostTensor.js"
import type { ValueRef } from "./body.js"
import type { TfConfig } from "./Config.js"
import type { CallableFunction, Input, InputMode, OpContext, ParamStore } from "./OpConverter.js"
import type { Plan, PlannedNode } from "./plan.js"
import { inputMode } from "./plan.js"
import type { JaxArray, Value } from "./Value.js"
import { arrayValue, disposeValue, hostToArray, refValue } from "./Value.js"

/** What a run needs besides its arguments. */
export interface Runtime {
  readonly config: TfConfig
  readonly params: ParamStore
  readonly plans: ReadonlyMap<string, Plan>
  /** Splits a key into n keys (consumes it). */
  readonly splitKey: (key: JaxArray, n: number) => Array<JaxArray>
}

/** A slot holding a value and how many consumers it still has. */
interface Slot {
  value: Value | undefined
  remaining: number
}

const deref = (v: Value, params: ParamStore): Value => (v.kind === "resource" ? params.read(v.variable) : v)

/** Runs `plan` on `args` (consumed); returns its outputs (owned by the caller). */
export const runPlan = (plan: Plan, args: ReadonlyArray<Value>, rt: Runtime, rng?: JaxArray): Array<Value> => {
  const { body } = plan
  const argSlots: Array<Slot> = args.map((value, i) => ({ value, remaining: body.argUses[i] ?? 0 }))
  const nodeSlots: Array<Array<Slot>> = body.nodes.map(() => [])
  let keys: Array<JaxArray> = []
  try {
    if (args.length !== body.argNames.length) {
      throw new ConversionError({ where: body.name, what: `expected ${body.argNames.length} arguments, got ${args.length}` })
    }
    for (const s of argSlots) {
      if (s.remaining === 0 && s.value) {
        disposeValue(s.value)
        s.value = undefined
      }
    }
    if (plan.rngSlots > 0) {
      if (!rng) throw new ConversionError({ where: body.name, what: "a random key is required" })
      keys = plan.rngSlots === 1 ? [rng] : rt.splitKey(rng, plan.rngSlots)
      rng = undefined
    } else if (rng) {
      rng.dispose()
      rng = undefined
    }

    const slotOf = (r: ValueRef): Slot => ("arg" in r ? argSlots[r.arg]! : nodeSlots[r.node]![r.output]!)
    /** Takes one use of a value: the value itself at its last use, else a new reference. */
    const take = (r: ValueRef): Value => {
      const s = slotOf(r)
      if (!s.value) throw new ConversionError({ where: body.name, what: "internal: value used after release" })
      s.remaining--
      if (s.remaining > 0) return refValue(s.value)
      const v = s.value
      s.value = undefined
      return v
    }
    /** Gives up one use without consuming it; `inspect` sees the value before it may be released. */
    const release = <T>(r: ValueRef, inspect: (v: Value) => T): T => {
      const s = slotOf(r)
      const v = s.value!
      const result = inspect(v)
      s.remaining--
      if (s.remaining === 0) {
        disposeValue(v)
        s.value = undefined
      }
      return result
    }

    for (const [i, node] of plan.nodes.entries()) {
      const outputs = runNode(plan, node, rt, take, release, keys[node.rngSlot])
      if (node.rngSlot >= 0) keys[node.rngSlot] = undefined as unknown as JaxArray
      const uses = body.nodeUses[i]!
      if (outputs.length < uses.length) {
        outputs.forEach(disposeValue)
        throw new ConversionError({ where: node.where, what: `produced ${outputs.length} outputs, ${uses.length} are used` })
      }
      nodeSlots[i] = outputs.map((value, k) => {
        const remaining = uses[k] ?? 0
        if (remaining === 0) {
          disposeValue(value)
          return { value: undefined, remaining }
        }
        return { value, remaining }
      })
    }
    return body.outputs.map(take)
  } finally {
    for (const s of argSlots) if (s.value) disposeValue(s.value)
    for (const outs of nodeSlots) for (const s of outs) if (s.value) disposeValue(s.value)
    for (const k of keys) k?.dispose()
    rng?.dispose()
  }
}

/** Prepares a node's inputs by mode, runs it, and returns its outputs. */
const runNode = (
  plan: Plan,
  node: PlannedNode,
  rt: Runtime,
  take: (r: ValueRef) => Value,
  release: <T>(r: ValueRef, inspect: (v: Value) => T) => T,
  key: JaxArray | undefined
): Array<Value> => {
  // Regular inputs, then the extra values the converter asked for (`undefined`: not available).
  const refs: ReadonlyArray<ValueRef | undefined> = node.extraInputs ? [...node.inputs, ...node.extraInputs] : node.inputs
  const n = refs.length
  const prepared: Array<Input> = []
  const owned: Array<Value> = []
  const requireStatic = (index: number, what: string): never => {
    throw new StaticValueRequiredError({ node: node.def.name, op: node.def.op, input: String(index), what })
  }
  try {
    for (let i = 0; i < n; i++) {
      const ref = refs[i]
      if (ref === undefined) {
        prepared.push(undefined)
        continue
      }
      const mode: InputMode = inputMode(node.converter, i, n)
      switch (mode) {
        case "ignore":
          release(ref, () => undefined)
          prepared.push(undefined)
          break
        case "meta": {
          const meta = release(ref, (v) => {
            if (v.kind === "static") return { dtype: v.tensor.dtype, shape: v.tensor.shape }
            if (v.kind === "array") return { dtype: v.dtype, shape: v.array.shape }
            if (v.kind === "resource") {
              const d = rt.params.read(v.variable)
              const m = d.kind === "static" ? { dtype: d.tensor.dtype, shape: d.tensor.shape } : d.kind === "array" ? { dtype: d.dtype, shape: d.array.shape } : undefined
              disposeValue(d)
              return m
            }
            return undefined
          })
          if (!meta) throw new ConversionError({ where: node.where, what: `input ${i} has no shape` })
          prepared.push(meta)
          break
        }
        case "resource": {
          const v = take(ref)
          if (v.kind !== "resource") {
            owned.push(v)
            throw new ConversionError({ where: node.where, what: `input ${i} must be a variable handle, got a ${v.kind} value` })
          }
          prepared.push(v)
          break
        }
        case "raw": {
          const v = take(ref)
          owned.push(v)
          prepared.push(v)
          break
        }
        default: {
          const raw = take(ref)
          const v = deref(raw, rt.params)
          owned.push(v)
          if (mode === "static") {
            if (v.kind !== "static") requireStatic(i, "its value must be known when converting (it depends on a traced input)")
            prepared.push((v as { tensor: HostTensor }).tensor)
          } else if (mode === "array") {
            if (v.kind === "static") prepared.push(hostToArray(v.tensor, node.where))
            else if (v.kind === "array") prepared.push(v.array)
            else throw new ConversionError({ where: node.where, what: `input ${i} is a ${v.kind} value, not a tensor` })
          } else prepared.push(v)
        }
      }
    }
  } catch (e) {
    owned.forEach(disposeValue)
    throw e
  }
  // From here on the converter owns its inputs.
  // Values the converter does not take over (resources, statics) need no release.
  const ctx: OpContext = {
    node: node.def,
    where: node.where,
    config: rt.config,
    rng: () => {
      if (!key) throw new ConversionError({ where: node.where, what: "this op was not planned as random" })
      const k = key
      key = undefined
      return k
    },
    params: rt.params,
    fn: (name) => callable(name, rt, node.where),
    requireStatic,
    rawAttrs: node.def.attrs
  }
  try {
    if (!node.converter) {
      // A library function used directly as an op.
      return ctx.fn(node.def.op).call(prepared as Array<Value>, node.rngSlot >= 0 ? ctx.rng() : undefined)
    }
    const out = node.converter.run(ctx, prepared, node.attrs)
    return Array.isArray(out) ? [...out] : [out as Value]
  } finally {
    key?.dispose()
  }
}

/** A library function as a callable sharing this run's parameters. */
const callable = (name: string, rt: Runtime, where: string): CallableFunction => {
  const plan = rt.plans.get(name)
  if (!plan) throw new ConversionError({ where, what: `function ${name} was not planned` })
  return {
    name,
    inputCount: plan.body.argNames.length,
    outputCount: plan.body.outputs.length,
    needsRng: plan.needsRng,
    call: (inputs, rng) => runPlan(plan, inputs, rt, rng)
  }
}

/** Wraps a jax-js array result with its TF dtype (for converters). */
export const out = arrayValue
