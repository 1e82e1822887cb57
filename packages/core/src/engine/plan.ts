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
import { parseTensorRef, referencedFunctions } from "../graph/ir.js"
import type { Capture } from "../model/TfModel.js"
import { decodeAttrs } from "./attrs.js"
import type { Body, BodyNode, ValueRef } from "./body.js"
import { functionBody } from "./body.js"
import type { TfConfig } from "./Config.js"
import type { BuildContext, InputMode, OpConverter } from "./OpConverter.js"
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
  /**
   * Values the converter asked for besides the inputs (`OpConverter.extraInputs`), passed after
   * them; `undefined` for one that is not computed before this node.
   */
  readonly extraInputs?: ReadonlyArray<ValueRef | undefined>
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
  /** Bound inputs of the model's concrete functions, by function name (TF2 SavedModels). */
  readonly captures?: ReadonlyMap<string, ReadonlyArray<Capture>>
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

/**
 * A tensor of `body` named graph-style (an argument name, or "node:k" for flat output k) as a
 * value reference, if it is computed before node `before`.
 */
const localRef = (body: Body, before: number, name: string): ValueRef | undefined => {
  const ref = parseTensorRef(name)
  if (ref.kind !== "output") return undefined
  const arg = body.argNames.findIndex((a) => {
    const r = parseTensorRef(a)
    return r.kind === "output" && r.node === ref.node && r.index === ref.index
  })
  if (arg >= 0) return { arg }
  const node = body.nodes.findIndex((n) => n.def.name === ref.node)
  return node >= 0 && node < before ? { node, output: ref.index } : undefined
}

/** Plans a body whose ops are all supported (see `checkSupported`). */
export const planBody = (planner: Planner, body: Body, stack: ReadonlyArray<string> = []): Plan => {
  let slots = 0
  const randomNodes: Array<string> = []
  const extraUses: Array<ValueRef> = []
  const nodes: Array<PlannedNode> = body.nodes.map((b, index) => {
    const where = whereOf(b.def, body.name)
    const isCall = planner.library.functions.has(b.def.op)
    const converter = isCall ? undefined : planner.registry.get(b.def.op)
    if (!isCall && !converter) throw new ConversionError({ where, what: `no converter for op ${b.def.op}` })
    const attrs = converter ? decodeAttrs(b.def, converter.attrs, where) : b.def.attrs
    const ctx: BuildContext = {
      node: b.def,
      where,
      config: planner.config,
      library: planner.library,
      functionName: body.name,
      captures: (fn) => planner.captures?.get(fn)
    }
    converter?.check?.(attrs, ctx)
    const calls = isCall ? [b.def.op] : (converter?.calls?.(attrs, b.def, ctx) ?? [])
    let needsKey = converter?.random === true
    if (converter?.random) randomNodes.push(b.def.name)
    for (const f of calls) {
      const callee = functionPlan(planner, f, [...stack, body.name], where)
      if (callee.needsRng) {
        needsKey = true
        randomNodes.push(...callee.randomNodes)
      }
    }
    const extraNames = converter?.extraInputs?.(attrs, ctx) ?? []
    const planned: PlannedNode = { ...b, converter, attrs, where, calls, rngSlot: needsKey ? slots++ : -1 }
    if (extraNames.length === 0) return planned
    const extraInputs = extraNames.map((name) => localRef(body, index, name))
    for (const r of extraInputs) if (r) extraUses.push(r)
    return { ...planned, extraInputs }
  })
  return { body: extraUses.length === 0 ? body : withExtraUses(body, extraUses), nodes, rngSlots: slots, needsRng: slots > 0, randomNodes }
}

/** `body` with its use counts raised by the extra inputs' uses. */
const withExtraUses = (body: Body, uses: ReadonlyArray<ValueRef>): Body => {
  const nodeUses = body.nodeUses.map((u) => [...u])
  const argUses = [...body.argUses]
  for (const r of uses) {
    if ("arg" in r) argUses[r.arg] = (argUses[r.arg] ?? 0) + 1
    else {
      const u = nodeUses[r.node]!
      while (u.length <= r.output) u.push(0)
      u[r.output]!++
    }
  }
  const nodes = body.nodes.map((n, i) => (nodeUses[i]!.length > n.outputCount ? { ...n, outputCount: nodeUses[i]!.length } : n))
  return { ...body, nodes, nodeUses, argUses }
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
