/**
 * "Static stays static" (DESIGN §4):
 * - shape-arithmetic graphs written by real TF (Shape → StridedSlice → Pack → Reshape, Range of
 *   a dim, Fill of a shape tail, BroadcastArgs …; fixtures/ops/array/shapeArithmetic.json)
 *   convert and run eagerly, under jit and under grad, matching TF. Under jit any traced
 *   shape would be a StaticValueRequiredError, so passing proves the chains stayed static;
 * - the same graphs (unknown dims in their placeholders) run under jit for other input shapes;
 * - every converter called on static inputs returns a static value (and a large result goes
 *   to the device).
 */
import { assert, describe, it } from "@effect/vitest"
import { jit, numpy as np, vmap } from "@jax-js/jax"
import type { HostTensor, Input, OpContext, OpConverter, Value } from "@tf2jax/core"
import { builtinPack, hostValues, StaticValueRequiredError } from "@tf2jax/core"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { decodeGraphDef, graphCaseFunction } from "../../../../core/src/test-util/graphCase.js"
import { fixturesDir } from "../../../../core/src/test-util/paths.js"
import { checkCase, compare, dynamicInputs, type GoldenCase, parseGoldenFamily } from "../../lowering/goldenCases.js"
import { nnPack } from "../../pack.js"
import { arrayOps } from "./index.js"

const family = parseGoldenFamily(readFileSync(join(fixturesDir, "ops/array/shapeArithmetic.json"), "utf8"))
const known = new Set([...builtinPack.converters, ...nnPack.converters].flatMap((c) => c.ops))
const missingOps = (c: GoldenCase): Array<string> =>
  [...new Set(decodeGraphDef(c.graph.graph_def_base64, c.name).nodes.map((n) => n.op))].filter((op) => !known.has(op))
const byName = (n: string): GoldenCase => family.cases.find((c) => c.name === n)!

describe("shape-arithmetic graphs from TF (static under jit)", () => {
  for (const c of family.cases) {
    it(`${c.name}: ${String(c.attrs["source"])}`, () => {
      assert.deepStrictEqual(missingOps(c), [])
      assert.deepStrictEqual(checkCase(c, graphCaseFunction(c, [nnPack]), { rtol: 1e-6 }), [])
    })
  }

  it("reshape_batch_flatten retraces for new shapes under jit (its placeholder dims are unknown)", () => {
    const f = graphCaseFunction(byName("reshape_batch_flatten"), [nnPack])
    const jf = jit((x: np.Array) => f(x)[0]!)
    try {
      for (const shape of [[2, 3, 4], [5, 1, 2], [1, 6, 7]]) {
        const y = jf(np.ones(shape))
        assert.deepStrictEqual(y.shape, [shape[0], shape[1]! * shape[2]!])
        y.dispose()
      }
    } finally {
      jf.dispose()
    }
  })

  it("under vmap the shapes seen are per example, so the chains stay static too", () => {
    const flat = graphCaseFunction(byName("reshape_batch_flatten"), [nnPack])
    const y = vmap((x: np.Array) => flat(x)[0]!)(np.ones([2, 3, 4, 5]))
    assert.deepStrictEqual(y.shape, [2, 3, 20])
    y.dispose()
    const padded = graphCaseFunction(byName("pad_to_multiple"), [nnPack])
    const jv = jit(vmap((x: np.Array) => padded(x)[0]!))
    try {
      const z = jv(np.ones([3, 5, 2]))
      assert.deepStrictEqual(z.shape, [3, 8, 2])
      z.dispose()
    } finally {
      jv.dispose()
    }
  })

  it("gather_reversed_range under jit: Range and the gather indices are static", () => {
    const c = byName("gather_reversed_range")
    const f = graphCaseFunction(c, [nnPack])
    const jf = jit((x: np.Array) => f(x)[0]!)
    try {
      const [x] = dynamicInputs(c)
      const y = jf(x!)
      assert.deepStrictEqual(compare("output", y, c.outputs[0]!, 0), [])
    } finally {
      jf.dispose()
    }
  })
})

// ---------------------------------------------------------------------------------------------
// Converters called directly on static inputs

const ctxFor = (op: string): OpContext =>
  ({
    node: { name: `${op}_node`, op, inputs: [], device: "", attrs: {} },
    where: `node "${op}_node" (${op})`,
    config: {},
    rng: () => {
      throw new Error("no rng")
    },
    params: {},
    fn: () => {
      throw new Error("no functions")
    },
    requireStatic: (index: number, what: string) => {
      throw new StaticValueRequiredError({ node: `${op}_node`, op, input: String(index), what })
    },
    rawAttrs: {}
  }) as unknown as OpContext

const converter = (op: string): OpConverter<any> => arrayOps.find((c) => c.ops.includes(op))!

const i32 = (shape: number[], ...v: number[]): HostTensor => ({ dtype: "int32", shape, data: Int32Array.from(v) })
const i64 = (shape: number[], ...v: number[]): HostTensor => ({ dtype: "int64", shape, data: BigInt64Array.from(v.map(BigInt)) })
const f32 = (shape: number[], ...v: number[]): HostTensor => ({ dtype: "float32", shape, data: Float32Array.from(v) })
const sv = (t: HostTensor): Value => ({ kind: "static", tensor: t })

/** Runs `op` with inputs given as host tensors, passed in each input's mode. */
const runStatic = (op: string, inputs: ReadonlyArray<HostTensor>, attrs: Record<string, unknown> = {}): Array<Value> => {
  const c = converter(op)
  const modes = inputs.map((_, i) => {
    const m = c.inputs
    return typeof m === "string" ? m : typeof m === "function" ? m(i, inputs.length) : (m[i] ?? "value")
  })
  const prepared: Input[] = inputs.map((t, i) =>
    modes[i] === "static" ? t : modes[i] === "meta" ? { dtype: t.dtype, shape: t.shape } : sv(t)
  )
  const out = c.run(ctxFor(op), prepared, attrs)
  return Array.isArray(out) ? [...out] : [out as Value]
}

const hostOf = (v: Value): { dtype: string; shape: ReadonlyArray<number>; values: number[] } => {
  if (v.kind !== "static") throw new Error(`expected a static value, got ${v.kind}`)
  return { dtype: v.tensor.dtype, shape: v.tensor.shape, values: Array.from(hostValues(v.tensor)) }
}

const masks = { begin_mask: 0, end_mask: 0, ellipsis_mask: 0, new_axis_mask: 0, shrink_axis_mask: 0 }

describe("converters on static inputs return static values", () => {
  const x = i32([2, 3], 1, 2, 3, 4, 5, 6)
  const cases: Array<[string, () => Array<Value>, Array<{ dtype: string; shape: number[]; values: number[] }>]> = [
    ["Shape", () => runStatic("Shape", [f32([2, 3, 4])], { out_type: "int64" }), [{ dtype: "int64", shape: [3], values: [2, 3, 4] }]],
    ["ShapeN", () => runStatic("ShapeN", [f32([2]), x], { out_type: "int32" }), [
      { dtype: "int32", shape: [1], values: [2] },
      { dtype: "int32", shape: [2], values: [2, 3] }
    ]],
    ["Size", () => runStatic("Size", [x], { out_type: "int32" }), [{ dtype: "int32", shape: [], values: [6] }]],
    ["Rank", () => runStatic("Rank", [x]), [{ dtype: "int32", shape: [], values: [2] }]],
    ["Reshape", () => runStatic("Reshape", [x, i64([2], 3, -1)]), [{ dtype: "int32", shape: [3, 2], values: [1, 2, 3, 4, 5, 6] }]],
    ["Squeeze", () => runStatic("Squeeze", [i32([1, 2], 7, 8)], { squeeze_dims: [] }), [{ dtype: "int32", shape: [2], values: [7, 8] }]],
    ["ExpandDims", () => runStatic("ExpandDims", [i32([2], 7, 8), i32([], -1)]), [{ dtype: "int32", shape: [2, 1], values: [7, 8] }]],
    ["Transpose", () => runStatic("Transpose", [x, i32([2], 1, 0)]), [{ dtype: "int32", shape: [3, 2], values: [1, 4, 2, 5, 3, 6] }]],
    ["InvertPermutation", () => runStatic("InvertPermutation", [i32([3], 2, 0, 1)]), [{ dtype: "int32", shape: [3], values: [1, 2, 0] }]],
    ["ConcatV2", () => runStatic("ConcatV2", [i32([1], 4), i32([2], 5, 6), i32([], 0)]), [{ dtype: "int32", shape: [3], values: [4, 5, 6] }]],
    ["Pack", () => runStatic("Pack", [i32([], 4), i32([], 5)], { axis: 0 }), [{ dtype: "int32", shape: [2], values: [4, 5] }]],
    ["Unpack", () => runStatic("Unpack", [i32([2], 4, 5)], { num: 2, axis: 0 }), [
      { dtype: "int32", shape: [], values: [4] },
      { dtype: "int32", shape: [], values: [5] }
    ]],
    ["Fill", () => runStatic("Fill", [i32([1], 2), i64([], 9)]), [{ dtype: "int64", shape: [2], values: [9, 9] }]],
    ["Range", () => runStatic("Range", [i32([], 5), i32([], 0), i32([], -2)]), [{ dtype: "int32", shape: [3], values: [5, 3, 1] }]],
    ["ZerosLike", () => runStatic("ZerosLike", [x]), [{ dtype: "int32", shape: [2, 3], values: [0, 0, 0, 0, 0, 0] }]],
    ["OnesLike", () => runStatic("OnesLike", [i64([2], 3, 3)]), [{ dtype: "int64", shape: [2], values: [1, 1] }]],
    ["Tile", () => runStatic("Tile", [i32([2], 1, 2), i32([1], 2)]), [{ dtype: "int32", shape: [4], values: [1, 2, 1, 2] }]],
    ["BroadcastTo", () => runStatic("BroadcastTo", [i32([1], 3), i32([2], 2, 2)]), [{ dtype: "int32", shape: [2, 2], values: [3, 3, 3, 3] }]],
    ["BroadcastArgs", () => runStatic("BroadcastArgs", [i32([2], 2, 1), i32([3], 4, 1, 3)]), [{ dtype: "int32", shape: [3], values: [4, 2, 3] }]],
    ["Pad", () => runStatic("Pad", [i32([2], 1, 2), i32([1, 2], 1, 2)]), [{ dtype: "int32", shape: [5], values: [0, 1, 2, 0, 0] }]],
    ["PadV2", () => runStatic("PadV2", [i32([2], 1, 2), i32([1, 2], 1, 0), i32([], 7)]), [{ dtype: "int32", shape: [3], values: [7, 1, 2] }]],
    ["MirrorPad", () => runStatic("MirrorPad", [i32([3], 1, 2, 3), i32([1, 2], 2, 1)], { mode: "REFLECT" }), [
      { dtype: "int32", shape: [6], values: [3, 2, 1, 2, 3, 2] }
    ]],
    ["Slice", () => runStatic("Slice", [x, i32([2], 1, 1), i32([2], -1, 1)]), [{ dtype: "int32", shape: [1, 1], values: [5] }]],
    ["StridedSlice", () => runStatic("StridedSlice", [i32([3], 7, 8, 9), i32([1], -1), i32([1], 0), i32([1], 1)], { ...masks, shrink_axis_mask: 1 }), [
      { dtype: "int32", shape: [], values: [9] }
    ]],
    ["GatherV2", () => runStatic("GatherV2", [i32([3], 7, 8, 9), i32([2], 2, -3), i32([], 0)], { batch_dims: 0 }), [{ dtype: "int32", shape: [2], values: [9, 7] }]],
    ["GatherNd", () => runStatic("GatherNd", [x, i32([1, 2], 1, 2)], { bad_indices_policy: "" }), [{ dtype: "int32", shape: [1], values: [6] }]],
    ["ScatterNd", () => runStatic("ScatterNd", [i32([2, 1], 1, 1), i32([2], 3, 4), i32([1], 3)], { bad_indices_policy: "" }), [
      { dtype: "int32", shape: [3], values: [0, 7, 0] }
    ]],
    ["TensorScatterUpdate", () => runStatic("TensorScatterUpdate", [i32([3], 1, 2, 3), i32([2, 1], 0, 0), i32([2], 8, 9)], { bad_indices_policy: "" }), [
      { dtype: "int32", shape: [3], values: [9, 2, 3] }
    ]],
    ["TensorScatterAdd", () => runStatic("TensorScatterAdd", [i32([2], 1, 2), i32([1, 1], 1), i32([1], 5)], { bad_indices_policy: "" }), [
      { dtype: "int32", shape: [2], values: [1, 7] }
    ]],
    ["OneHot", () => runStatic("OneHot", [i32([2], 1, 5), i32([], 3), f32([], 1), f32([], 0)], { axis: -1 }), [
      { dtype: "float32", shape: [2, 3], values: [0, 1, 0, 0, 0, 0] }
    ]],
    ["Split", () => runStatic("Split", [i32([], 0), i32([4], 1, 2, 3, 4)], { num_split: 2 }), [
      { dtype: "int32", shape: [2], values: [1, 2] },
      { dtype: "int32", shape: [2], values: [3, 4] }
    ]],
    ["SplitV", () => runStatic("SplitV", [i32([3], 1, 2, 3), i64([2], -1, 1), i32([], 0)], { num_split: 2 }), [
      { dtype: "int32", shape: [2], values: [1, 2] },
      { dtype: "int32", shape: [1], values: [3] }
    ]],
    ["ReverseV2", () => runStatic("ReverseV2", [i32([3], 1, 2, 3), i32([1], 0)]), [{ dtype: "int32", shape: [3], values: [3, 2, 1] }]],
    ["Roll", () => runStatic("Roll", [i32([3], 1, 2, 3), i32([], 1), i32([], 0)]), [{ dtype: "int32", shape: [3], values: [3, 1, 2] }]],
    ["TopKV2", () => runStatic("TopKV2", [i32([4], 3, 9, 3, 1), i32([], 2)], { sorted: true, index_type: "int64" }), [
      { dtype: "int32", shape: [2], values: [9, 3] },
      { dtype: "int64", shape: [2], values: [1, 0] }
    ]],
    ["Where", () => runStatic("Where", [i32([2, 2], 0, 1, 1, 0)]), [{ dtype: "int64", shape: [2, 2], values: [0, 1, 1, 0] }]],
    ["MatrixBandPart", () => runStatic("MatrixBandPart", [x, i64([], 0), i64([], 1)]), [{ dtype: "int32", shape: [2, 3], values: [1, 2, 0, 0, 5, 6] }]],
    ["MatrixDiagV3", () => runStatic("MatrixDiagV3", [i32([2], 4, 5), i32([], 0), i32([], -1), i32([], -1), i32([], 0)], { align: "RIGHT_LEFT" }), [
      { dtype: "int32", shape: [2, 2], values: [4, 0, 0, 5] }
    ]],
    ["MatrixDiagPartV3", () => runStatic("MatrixDiagPartV3", [x, i32([], 1), i32([], 0)], { align: "RIGHT_LEFT" }), [
      { dtype: "int32", shape: [2], values: [2, 6] }
    ]],
    ["MatrixSetDiagV3", () => runStatic("MatrixSetDiagV3", [x, i32([2], 0, 0), i32([], 0)], { align: "RIGHT_LEFT" }), [
      { dtype: "int32", shape: [2, 3], values: [0, 2, 3, 4, 0, 6] }
    ]]
  ]
  for (const [op, run, want] of cases) {
    it(op, () => {
      const got = run().map(hostOf)
      assert.deepStrictEqual(got, want.map((w) => ({ ...w, values: w.values })))
    })
  }

  it("covers every registered array op except Empty and EnsureShape (tested elsewhere)", () => {
    const tested = new Set(cases.map(([op]) => op))
    const untested = arrayOps.flatMap((c) => c.ops).filter((op) => !tested.has(op))
    assert.deepStrictEqual(untested.sort(), [
      "Concat",
      "ConjugateTranspose",
      "Empty",
      "EnsureShape",
      "Gather",
      "MatrixDiag",
      "MatrixDiagPart",
      "MatrixDiagPartV2",
      "MatrixDiagV2",
      "MatrixSetDiag",
      "MatrixSetDiagV2",
      "Reverse",
      "TensorScatterSub"
    ])
  })

  it("large results of static inputs go to the device instead (STATIC_LIMIT)", () => {
    const [v] = runStatic("Fill", [i32([2], 300, 300), f32([], 2)])
    assert.strictEqual(v!.kind, "array")
    if (v!.kind === "array") {
      assert.deepStrictEqual(v.array.shape, [300, 300])
      v.array.dispose()
    }
  })
})
