/**
 * Typed errors of the array converters:
 * - StaticValueRequiredError, naming the node and the input, for TF graphs whose shape-like
 *   inputs are placeholders (fixtures/ops/array/staticRequired.json), eagerly and under jit;
 * - InvalidAttrError / ConversionError naming the node for inputs TF rejects;
 * - nothing is leaked when a converter throws (its array inputs are released).
 */
import { assert, describe, it } from "@effect/vitest"
import { jit, numpy as np } from "@jax-js/jax"
import type { BuildContext, HostTensor, Input, OpContext, OpConverter, Value } from "@tf2jax/core"
import { ConversionError, InvalidAttrError, StaticValueRequiredError } from "@tf2jax/core"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { installLiveBufferCounter } from "../../../../core/src/test-util/liveBuffers.js"
import { decodeGraphDef, graphCaseFunction } from "../../../../core/src/test-util/graphCase.js"
import { fixturesDir } from "../../../../core/src/test-util/paths.js"
import { dynamicInputs, parseGoldenFamily } from "../../lowering/goldenCases.js"
import { nnPack } from "../../pack.js"
import { arrayOps } from "./index.js"

const family = parseGoldenFamily(readFileSync(join(fixturesDir, "ops/array/staticRequired.json"), "utf8"))

/** The input (by position) each case feeds from a placeholder although it must be static. */
const TRACED_INPUT: Readonly<Record<string, number>> = {
  reshape_traced_shape: 1,
  tile_traced_multiples: 1,
  slice_traced_begin: 1,
  where_traced: 0,
  range_traced_limit: 1,
  fill_traced_dims: 0
}

const thrown = (f: () => unknown): unknown => {
  try {
    f()
  } catch (e) {
    return e
  }
  return undefined
}

describe("StaticValueRequiredError for traced shape inputs (TF graphs)", () => {
  for (const c of family.cases) {
    it(`${c.name}: names the node and input, eagerly and under jit`, () => {
      const node = decodeGraphDef(c.graph.graph_def_base64, c.name).nodes.find((n) => n.op === c.op)!
      const f = graphCaseFunction(c, [nnPack])
      const check = (e: unknown) => {
        // By tag: in tests the engine comes from core's sources and @tf2jax/core from its dist,
        // so the error classes are distinct objects.
        assert.strictEqual((e as { _tag?: string })._tag, "StaticValueRequiredError", String(e))
        const err = e as StaticValueRequiredError
        assert.strictEqual(err.node, node.name)
        assert.strictEqual(err.op, c.op)
        assert.strictEqual(err.input, String(TRACED_INPUT[c.name]))
        assert.include(err.message, `node "${node.name}" (${c.op}) needs input ${TRACED_INPUT[c.name]} to be static`)
      }
      check(thrown(() => f(...dynamicInputs(c))))
      const jf = jit((...xs: np.Array[]) => f(...xs))
      try {
        check(thrown(() => jf(...dynamicInputs(c))))
      } finally {
        jf.dispose()
      }
    })
  }
})

// ---------------------------------------------------------------------------------------------

const ctxFor = (op: string): OpContext =>
  ({
    node: { name: `my_${op}`, op, inputs: [], device: "", attrs: {} },
    where: `node "my_${op}" (${op})`,
    config: {},
    requireStatic: (index: number, what: string) => {
      throw new StaticValueRequiredError({ node: `my_${op}`, op, input: String(index), what })
    },
    rawAttrs: {}
  }) as unknown as OpContext

const converter = (op: string): OpConverter<any> => arrayOps.find((c) => c.ops.includes(op))!
const i32 = (shape: number[], ...v: number[]): HostTensor => ({ dtype: "int32", shape, data: Int32Array.from(v) })
const arr = (shape: number[]): Value => ({ kind: "array", array: np.ones(shape), dtype: "float32" })
const sv = (t: HostTensor): Value => ({ kind: "static", tensor: t })

const run = (op: string, inputs: ReadonlyArray<Input>, attrs: Record<string, unknown> = {}): unknown =>
  thrown(() => converter(op).run(ctxFor(op), inputs, attrs))

const masks = { begin_mask: 0, end_mask: 0, ellipsis_mask: 0, new_axis_mask: 0, shrink_axis_mask: 0 }

describe("invalid inputs and attrs name the node; inputs are released", () => {
  const cases: Array<[string, () => unknown, typeof ConversionError | typeof InvalidAttrError, string]> = [
    ["Reshape to a wrong element count", () => run("Reshape", [arr([2, 3]), i32([2], 4, 2)]), ConversionError, "cannot reshape [2,3]"],
    ["Reshape with two -1", () => run("Reshape", [arr([2, 3]), i32([2], -1, -1)]), ConversionError, "only one dimension"],
    ["Squeeze of a non-1 dim", () => run("Squeeze", [arr([2, 1])], { squeeze_dims: [0] }), ConversionError, "cannot squeeze dimension 0"],
    ["ExpandDims out of range", () => run("ExpandDims", [arr([2]), i32([], 3)]), ConversionError, "out of range"],
    ["EnsureShape mismatch", () => run("EnsureShape", [arr([2, 3])], { shape: [2, -1, 1] }), ConversionError, "not compatible"],
    ["Transpose with a bad perm", () => run("Transpose", [arr([2, 3]), i32([2], 0, 0)]), ConversionError, "not a permutation"],
    ["ConcatV2 of mismatched shapes", () => run("ConcatV2", [arr([2, 3]), arr([3, 3]), i32([], 1)]), ConversionError, "do not match"],
    ["Pack of mismatched shapes", () => run("Pack", [arr([2]), arr([3])], { axis: 0 }), ConversionError, "differ"],
    ["Unpack with a wrong num", () => run("Unpack", [arr([2, 3])], { num: 3, axis: 0 }), ConversionError, "is not num"],
    ["Fill with negative dims", () => run("Fill", [i32([1], -2), arr([])]), ConversionError, "non-negative"],
    ["Range with delta 0", () => run("Range", [i32([], 0), i32([], 3), i32([], 0)]), ConversionError, "delta must not be zero"],
    ["Range going the wrong way", () => run("Range", [i32([], 5), i32([], 3), i32([], 1)]), ConversionError, "requires start <= limit"],
    ["Tile with too few multiples", () => run("Tile", [arr([2, 3]), i32([1], 2)]), ConversionError, "multiples"],
    ["BroadcastTo an incompatible shape", () => run("BroadcastTo", [arr([3]), i32([1], 4)]), ConversionError, "cannot broadcast"],
    ["Pad with negative paddings", () => run("Pad", [arr([2]), i32([1, 2], -1, 0)]), ConversionError, "non-negative"],
    ["MirrorPad REFLECT as wide as the dim", () => run("MirrorPad", [arr([3]), i32([1, 2], 3, 0)], { mode: "REFLECT" }), ConversionError, "at most 2"],
    ["Slice past the end", () => run("Slice", [arr([4]), i32([1], 2), i32([1], 3)]), ConversionError, "out of bounds"],
    ["StridedSlice with stride 0", () => run("StridedSlice", [arr([4]), i32([1], 0), i32([1], 4), i32([1], 0)], masks), InvalidAttrError, "non-zero"],
    ["GatherV2 with a static index out of range", () => run("GatherV2", [arr([3, 2]), sv(i32([1], 3)), i32([], 0)], { batch_dims: 0 }), ConversionError, "out of range"],
    ["GatherV2 with batch_dims > axis", () => run("GatherV2", [arr([2, 3]), sv(i32([2, 1], 0, 0)), i32([], 0)], { batch_dims: 1 }), InvalidAttrError, "batch_dims"],
    ["ScatterNd with a static index out of range", () => run("ScatterNd", [sv(i32([1, 1], 5)), arr([1]), i32([1], 3)], { bad_indices_policy: "" }), ConversionError, "out of bounds"],
    ["Split into unequal parts", () => run("Split", [i32([], 0), arr([5])], { num_split: 2 }), ConversionError, "not divisible"],
    ["SplitV sizes that do not add up", () => run("SplitV", [arr([5]), i32([2], 2, 2), i32([], 0)], { num_split: 2 }), ConversionError, "do not add up"],
    ["ReverseV2 naming an axis twice", () => run("ReverseV2", [arr([2, 2]), i32([2], 0, -2)]), ConversionError, "twice"],
    ["TopKV2 with k > n", () => run("TopKV2", [arr([2, 3]), i32([], 4)], { sorted: true, index_type: "int32" }), ConversionError, "k = 4"],
    ["OneHot with a negative depth", () => run("OneHot", [arr([2]), i32([], -1), arr([]), arr([])], { axis: -1 }), ConversionError, "depth"],
    ["MatrixBandPart with num_lower > rows", () => run("MatrixBandPart", [arr([2, 2]), i32([], 3), i32([], 0)]), ConversionError, "num_lower"],
    ["MatrixDiagV3 with a wrong diagonal count", () => run("MatrixDiagV3", [arr([3, 2]), i32([2], -1, 0), i32([], -1), i32([], -1), arr([])], { align: "RIGHT_LEFT" }), ConversionError, "must hold 2 diagonals"],
    ["MatrixSetDiagV3 with a wrong diagonal shape", () => run("MatrixSetDiagV3", [arr([3, 3]), arr([2]), i32([], 0)], { align: "RIGHT_LEFT" }), ConversionError, "must have shape [3]"]
  ]
  for (const [name, f, type, text] of cases) {
    it(name, async () => {
      const counter = await installLiveBufferCounter()
      const before = counter.live()
      const e = f()
      assert.instanceOf(e, type as new (...args: never[]) => unknown)
      const op = (e as { node?: string; where?: string }).node ?? (e as { where: string }).where
      assert.include(op, "my_")
      assert.include((e as Error).message, text)
      assert.strictEqual(counter.live(), before, "array inputs were released")
    })
  }

  it("Where on a traced input: StaticValueRequiredError, input released", async () => {
    const counter = await installLiveBufferCounter()
    const before = counter.live()
    const e = run("Where", [{ kind: "array", array: np.array([1, 0, 1]), dtype: "float32" }])
    assert.instanceOf(e, StaticValueRequiredError)
    assert.strictEqual((e as StaticValueRequiredError).node, "my_Where")
    assert.strictEqual(counter.live(), before)
  })

  it("unsupported attr values fail at conversion (check)", () => {
    const build = (op: string): BuildContext => ({ node: { name: `my_${op}`, op, inputs: [], device: "", attrs: {} }, where: `node "my_${op}" (${op})`, config: {}, library: {} }) as unknown as BuildContext
    const checks: Array<[string, Record<string, unknown>, string]> = [
      ["MirrorPad", { mode: "EDGE" }, "mode"],
      ["Shape", { out_type: "float32" }, "out_type"],
      ["MatrixDiagV3", { align: "CENTER" }, "align"],
      ["GatherNd", { bad_indices_policy: "WRAP" }, "bad_indices_policy"],
      ["TopKV2", { sorted: true, index_type: "uint8" }, "index_type"]
    ]
    for (const [op, attrs, attr] of checks) {
      const e = thrown(() => converter(op).check!(attrs, build(op)))
      assert.instanceOf(e, InvalidAttrError, op)
      assert.strictEqual((e as InvalidAttrError).attr, attr)
      assert.strictEqual((e as InvalidAttrError).node, `my_${op}`)
    }
  })
})
