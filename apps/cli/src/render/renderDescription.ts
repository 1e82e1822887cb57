/**
 * Text rendering of a model description for humans.
 */
import type { ModelDescription, TensorDescription } from "@tf2jax/core"

const shapeText = (s: TensorDescription["shape"]): string =>
  s === null ? "[?…]" : `[${s.map((d) => (d < 0 ? "?" : String(d))).join(",")}]`

const tensorText = (t: TensorDescription): string => `${t.key}: ${t.dtype ?? "?"}${shapeText(t.shape)}  (${t.name})`

const bytesText = (n: number): string =>
  n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`

/** Renders the description as indented text. */
export const renderDescription = (d: ModelDescription): string => {
  const lines: Array<string> = []
  const add = (s = "") => lines.push(s)
  add(`format:     ${d.format}`)
  add(`source:     ${d.source}`)
  add(`tensorflow: ${d.tensorflowVersion ?? "not recorded"} (graph producer ${d.graphProducer})`)
  if (d.converter) add(`converter:  ${d.converter}`)
  if (d.availableTags.length > 0) {
    add(`tags:       [${d.tags.join(", ")}] of ${d.availableTags.map((t) => `[${t.join(", ")}]`).join(" ")}`)
  }
  add()
  add(`signatures (${d.signatures.length}):`)
  for (const s of d.signatures) {
    add(`  ${s.key}${s.methodName ? `  <${s.methodName}>` : ""}${s.function ? `  → ${s.function}` : ""}`)
    for (const i of s.inputs) add(`    in   ${tensorText(i)}`)
    for (const o of s.outputs) add(`    out  ${tensorText(o)}`)
  }
  if (d.functions.length > 0) {
    add()
    add(`functions (${d.functions.length}):`)
    for (const f of d.functions) add(`  ${f.path}: ${f.concreteFunctions.join(", ")}`)
  }
  if (d.concreteFunctions.length > 0) {
    add()
    add(`concrete functions (${d.concreteFunctions.length}):`)
    for (const c of d.concreteFunctions) {
      add(`  ${c.name}`)
      for (const i of c.inputs) add(`    in   ${tensorText(i)}`)
      for (const cap of c.captures) add(`    cap  ${cap}`)
      for (const o of c.outputs) add(`    out  ${tensorText(o)}`)
    }
  }
  add()
  add(`variables (${d.variables.length}, ${bytesText(d.variableBytes)}):`)
  for (const v of d.variables) {
    add(`  ${v.name}: ${v.dtype}${shapeText(v.shape)}  ${bytesText(v.bytes)}${v.trainable ? "" : "  (not trainable)"}`)
  }
  if (d.assets.length > 0) {
    add()
    add(`assets (${d.assets.length}):`)
    for (const a of d.assets) add(`  ${a.path}  ${a.size < 0 ? "missing" : bytesText(a.size)}`)
  }
  add()
  add(`graph: ${d.graph.nodes} nodes, ${d.graph.libraryFunctions} library functions (${d.graph.reachableFunctions} reachable)`)
  add(`ops (${Object.keys(d.ops).length} types):`)
  for (const [op, n] of Object.entries(d.ops)) add(`  ${String(n).padStart(6)}  ${op}`)
  if (d.notes.length > 0) {
    add()
    add("notes:")
    for (const n of d.notes) add(`  - ${n}`)
  }
  return lines.join("\n")
}
