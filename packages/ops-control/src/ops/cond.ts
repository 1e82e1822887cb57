/**
 * Conditionals: `If` / `StatelessIf` (`then_branch`, `else_branch`) and `Case` /
 * `StatelessCase` (`branches`).
 *
 * - A static predicate (a constant, shape arithmetic …) runs only the chosen branch.
 * - A traced predicate jax-js can read (eager, or `grad` without `jit`) also runs only the
 *   chosen branch: branches may then assign variables, and their outputs may differ in shape.
 * - Otherwise (under `jit`, or per example under `vmap`) every branch runs and the outputs are
 *   selected with `np.where`, which works under jit/grad/vmap. Branches must then be pure: one
 *   that assigns variables is a `ConversionError`; random branches each get their own key (the
 *   unselected samples are discarded, as if the branch had not run). Outputs must agree in shape.
 *
 * `Case` runs the last branch when the index is out of range, as TensorFlow's kernel does.
 */
import { numpy as np } from "@jax-js/jax"
import type { BuildContext, CallableFunction, JaxArray, OpContext, Value } from "@tf2jax/core"
import { Attr, ConversionError, defineOp, disposeValue, hostValues, splitWithJax } from "@tf2jax/core"
import { Schema } from "effect"
import { assignsVariables } from "../internal/functions.js"
import { decide, readConcrete, select, share } from "../internal/values.js"

/** Which branches (by index) assign variables, keyed by the node's decoded attrs. */
const impureBranches = new WeakMap<object, ReadonlyArray<boolean>>()

/** Runs branch `k` alone (consumes the inputs); other branches' key shares are released. */
const runOne = (fns: ReadonlyArray<CallableFunction>, k: number, inputs: ReadonlyArray<Value>, key: JaxArray | undefined): Array<Value> => {
  const fn = fns[k]!
  if (!fn.needsRng) key?.dispose()
  return fn.call(inputs, fn.needsRng ? key : undefined)
}

/**
 * Runs every branch and selects per output: `masks[k]` says "branch k is taken" for every
 * branch but the last, which is the default. Consumes inputs, masks and key.
 */
const runAll = (
  ctx: OpContext,
  fns: ReadonlyArray<CallableFunction>,
  names: ReadonlyArray<string>,
  impure: ReadonlyArray<boolean>,
  masks: ReadonlyArray<JaxArray>,
  inputs: ReadonlyArray<Value>,
  key: JaxArray | undefined,
  outputCount: number
): Array<Value> => {
  const bad = names.filter((_, k) => impure[k])
  if (bad.length > 0) {
    masks.forEach((m) => m.dispose())
    inputs.forEach(disposeValue)
    key?.dispose()
    throw new ConversionError({
      where: ctx.where,
      what: `branch ${bad.join(", ")} assigns variables, which cannot be done under a traced predicate (under jit or vmap every branch runs and the outputs are selected); call the function without jit, or make the predicate static`
    })
  }
  const random = fns.filter((f) => f.needsRng).length
  const keys = key === undefined ? [] : random <= 1 ? [key] : splitWithJax(key, random)
  if (random === 0) key?.dispose()
  const results: Array<Array<Value>> = []
  try {
    fns.forEach((fn, k) => {
      const last = k === fns.length - 1
      const args = last ? inputs : inputs.map(share)
      results.push(fn.call(args, fn.needsRng ? keys.shift() : undefined))
      if (results[k]!.length !== outputCount) {
        throw new ConversionError({ where: ctx.where, what: `branch ${names[k]} returned ${results[k]!.length} outputs, expected ${outputCount}` })
      }
    })
  } catch (e) {
    results.flat().forEach(disposeValue)
    masks.forEach((m) => m.dispose())
    keys.forEach((k) => k.dispose())
    throw e
  }
  const outs: Array<Value> = []
  for (let i = 0; i < outputCount; i++) {
    let acc = results[fns.length - 1]![i]!
    for (let k = fns.length - 2; k >= 0; k--) {
      acc = select(masks[k]!.ref, results[k]![i]!, acc, ctx.where, `output ${i}`)
    }
    outs.push(acc)
  }
  masks.forEach((m) => m.dispose())
  return outs
}

/** Remembers (by the node's decoded attrs, fresh per conversion) which branches assign variables. */
const checkImpurity = (attrs: object, names: ReadonlyArray<string>, ctx: BuildContext): void => {
  impureBranches.set(attrs, names.map((n) => assignsVariables(n, ctx.library)))
}

export const ifOp = defineOp({
  ops: ["If", "StatelessIf"],
  attrs: Schema.Struct({
    Tcond: Attr.type,
    Tin: Attr.types,
    Tout: Attr.types,
    then_branch: Attr.func,
    else_branch: Attr.func,
    output_shapes: Schema.optionalKey(Attr.shapes)
  }),
  inputs: (i) => (i === 0 ? "value" : "raw"),
  calls: (a) => [a.then_branch.name, a.else_branch.name],
  check: (a, ctx) => checkImpurity(a, [a.then_branch.name, a.else_branch.name], ctx),
  run: (ctx, inputs, a) => {
    const names = [a.then_branch.name, a.else_branch.name]
    const fns = names.map((n) => ctx.fn(n))
    const args = inputs.slice(1) as Array<Value>
    const key = fns.some((f) => f.needsRng) ? ctx.rng() : undefined
    const d = decide(inputs[0] as Value, ctx.where)
    if (d.kind === "known") return runOne(fns, d.value ? 0 : 1, args, key)
    return runAll(ctx, fns, names, impureBranches.get(a) ?? [], [d.mask], args, key, a.Tout.length)
  }
})

/** The branch a host index selects: out-of-range indices select the last (default) branch. */
const branchOf = (index: number, n: number): number => (Number.isInteger(index) && index >= 0 && index < n ? index : n - 1)

export const caseOp = defineOp({
  ops: ["Case", "StatelessCase"],
  attrs: Schema.Struct({
    Tin: Attr.types,
    Tout: Attr.types,
    branches: Attr.funcs,
    output_shapes: Schema.optionalKey(Attr.shapes)
  }),
  inputs: (i) => (i === 0 ? "value" : "raw"),
  calls: (a) => a.branches.map((b) => b.name),
  check: (a, ctx) => checkImpurity(a, a.branches.map((b) => b.name), ctx),
  run: (ctx, inputs, a) => {
    const names = a.branches.map((b) => b.name)
    const fns = names.map((n) => ctx.fn(n))
    const n = fns.length
    const args = inputs.slice(1) as Array<Value>
    const key = fns.some((f) => f.needsRng) ? ctx.rng() : undefined
    const index = inputs[0] as Value
    if (n === 0) throw new ConversionError({ where: ctx.where, what: "Case has no branches" })
    if (index.kind === "static") return runOne(fns, branchOf(hostValues(index.tensor)[0]!, n), args, key)
    if (index.kind !== "array") throw new ConversionError({ where: ctx.where, what: "branch_index is not a tensor" })
    const c = readConcrete(index.array)
    if (c !== undefined && !c.batched) {
      index.array.dispose()
      return runOne(fns, branchOf(c.values[0]!, n), args, key)
    }
    const idx = index.array
    const masks = Array.from({ length: n - 1 }, (_, k) => np.equal(idx.ref, k))
    idx.dispose()
    return runAll(ctx, fns, names, impureBranches.get(a) ?? [], masks, args, key, a.Tout.length)
  }
})

export const condOps = [ifOp, caseOp]
