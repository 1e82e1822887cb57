/**
 * Einsum (TF's op: one or two operands, an explicit `->`) lowered to transposes, sums and ONE
 * batched matmul — not `np.einsum`, which fails on Node 20 (jax-js uses iterator helpers,
 * notes/jax-js.md §1) and would not reach the tiled matmul kernel anyway.
 *
 * Each operand's labels are sorted into batch (both operands and the output), contracted (both,
 * not the output) and free (one operand and the output); labels of one operand only and not in
 * the output are summed first. Then `[batch…, freeA, K] @ [batch…, K, freeB]` via
 * `batchMatMul`, whose broadcasting covers size-1 ellipsis dims. Repeated labels within an
 * operand (diagonals, traces) are refused with a clear error.
 */
import { numpy as np } from "@jax-js/jax"
import { arrayValue, Attr, ConversionError, defineOp } from "@tf2jax/core"
import { Schema } from "effect"
import { batchMatMul } from "../../lowering/index.js"
import { type Arr, atNode, badAttr } from "./common.js"

interface Parsed {
  readonly inputs: ReadonlyArray<ReadonlyArray<string>>
  readonly output: ReadonlyArray<string>
}

const ELLIPSIS = "…"

/** Splits a term into labels; "..." becomes one ELLIPSIS marker. */
const labelsOf = (term: string, where: string): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < term.length; i++) {
    if (term.startsWith("...", i)) {
      out.push(ELLIPSIS)
      i += 2
    } else if (/[A-Za-z]/.test(term[i]!)) out.push(term[i]!)
    else if (term[i] !== " ") throw new ConversionError({ where, what: `einsum equation has an invalid character "${term[i]}"` })
  }
  return out
}

/** The equation with "..." expanded for the given operand ranks (ellipsis dims right-aligned). */
export const parseEinsum = (equation: string, ranks: ReadonlyArray<number>, where: string): Parsed => {
  const arrow = equation.split("->")
  if (arrow.length !== 2) throw new ConversionError({ where, what: `einsum equation "${equation}" needs exactly one "->"` })
  const terms = arrow[0]!.split(",").map((t) => labelsOf(t, where))
  if (terms.length !== ranks.length) {
    throw new ConversionError({ where, what: `einsum equation "${equation}" has ${terms.length} operands, the node ${ranks.length}` })
  }
  const ellipsisRanks = terms.map((t, k) => {
    const named = t.filter((l) => l !== ELLIPSIS).length
    const hasE = t.includes(ELLIPSIS)
    if ((!hasE && named !== ranks[k]) || named > ranks[k]!) {
      throw new ConversionError({ where, what: `einsum operand ${k} ("${t.join("")}") does not match its rank ${ranks[k]}` })
    }
    return hasE ? ranks[k]! - named : 0
  })
  const m = Math.max(0, ...ellipsisRanks)
  const eLabels = (e: number) => Array.from({ length: e }, (_, i) => `#${m - e + i}`)
  const expand = (t: ReadonlyArray<string>, e: number) => t.flatMap((l) => (l === ELLIPSIS ? eLabels(e) : [l]))
  const inputs = terms.map((t, k) => expand(t, ellipsisRanks[k]!))
  const output = expand(labelsOf(arrow[1]!, where), m)
  for (const t of [...inputs, output]) {
    if (new Set(t).size !== t.length) {
      throw new ConversionError({ where, what: `einsum "${equation}": repeated labels within a term (diagonals, traces) are not supported` })
    }
  }
  for (const l of output) {
    if (!inputs.some((t) => t.includes(l))) throw new ConversionError({ where, what: `einsum "${equation}": output label ${l} is in no operand` })
  }
  return { inputs, output }
}

const perm = (from: ReadonlyArray<string>, to: ReadonlyArray<string>): Array<number> => to.map((l) => from.indexOf(l))

/** Sums out the labels of `x` not in `keep` (consumes `x`). */
const sumOut = (x: Arr, labels: ReadonlyArray<string>, keep: (l: string) => boolean): [Arr, Array<string>] => {
  const axes = labels.flatMap((l, i) => (keep(l) ? [] : [i]))
  return axes.length === 0 ? [x, [...labels]] : [np.sum(x, axes), labels.filter(keep)]
}

const isIdentity = (p: ReadonlyArray<number>): boolean => p.every((v, i) => v === i)
const transpose = (x: Arr, p: ReadonlyArray<number>): Arr => (isIdentity(p) ? x : np.transpose(x, [...p]))

/** Einsum of one or two arrays (consumed). */
export const einsum = (equation: string, xs: ReadonlyArray<Arr>, where: string): Arr => {
  let parsed: Parsed
  try {
    parsed = parseEinsum(equation, xs.map((x) => x.ndim), where)
  } catch (e) {
    xs.forEach((x) => x.dispose())
    throw e
  }
  const { inputs, output } = parsed
  const inOut = new Set(output)
  if (xs.length === 1) {
    const [x, labels] = sumOut(xs[0]!, inputs[0]!, (l) => inOut.has(l))
    return transpose(x, perm(labels, output))
  }
  const [la, lb] = inputs as [ReadonlyArray<string>, ReadonlyArray<string>]
  const [a, ka] = sumOut(xs[0]!, la, (l) => inOut.has(l) || lb.includes(l))
  const [b, kb] = sumOut(xs[1]!, lb, (l) => inOut.has(l) || la.includes(l))
  const batch = ka.filter((l) => kb.includes(l) && inOut.has(l))
  const contract = ka.filter((l) => kb.includes(l) && !inOut.has(l))
  const freeA = ka.filter((l) => !kb.includes(l))
  const freeB = kb.filter((l) => !ka.includes(l))
  const size = (x: Arr, labels: ReadonlyArray<string>, l: string) => x.shape[labels.indexOf(l)]!
  for (const l of contract) {
    if (size(a, ka, l) !== size(b, kb, l)) {
      a.dispose()
      b.dispose()
      throw new ConversionError({ where, what: `einsum "${equation}": label ${l} has sizes ${size(a, ka, l)} and ${size(b, kb, l)}` })
    }
  }
  const prod = (x: Arr, labels: ReadonlyArray<string>, ls: ReadonlyArray<string>) => ls.reduce((p, l) => p * size(x, labels, l), 1)
  const batchA = batch.map((l) => size(a, ka, l))
  const batchB = batch.map((l) => size(b, kb, l))
  const k = prod(a, ka, contract)
  const am = transpose(a, perm(ka, [...batch, ...freeA, ...contract])).reshape([...batchA, prod(a, ka, freeA), k])
  const bm = transpose(b, perm(kb, [...batch, ...contract, ...freeB])).reshape([...batchB, k, prod(b, kb, freeB)])
  const freeSizes = [...freeA.map((l) => size(a, ka, l)), ...freeB.map((l) => size(b, kb, l))]
  const batchOut = batchA.map((d, i) => Math.max(d, batchB[i]!))
  const y = batchMatMul(am, bm).reshape([...batchOut, ...freeSizes])
  return transpose(y, perm([...batch, ...freeA, ...freeB], output))
}

const einsumOp = defineOp({
  ops: ["Einsum"],
  attrs: Schema.Struct({ equation: Attr.string, N: Attr.int, T: Attr.type }),
  inputs: "array",
  check: (a, ctx) => {
    if (a.N !== 1 && a.N !== 2) throw badAttr(ctx.node, "N", `${a.N} operands (TensorFlow's Einsum takes 1 or 2)`)
    if (a.equation.split("->").length !== 2) throw badAttr(ctx.node, "equation", `"${a.equation}" needs exactly one "->"`)
  },
  run: (ctx, xs, a) => arrayValue(atNode(ctx, () => einsum(a.equation, xs as ReadonlyArray<Arr>, ctx.where)), a.T)
})

export const einsumOps = [einsumOp]
