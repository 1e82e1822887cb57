/**
 * A graph body in executable form: the nodes a function needs, topologically sorted, each
 * input resolved to (producer, output index) or a function argument, with every value's use
 * count (so the interpreter can release it right after its last consumer, DESIGN §7).
 *
 * Two sources give bodies: library FunctionDefs (inputs like `node:out_arg:2`) and slices of a
 * top-level GraphDef between fed and fetched tensors (inputs like `node:2`).
 *
 * @since 0.1.0
 */
import { ConversionError } from "../errors.js"
import type { FunctionDef, FunctionLibrary, NodeDef } from "../graph/ir.js"
import { parseTensorRef } from "../graph/ir.js"
import type { OpArg, OutputSlot } from "../opdefs/opDefs.js"
import { outputLayout } from "../opdefs/opDefs.js"

/** Where a value comes from: output `output` of body node `node`, or argument `arg`. */
export type ValueRef = { readonly node: number; readonly output: number } | { readonly arg: number }

export interface BodyNode {
  readonly def: NodeDef
  readonly inputs: ReadonlyArray<ValueRef>
  /** Body nodes that must run before this one. */
  readonly after: ReadonlyArray<number>
  readonly outputCount: number
}

export interface Body {
  /** The function name, or "graph" for a top-level graph slice. */
  readonly name: string
  readonly argNames: ReadonlyArray<string>
  /** In execution order. */
  readonly nodes: ReadonlyArray<BodyNode>
  readonly outputs: ReadonlyArray<ValueRef>
  /** Use counts: `nodeUses[i][k]` for output k of node i, `argUses[a]` for argument a. */
  readonly nodeUses: ReadonlyArray<ReadonlyArray<number>>
  readonly argUses: ReadonlyArray<number>
}

/** Output layouts for ops TensorFlow does not register, from the converters. */
export type ExtraOutputs = (op: string) => ReadonlyArray<OpArg> | undefined

/** Unsorted nodes with unresolved string inputs, plus how to resolve a string. */
interface RawBody {
  readonly name: string
  readonly argNames: ReadonlyArray<string>
  readonly nodes: ReadonlyArray<NodeDef>
  /** Resolves an input string to an argument index or a (node name, flat output) pair. */
  readonly resolve: (input: string, where: string) => { arg: number } | { node: string; output: number }
  readonly outputs: ReadonlyArray<string>
  /** Nodes that must run even if no output depends on them (control outputs). */
  readonly roots: ReadonlyArray<string>
}

const fail = (where: string, what: string): never => {
  throw new ConversionError({ where, what })
}

/**
 * Sorts the nodes needed for `outputs` and `roots` (iteratively, so deep graphs cannot
 * overflow the stack) and counts uses. A cycle is an error: TF1 `NextIteration` loops need the
 * control-flow pack's frame rewriting first.
 */
const finish = (raw: RawBody): Body => {
  const byName = new Map<string, NodeDef>()
  for (const n of raw.nodes) {
    if (byName.has(n.name)) fail(raw.name, `two nodes are named "${n.name}"`)
    byName.set(n.name, n)
  }
  const order: Array<NodeDef> = []
  const state = new Map<string, 1 | 2>() // 1 = on the stack, 2 = done
  const deps = (n: NodeDef): Array<string> => {
    const out: Array<string> = []
    for (const input of n.inputs) {
      if (input.startsWith("^")) out.push(input.slice(1))
      else {
        const r = raw.resolve(input, `${raw.name} node "${n.name}"`)
        if ("node" in r) out.push(r.node)
      }
    }
    return out
  }
  const visit = (start: string, from: string) => {
    if (state.get(start) === 2) return
    if (!byName.has(start)) fail(raw.name, `${from} refers to node "${start}", which does not exist`)
    const stack: Array<{ name: string; deps: Array<string>; next: number }> = []
    const push = (name: string) => {
      state.set(name, 1)
      stack.push({ name, deps: deps(byName.get(name)!), next: 0 })
    }
    push(start)
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!
      if (top.next < top.deps.length) {
        const d = top.deps[top.next++]!
        const s = state.get(d)
        if (s === 2) continue
        if (s === 1) fail(raw.name, `cycle through node "${d}" (TF1 while loops are not supported here)`)
        if (!byName.has(d)) fail(raw.name, `node "${top.name}" refers to node "${d}", which does not exist`)
        push(d)
      } else {
        state.set(top.name, 2)
        order.push(byName.get(top.name)!)
        stack.pop()
      }
    }
  }
  const outputRefs = raw.outputs.map((o) => raw.resolve(o, `${raw.name} output`))
  for (const r of outputRefs) if ("node" in r) visit(r.node, "an output")
  for (const root of raw.roots) visit(root, "a control output")

  const index = new Map(order.map((n, i) => [n.name, i]))
  const toRef = (r: { arg: number } | { node: string; output: number }): ValueRef =>
    "arg" in r ? r : { node: index.get(r.node)!, output: r.output }
  const outputCounts = new Map<string, number>()
  const nodes: Array<BodyNode> = order.map((n) => {
    const inputs: Array<ValueRef> = []
    const after: Array<number> = []
    for (const input of n.inputs) {
      if (input.startsWith("^")) after.push(index.get(input.slice(1))!)
      else {
        const r = raw.resolve(input, `${raw.name} node "${n.name}"`)
        if ("node" in r) outputCounts.set(r.node, Math.max(outputCounts.get(r.node) ?? 0, r.output + 1))
        inputs.push(toRef(r))
      }
    }
    return { def: n, inputs, after, outputCount: 0 }
  })
  const outputs = outputRefs.map(toRef)
  for (const r of outputRefs) if ("node" in r) outputCounts.set(r.node, Math.max(outputCounts.get(r.node) ?? 0, r.output + 1))
  const sized = nodes.map((b) => ({ ...b, outputCount: outputCounts.get(b.def.name) ?? 0 }))
  const nodeUses = sized.map((b) => new Array<number>(b.outputCount).fill(0))
  const argUses = new Array<number>(raw.argNames.length).fill(0)
  const use = (r: ValueRef) => {
    if ("arg" in r) argUses[r.arg]!++
    else nodeUses[r.node]![r.output]!++
  }
  for (const b of sized) b.inputs.forEach(use)
  outputs.forEach(use)
  return { name: raw.name, argNames: raw.argNames, nodes: sized, outputs, nodeUses, argUses }
}

/** The body of a library function. */
export const functionBody = (fn: FunctionDef, library: FunctionLibrary, extra?: ExtraOutputs): Body => {
  const name = fn.signature.name
  const argNames = fn.signature.inputs.map((a) => a.name)
  const argIndex = new Map(argNames.map((a, i) => [a, i]))
  const byName = new Map(fn.nodes.map((n) => [n.name, n]))
  const layouts = new Map<string, ReadonlyArray<OutputSlot>>()
  const layoutOf = (node: NodeDef, where: string): ReadonlyArray<OutputSlot> => {
    let l = layouts.get(node.name)
    if (!l) {
      l = outputLayout(node, library, extra) ?? fail(where, `cannot tell the outputs of op ${node.op} (node "${node.name}")`)
      layouts.set(node.name, l)
    }
    return l
  }
  const resolve = (input: string, where: string): { arg: number } | { node: string; output: number } => {
    const ref = parseTensorRef(input)
    if (ref.kind === "control") return fail(where, `unexpected control input "${input}"`)
    if (ref.kind === "output" && input.indexOf(":") < 0) {
      const a = argIndex.get(input)
      if (a !== undefined) return { arg: a }
      return fail(where, `"${input}" is neither an argument of ${name} nor a node output`)
    }
    if (ref.kind === "arg-output") {
      const node = byName.get(ref.node) ?? fail(where, `refers to node "${ref.node}", which does not exist`)
      const slot = layoutOf(node, where).find((s) => s.name === ref.arg) ??
        fail(where, `op ${node.op} has no output "${ref.arg}" (in "${input}")`)
      if (ref.index >= slot.count) fail(where, `"${input}" is out of range (${ref.arg} has ${slot.count} tensors)`)
      return { node: ref.node, output: slot.start + ref.index }
    }
    // "node:3" flat form also occurs in some hand-written functions.
    return { node: ref.node, output: ref.index }
  }
  const outputs = fn.signature.outputs.map((o) => fn.ret[o.name] ?? fail(name, `output "${o.name}" has no return value`))
  const roots = Object.values(fn.controlRet)
  return finish({ name, argNames, nodes: fn.nodes, resolve, outputs, roots })
}

/**
 * The slice of a top-level graph that computes `fetches` from `feeds` (tensor names like
 * "x:0"). Fed tensors become arguments and whatever produced them is not run.
 */
export const graphBody = (
  nodes: ReadonlyArray<NodeDef>,
  feeds: ReadonlyArray<string>,
  fetches: ReadonlyArray<string>,
  targets: ReadonlyArray<string> = []
): Body => {
  const canonical = (t: string) => {
    const r = parseTensorRef(t)
    return r.kind === "output" ? `${r.node}:${r.index}` : t
  }
  const feedIndex = new Map(feeds.map((f, i) => [canonical(f), i]))
  const resolve = (input: string): { arg: number } | { node: string; output: number } => {
    const key = canonical(input)
    const a = feedIndex.get(key)
    if (a !== undefined) return { arg: a }
    const r = parseTensorRef(input)
    return r.kind === "output" ? { node: r.node, output: r.index } : { node: r.node, output: 0 }
  }
  return finish({ name: "graph", argNames: feeds, nodes, resolve, outputs: fetches, roots: targets })
}
