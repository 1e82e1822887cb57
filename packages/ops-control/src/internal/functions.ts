/**
 * Static facts about library functions that control-flow converters need: which outputs of a
 * loop body return an argument unchanged (loop invariants), and whether a function (or
 * anything it calls) assigns variables.
 *
 * @internal
 */
import type { FunctionDef, FunctionLibrary } from "@tf2jax/core"
import { parseTensorRef, referencedFunctions } from "@tf2jax/core"

const PASS_THROUGH_OPS = new Set(["Identity", "Snapshot", "StopGradient"])

/**
 * For each output of `fn`: the index of the argument it returns unchanged (directly or through
 * Identity nodes), or -1.
 */
export const passThroughOutputs = (fn: FunctionDef): Array<number> => {
  const args = new Map(fn.signature.inputs.map((a, i) => [a.name, i]))
  const nodes = new Map(fn.nodes.map((n) => [n.name, n]))
  const follow = (ref: string, depth: number): number => {
    if (depth > 64) return -1
    if (!ref.includes(":")) return args.get(ref) ?? -1
    const r = parseTensorRef(ref)
    if (r.kind === "control") return -1
    const node = nodes.get(r.node)
    if (!node || !PASS_THROUGH_OPS.has(node.op) || r.index !== 0) return -1
    const input = node.inputs.find((i) => !i.startsWith("^"))
    return input === undefined ? -1 : follow(input, depth + 1)
  }
  return fn.signature.outputs.map((o) => {
    const ret = fn.ret[o.name]
    return ret === undefined ? -1 : follow(ret, 0)
  })
}

/** Op types that change variables (resource or TF1 ref variables). */
export const isAssignOp = (op: string): boolean =>
  op.startsWith("Assign") || op.startsWith("ResourceApply") || op.startsWith("ResourceScatter") || op.startsWith("ScatterNd") ||
  op.startsWith("ResourceStridedSliceAssign") || op === "DestroyResourceOp"

/** Whether `name` (or a function it calls, transitively) assigns variables. */
export const assignsVariables = (name: string, library: FunctionLibrary, seen: Set<string> = new Set()): boolean => {
  if (seen.has(name)) return false
  seen.add(name)
  const fn = library.functions.get(name)
  if (!fn) return false
  if (fn.nodes.some((n) => isAssignOp(n.op))) return true
  const callees = [...referencedFunctions(fn.nodes), ...fn.nodes.map((n) => n.op).filter((op) => library.functions.has(op))]
  return callees.some((c) => assignsVariables(c, library, seen))
}
