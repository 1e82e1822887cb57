/**
 * Batched matrix diagonals: MatrixDiag / MatrixDiagPart / MatrixSetDiag in their V1, V2 and V3
 * forms (V1: the main diagonal; V2: a band k = [lo, hi], packed LEFT_LEFT; V3: any `align`,
 * default RIGHT_LEFT). The geometry — which packed slot each matrix element maps to — is
 * computed on the host from the static k/num_rows/num_cols; the device does one gather
 * (np.take over the flattened innermost dims) and a select.
 *
 * Packing (TF): the diagonals of k = [lo, hi] are rows hi, hi−1, …, lo of a [D, L] block,
 * L = min(M + min(hi, 0), N − max(lo, 0)); a diagonal shorter than L is aligned LEFT (padding
 * after) or RIGHT (padding before): `align` = "<superdiagonals>_<subdiagonals>".
 */
import { numpy as np } from "@jax-js/jax"
import type { HostTensor, OpContext, Value } from "@tf2jax/core"
import { arrayValue, Attr, defineOp, staticValue } from "@tf2jax/core"
import { Schema } from "effect"
import { gradSafeGather } from "../../lowering/index.js"
import { type Arr, attrError, type Ctx, device, dtypeOf, fmt, guard, hostTensors, inputError, intOf, intsOf, product, scalarArray, shapeOf } from "./common.js"
import { hostIndexMap, rawNumber, rawScalar } from "./hostIndex.js"

const ALIGNS = ["LEFT_LEFT", "LEFT_RIGHT", "RIGHT_LEFT", "RIGHT_RIGHT"]

interface Geometry {
  readonly m: number
  readonly n: number
  readonly lo: number
  readonly hi: number
  /** Packed length L and count D of diagonals. */
  readonly len: number
  readonly count: number
  readonly leftSuper: boolean
  readonly leftSub: boolean
}

const diagLen = (g: Geometry, d: number): number => Math.min(g.m + Math.min(0, d), g.n - Math.max(0, d))

const offset = (g: Geometry, d: number): number =>
  (d >= 0 && g.leftSuper) || (d <= 0 && g.leftSub) ? 0 : g.len - diagLen(g, d)

/** Packed slot (row·L + column) of matrix element (i, j), or −1 outside the band. */
const packedOf = (g: Geometry, i: number, j: number): number => {
  const d = j - i
  if (d < g.lo || d > g.hi) return -1
  return (g.hi - d) * g.len + Math.min(i, j) + offset(g, d)
}

/** Matrix element (i·N + j) of packed slot (r, c), or −1 for padding. */
const matrixOf = (g: Geometry, r: number, c: number): number => {
  const d = g.hi - r
  const t = c - offset(g, d)
  if (t < 0 || t >= diagLen(g, d)) return -1
  return (t + Math.max(0, -d)) * g.n + t + Math.max(0, d)
}

const geometry = (m: number, n: number, lo: number, hi: number, align: string): Geometry => ({
  m,
  n,
  lo,
  hi,
  len: Math.max(0, Math.min(m + Math.min(hi, 0), n - Math.max(lo, 0))),
  count: hi - lo + 1,
  leftSuper: align.startsWith("LEFT"),
  leftSub: align.endsWith("LEFT")
})

/** k as [lo, hi] (a scalar means lo = hi). */
const bandOf = (ctx: Ctx, k: HostTensor | undefined): [number, number] => {
  if (!k) return [0, 0]
  const ks = intsOf(ctx, k, "k")
  if (ks.length < 1 || ks.length > 2) throw inputError(ctx, `k must be a scalar or a pair, got ${fmt(ks)}`)
  const [lo, hi] = [ks[0]!, ks[ks.length - 1]!]
  if (lo > hi) throw inputError(ctx, `k ${fmt(ks)}: the lower diagonal index must not exceed the upper`)
  return [lo, hi]
}

/** The shape of the packed diagonals for batch `batch`. */
const packedShape = (batch: ReadonlyArray<number>, g: Geometry): Array<number> =>
  g.lo === g.hi ? [...batch, g.len] : [...batch, g.count, g.len]

/** A host Int32 table over `size` slots: the source index (clamped to 0) and the validity mask. */
const table = (size: number, at: (k: number) => number): { idx: Int32Array; keep: Int32Array; all: boolean } => {
  const idx = new Int32Array(size)
  const keep = new Int32Array(size)
  let all = true
  for (let k = 0; k < size; k++) {
    const s = at(k)
    idx[k] = Math.max(s, 0)
    keep[k] = s >= 0 ? 1 : 0
    if (s < 0) all = false
  }
  return { idx, keep, all }
}

/**
 * Gathers the innermost `inner` elements of `src` (consumed, [...batch, inner]) at the table
 * into [...batch, ...outInner], filling `fill` (consumed) where the table says so.
 */
const gatherInner = (
  src: Arr,
  batch: ReadonlyArray<number>,
  inner: number,
  outInner: ReadonlyArray<number>,
  t: ReturnType<typeof table>,
  fill: Arr
): Arr => {
  const flat = src.reshape([product(batch), inner])
  const g = gradSafeGather(np.take(flat, np.array(t.idx, { dtype: np.int32 }), 1)).reshape([...batch, ...outInner])
  if (t.all) {
    fill.dispose()
    return g
  }
  const keep = np.array(t.keep, { dtype: np.int32, shape: [...outInner] }).astype(np.bool)
  return np.where(keep, g, fill)
}

const alignAttr = { T: Schema.optionalKey(Attr.type), align: Attr.string }

const checkAlign = (a: { readonly align?: string }, ctx: Ctx): void => {
  if (a.align !== undefined && !ALIGNS.includes(a.align)) throw attrError(ctx, "align", `${a.align} is not one of ${ALIGNS.join(", ")}`)
}

/** MatrixDiag*: a batch of matrices with the given diagonals. */
const runDiag = (ctx: OpContext, diag: Value, k: HostTensor | undefined, rowsT: HostTensor | undefined, colsT: HostTensor | undefined, pad: Value | undefined, align: string): Value => {
  const inputs = pad ? [diag, pad] : [diag]
  const { g, batch, outShape } = guard(ctx, inputs, () => {
    const [lo, hi] = bandOf(ctx, k)
    const ds = shapeOf(ctx, diag)
    const banded = lo !== hi
    if (ds.length < (banded ? 2 : 1)) throw inputError(ctx, `diagonal ${fmt(ds)} has too few dimensions`)
    const len = ds[ds.length - 1]!
    if (banded && ds[ds.length - 2] !== hi - lo + 1) throw inputError(ctx, `diagonal ${fmt(ds)} must hold ${hi - lo + 1} diagonals`)
    const minRows = len - Math.min(hi, 0)
    const minCols = len + Math.max(lo, 0)
    let m = rowsT ? intOf(ctx, rowsT, "num_rows") : -1
    let n = colsT ? intOf(ctx, colsT, "num_cols") : -1
    if (m === -1 && n === -1) m = n = Math.max(minRows, minCols)
    else if (m === -1) m = minRows
    else if (n === -1) n = minCols
    if (m < minRows || n < minCols || (m !== minRows && n !== minCols)) {
      throw inputError(ctx, `num_rows ${m} / num_cols ${n} do not fit diagonals of length ${len} for k = [${lo}, ${hi}]`)
    }
    const g = geometry(m, n, lo, hi, align)
    if (g.len !== len) throw inputError(ctx, `diagonal length ${len} should be ${g.len} for a ${m}×${n} matrix`)
    const batch = ds.slice(0, banded ? -2 : -1)
    return { g, batch, outShape: [...batch, m, n] }
  })
  const dtype = dtypeOf(ctx, diag)
  const slots = g.m * g.n
  const at = (q: number) => packedOf(g, Math.floor(q / g.n), q % g.n)
  const hostD = hostTensors([diag, pad], dtype, outShape)
  if (hostD) {
    const fill = hostD[1] ? rawScalar(hostD[1]) : rawNumber(dtype, 0)
    const per = g.count * g.len
    return staticValue(
      hostIndexMap(hostD[0]!, outShape, (c) => {
        const b = c.slice(0, -2).reduce((o, ci, d) => o * batch[d]! + ci, 0)
        const s = at(c[c.length - 2]! * g.n + c[c.length - 1]!)
        return s < 0 ? -1 : b * per + s
      }, fill)
    )
  }
  const arr = device(ctx, diag)
  const fill = pad ? scalarArray(ctx, pad) : np.zeros([], { dtype: arr.dtype })
  return arrayValue(gatherInner(arr, batch, g.count * g.len, [g.m, g.n], table(slots, at), fill), dtype)
}

/** MatrixDiagPart*: the packed diagonals of a batch of matrices. */
const runDiagPart = (ctx: OpContext, input: Value, k: HostTensor | undefined, pad: Value | undefined, align: string): Value => {
  const inputs = pad ? [input, pad] : [input]
  const { g, batch, outShape } = guard(ctx, inputs, () => {
    const [lo, hi] = bandOf(ctx, k)
    const s = shapeOf(ctx, input)
    if (s.length < 2) throw inputError(ctx, `input ${fmt(s)} must have rank ≥ 2`)
    const [m, n] = s.slice(-2) as [number, number]
    if ((m > 0 && lo <= -m) || (n > 0 && hi >= n)) throw inputError(ctx, `k = [${lo}, ${hi}] is out of range for a ${m}×${n} matrix`)
    const g = geometry(m, n, lo, hi, align)
    const batch = s.slice(0, -2)
    return { g, batch, outShape: packedShape(batch, g) }
  })
  const dtype = dtypeOf(ctx, input)
  const at = (q: number) => matrixOf(g, Math.floor(q / g.len), q % g.len)
  const hostI = hostTensors([input, pad], dtype, outShape)
  if (hostI) {
    const fill = hostI[1] ? rawScalar(hostI[1]) : rawNumber(dtype, 0)
    const per = g.m * g.n
    const inner = g.lo === g.hi ? 1 : 2
    return staticValue(
      hostIndexMap(hostI[0]!, outShape, (c) => {
        const b = c.slice(0, -inner).reduce((o, ci, d) => o * batch[d]! + ci, 0)
        const r = inner === 2 ? c[c.length - 2]! : 0
        const s = at(r * g.len + c[c.length - 1]!)
        return s < 0 ? -1 : b * per + s
      }, fill)
    )
  }
  const arr = device(ctx, input)
  const fill = pad ? scalarArray(ctx, pad) : np.zeros([], { dtype: arr.dtype })
  return arrayValue(gatherInner(arr, batch, g.m * g.n, outShape.slice(batch.length), table(g.count * g.len, at), fill), dtype)
}

/** MatrixSetDiag*: the matrices with the band replaced by the packed diagonals. */
const runSetDiag = (ctx: OpContext, input: Value, diag: Value, k: HostTensor | undefined, align: string): Value => {
  const { g, batch, shape } = guard(ctx, [input, diag], () => {
    const [lo, hi] = bandOf(ctx, k)
    const shape = shapeOf(ctx, input)
    if (shape.length < 2) throw inputError(ctx, `input ${fmt(shape)} must have rank ≥ 2`)
    const [m, n] = shape.slice(-2) as [number, number]
    const g = geometry(m, n, lo, hi, align)
    const batch = shape.slice(0, -2)
    const want = packedShape(batch, g)
    if (fmt(shapeOf(ctx, diag)) !== fmt(want)) throw inputError(ctx, `diagonal ${fmt(shapeOf(ctx, diag))} must have shape ${fmt(want)}`)
    return { g, batch, shape }
  })
  const dtype = dtypeOf(ctx, input)
  const slots = g.m * g.n
  const at = (q: number) => packedOf(g, Math.floor(q / g.n), q % g.n)
  const hostS = hostTensors([input, diag], dtype, shape)
  if (hostS) {
    const out = hostIndexMap(hostS[0]!, shape, (c) => c.reduce((o, ci, d) => o * shape[d]! + ci, 0))
    const dst = out.data as unknown as { [i: number]: unknown }
    const src = hostS[1]!.data as unknown as { [i: number]: unknown }
    const per = g.count * g.len
    for (let b = 0; b < product(batch); b++) {
      for (let q = 0; q < slots; q++) {
        const s = at(q)
        if (s >= 0) dst[b * slots + q] = src[b * per + s]
      }
    }
    return staticValue(out)
  }
  const t = table(slots, at)
  const arr = device(ctx, input)
  const flat = device(ctx, diag).reshape([product(batch), g.count * g.len])
  const gathered = gradSafeGather(np.take(flat, np.array(t.idx, { dtype: np.int32 }), 1)).reshape([...shape])
  const keep = np.array(t.keep, { dtype: np.int32, shape: [g.m, g.n] }).astype(np.bool)
  return arrayValue(np.where(keep, gathered, arr), dtype)
}

/** A static input (undefined when absent). */
const staticOr = (x: unknown): HostTensor => x as HostTensor

export const matrixDiagV3 = defineOp({
  ops: ["MatrixDiagV3", "MatrixDiagV2"],
  attrs: Schema.Struct({ T: alignAttr.T, align: Schema.optionalKey(Attr.string) }),
  inputs: ["value", "static", "static", "static", "value"],
  check: checkAlign,
  run: (ctx, [d, k, r, c, p], a) =>
    runDiag(ctx, d as Value, staticOr(k), staticOr(r), staticOr(c), p as Value, ctx.node.op === "MatrixDiagV2" ? "LEFT_LEFT" : (a.align ?? "RIGHT_LEFT"))
})

export const matrixDiagPartV3 = defineOp({
  ops: ["MatrixDiagPartV3", "MatrixDiagPartV2"],
  attrs: Schema.Struct({ T: alignAttr.T, align: Schema.optionalKey(Attr.string) }),
  inputs: ["value", "static", "value"],
  check: checkAlign,
  run: (ctx, [x, k, p], a) =>
    runDiagPart(ctx, x as Value, staticOr(k), p as Value, ctx.node.op === "MatrixDiagPartV2" ? "LEFT_LEFT" : (a.align ?? "RIGHT_LEFT"))
})

export const matrixSetDiagV3 = defineOp({
  ops: ["MatrixSetDiagV3", "MatrixSetDiagV2"],
  attrs: Schema.Struct({ T: alignAttr.T, align: Schema.optionalKey(Attr.string) }),
  inputs: ["value", "value", "static"],
  check: checkAlign,
  run: (ctx, [x, d, k], a) =>
    runSetDiag(ctx, x as Value, d as Value, staticOr(k), ctx.node.op === "MatrixSetDiagV2" ? "LEFT_LEFT" : (a.align ?? "RIGHT_LEFT"))
})

const plain = Schema.Struct({ T: alignAttr.T })

export const matrixDiagV1 = defineOp({
  ops: ["MatrixDiag"],
  attrs: plain,
  inputs: ["value"],
  run: (ctx, [d]) => runDiag(ctx, d as Value, undefined, undefined, undefined, undefined, "LEFT_LEFT")
})

export const matrixDiagPartV1 = defineOp({
  ops: ["MatrixDiagPart"],
  attrs: plain,
  inputs: ["value"],
  run: (ctx, [x]) => runDiagPart(ctx, x as Value, undefined, undefined, "LEFT_LEFT")
})

export const matrixSetDiagV1 = defineOp({
  ops: ["MatrixSetDiag"],
  attrs: plain,
  inputs: ["value", "value"],
  run: (ctx, [x, d]) => runSetDiag(ctx, x as Value, d as Value, undefined, "LEFT_LEFT")
})

export const diagOps = [matrixDiagV3, matrixDiagPartV3, matrixSetDiagV3, matrixDiagV1, matrixDiagPartV1, matrixSetDiagV1]
