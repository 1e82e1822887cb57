/**
 * Planning a conversion (DESIGN §3, steps 1–4): collect the function and every library
 * function it reaches, resolve every node's op in the registry — failing once with all
 * unsupported ops —, decode and validate attrs, and work out which functions need random keys.
 *
 * @since 0.1.0
 */
import { ConversionError, UnsupportedOpsError } from "../errors.js"
import type { UnsupportedOp } from "../errors.js"
import type { FunctionLibrary, NodeDef } from "../graph/ir.js"
import { referencedFunctions } from "../graph/ir.js"
import { decodeAttrs } from "./attrs.js"
import type { Body, BodyNode } from "./body.js"
import { functionBody } from "./body.js"
import type { TfConfig } from "./Config.js"
import type { InputMode, OpConverter } from "./OpConverter.js"
import type { OpRegistryShape } from "./OpRegistry.js"

/** A node with its converter and decoded attrs. */
export interface PlannedNode extends BodyNode {
  /** `undefined` for calls of library functions used as ops. */
  readonly converter: OpConverter<unknown> | undefined
  readonly attrs: unknown
  readonly where: string
  /** Library functions the node calls. */
  readonly calls: ReadonlyArray<string>
  /** Index of this node's random key among its body's keys, or -1. */
  readonly rngSlot: number
}

export interface Plan {
  readonly body: Body
  readonly nodes: ReadonlyArray<PlannedNode>
  /** Keys to split the incoming key into: one per random node or rng-needing call. */
  readonly rngSlots: number
  readonly needsRng: boolean
  /** Names of random nodes reachable from here (for MissingRngKeyError). */
  readonly randomNodes: ReadonlyArray<string>
}

export interface Planner {
  readonly registry: OpRegistryShape
  readonly library: FunctionLibrary
  readonly config: TfConfig
  /** Plans of library functions by name (built on demand). */
  readonly functions: Map<string, Plan>
}

/** The input mode of input `i` of `n` for a converter. */
export const inputMode = (c: OpConverter<unknown> | undefined, i: number, n: number): InputMode => {
  if (!c) return "raw"
  const m = c.inputs
  return typeof m === "string" ? m : typeof m === "function" ? m(i, n) : (m[i] ?? "value")
}

const whereOf = (node: NodeDef, body: string): string =>
  `node "${node.name}" (${node.op})${body === "graph" ? "" : ` in ${body}`}`

/**
 * Every op reachable from `body` (following function references through the library) that has
 * no converter, most frequent first.
 */
export const unsupportedOps = (registry: OpRegistryShape, library: FunctionLibrary, body: Body): Array<UnsupportedOp> => {
  const missing = new Map<string, { count: number; node: string; fn: string }>()
  const seenFns = new Set<string>()
  const visit = (nodes: ReadonlyArray<NodeDef>, fnName: string) => {
    for (const n of nodes) {
      if (!library.functions.has(n.op) && !registry.get(n.op)) {
        const m = missing.get(n.op)
        if (m) m.count++
        else missing.set(n.op, { count: 1, node: n.name, fn: fnName })
      }
    }
    const callees = [...referencedFunctions(nodes), ...nodes.map((n) => n.op)]
    for (const f of callees) {
      const fn = library.functions.get(f)
      if (fn && !seenFns.has(f)) {
        seenFns.add(f)
        visit(fn.nodes, f)
      }
    }
  }
  visit(body.nodes.map((b) => b.def), body.name === "graph" ? "" : body.name)
  return [...missing]
    .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
    .map(([op, m]) => ({ op, count: m.count, exampleNode: m.node, exampleFunction: m.fn }))
}

/** Throws one `UnsupportedOpsError` listing every unsupported op reachable from `body`. */
export const checkSupported = (registry: OpRegistryShape, library: FunctionLibrary, body: Body): void => {
  const ops = unsupportedOps(registry, library, body)
  if (ops.length > 0) throw new UnsupportedOpsError({ ops })
}

/** Plans a body whose ops are all supported (see `checkSupported`). */
export const planBody = (planner: Planner, body: Body, stack: ReadonlyArray<string> = []): Plan => {
  let slots = 0
  const randomNodes: Array<string> = []
  const nodes: Array<PlannedNode> = body.nodes.map((b) => {
    const where = whereOf(b.def, body.name)
    const isCall = planner.library.functions.has(b.def.op)
    const converter = isCall ? undefined : planner.registry.get(b.def.op)
    if (!isCall && !converter) throw new ConversionError({ where, what: `no converter for op ${b.def.op}` })
    const attrs = converter ? decodeAttrs(b.def, converter.attrs, where) : b.def.attrs
    converter?.check?.(attrs, { node: b.def, where, config: planner.config, library: planner.library })
    const calls = isCall ? [b.def.op] : (converter?.calls?.(attrs, b.def) ?? [])
    let needsKey = converter?.random === true
    if (converter?.random) randomNodes.push(b.def.name)
    for (const f of calls) {
      const callee = functionPlan(planner, f, [...stack, body.name], where)
      if (callee.needsRng) {
        needsKey = true
        randomNodes.push(...callee.randomNodes)
      }
    }
    return { ...b, converter, attrs, where, calls, rngSlot: needsKey ? slots++ : -1 }
  })
  return { body, nodes, rngSlots: slots, needsRng: slots > 0, randomNodes }
}

/** The plan of a library function (memoised; recursion is an error, as in TensorFlow). */
export const functionPlan = (planner: Planner, name: string, stack: ReadonlyArray<string>, where: string): Plan => {
  const done = planner.functions.get(name)
  if (done) return done
  if (stack.includes(name)) throw new ConversionError({ where, what: `function ${name} calls itself` })
  const fn = planner.library.functions.get(name)
  if (!fn) throw new ConversionError({ where, what: `function ${name} is not in the library` })
  const body = functionBody(fn, planner.library, (op) => planner.registry.get(op)?.outputs)
  const plan = planBody(planner, body, stack)
  planner.functions.set(name, plan)
  return plan
}
