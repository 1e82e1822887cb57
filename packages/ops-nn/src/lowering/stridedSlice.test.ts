import { describe, it, assert } from "@effect/vitest"
import { jit, numpy as np } from "@jax-js/jax"
import type { HostTensor } from "@tf2jax/core"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { installLiveBufferCounter } from "../../../core/src/test-util/liveBuffers.js"
import { fixturesDir } from "../../../core/src/test-util/paths.js"
import type { Arr } from "./common.js"
import { attr, checkCase, decodeTensor, dynamicInputs, type GoldenCase, parseGoldenFamily, staticInput } from "./goldenCases.js"
import { applyStridedSliceHost, stridedSlice, stridedSlicePlan, type StridedSliceMasks } from "./stridedSlice.js"

// Slicing moves values: exact equality (float and int), outputs and gradients.
const RTOL = 0
const family = parseGoldenFamily(readFileSync(join(fixturesDir, "ops/stridedSlice.json"), "utf8"))
const byName = (n: string): GoldenCase => family.cases.find((c) => c.name === n)!

const specOf = (c: GoldenCase) => {
  const masks: StridedSliceMasks = {
    beginMask: attr<number>(c, "begin_mask"),
    endMask: attr<number>(c, "end_mask"),
    ellipsisMask: attr<number>(c, "ellipsis_mask"),
    newAxisMask: attr<number>(c, "new_axis_mask"),
    shrinkAxisMask: attr<number>(c, "shrink_axis_mask")
  }
  return { begin: staticInput(c, "begin"), end: staticInput(c, "end"), strides: staticInput(c, "strides"), masks }
}

describe("stridedSlice vs TensorFlow", () => {
  for (const c of family.cases) {
    it(`${c.name} (eager, jit, grad)`, () => {
      const s = specOf(c)
      assert.deepStrictEqual(checkCase(c, (x) => stridedSlice(x!, s.begin, s.end, s.strides, s.masks), { rtol: RTOL }), [])
    })

    it(`${c.name} (host plan)`, () => {
      const s = specOf(c)
      const x = decodeTensor(c.inputs[0]!)
      const t: HostTensor = { dtype: "float32", shape: x.shape, data: x.data as Float32Array }
      const plan = stridedSlicePlan(x.shape, s.begin, s.end, s.strides, s.masks)
      const y = applyStridedSliceHost(t, plan)
      const e = decodeTensor(c.outputs[0]!)
      assert.deepStrictEqual(y.shape, e.shape)
      assert.deepStrictEqual(Array.from(y.data as Float32Array), Array.from(e.data))
    })
  }

  it("host plan keeps the element type (int64 as bigint, strings)", () => {
    const plan = stridedSlicePlan([4], [-1], [0], [-2], { endMask: 1 })
    const big = applyStridedSliceHost({ dtype: "int64", shape: [4], data: new BigInt64Array([1n, 2n, 3n, 4n]) }, plan)
    assert.deepStrictEqual(Array.from(big.data as BigInt64Array), [4n, 2n])
    const str = applyStridedSliceHost({ dtype: "string", shape: [4], data: ["a", "b", "c", "d"] }, plan)
    assert.deepStrictEqual(str.data, ["d", "b"])
  })

  it("rejects what TF rejects", () => {
    assert.throws(() => stridedSlicePlan([4], [0], [4], [0]), /non-zero/)
    assert.throws(() => stridedSlicePlan([4], [5], [6], [1], { shrinkAxisMask: 1 }), /out of bounds/)
    assert.throws(() => stridedSlicePlan([4, 4], [0, 0], [1, 1], [1, 1], { ellipsisMask: 3 }), /multiple ellipses/)
    assert.throws(() => stridedSlicePlan([4], [0, 0], [1, 1], [1, 1]), /out of range/)
  })

  it("leaves no live buffers behind", async () => {
    const counter = await installLiveBufferCounter()
    const cases = ["strides_2_3", "negative_stride_clamped", "ellipsis_new_axis_after", "empty_result"].map(byName)
    const run = (c: GoldenCase) => {
      const s = specOf(c)
      stridedSlice(dynamicInputs(c)[0]!, s.begin, s.end, s.strides, s.masks).dispose()
    }
    cases.forEach(run)
    const base = counter.live()
    cases.forEach(run)
    assert.strictEqual(counter.live(), base, "eager")
    const s = specOf(cases[0]!)
    const jf = jit((x: Arr) => stridedSlice(x, s.begin, s.end, s.strides, s.masks))
    jf(dynamicInputs(cases[0]!)[0]!).dispose()
    jf.dispose()
    assert.strictEqual(counter.live(), base, "jit")
    assert.throws(() => stridedSlice(np.zeros([3]), [0], [1], [0]))
    assert.strictEqual(counter.live(), base, "throw")
  })
})
