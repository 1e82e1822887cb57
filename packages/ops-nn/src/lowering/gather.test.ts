import { describe, it, assert } from "@effect/vitest"
import { jit, numpy as np, vmap } from "@jax-js/jax"
import type { HostTensor } from "@tf2jax/core"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { installLiveBufferCounter } from "../../../core/src/test-util/liveBuffers.js"
import { fixturesDir } from "../../../core/src/test-util/paths.js"
import type { Arr } from "./common.js"
import { gatherNd, gatherV2, scatterNd } from "./gather.js"
import { attr, checkCase, compare, decodeTensor, dynamicInputs, type GoldenCase, parseGoldenFamily, staticInput, toArray } from "./goldenCases.js"

// Gathers move values: exact. ScatterNd sums duplicates: float32 |Δ| ≤ 1e-6 · max|TF|.
const RTOL = 1e-6
const family = parseGoldenFamily(readFileSync(join(fixturesDir, "ops/gather.json"), "utf8"))
const byName = (n: string): GoldenCase => family.cases.find((c) => c.name === n)!

const lowerOf = (c: GoldenCase): ((...xs: Arr[]) => Arr) => {
  switch (c.op) {
    case "GatherV2": {
      const axis = staticInput(c, "axis")[0]!
      return (p, i) => gatherV2(p!, i!, axis, attr<number>(c, "batch_dims"))
    }
    case "GatherNd":
      return (p, i) => gatherNd(p!, i!)
    default: {
      const shape = staticInput(c, "shape")
      return (i, u) => scatterNd(i!, u!, shape)
    }
  }
}

/** The case's indices as a host tensor, optionally shifted by −n where `neg(k)`. */
const hostIndices = (c: GoldenCase, shift?: (value: number, flat: number) => number): HostTensor => {
  const i = decodeTensor(c.inputs.find((x) => x.name === "indices")!)
  const data = Int32Array.from(i.data, (v, k) => (shift ? shift(v, k) : v))
  return { dtype: "int32", shape: i.shape, data }
}

describe("gather / scatter vs TensorFlow", () => {
  for (const c of family.cases) {
    it(`${c.name} (eager, jit, grad)`, () => {
      assert.deepStrictEqual(checkCase(c, lowerOf(c), { rtol: RTOL }), [])
    })
  }

  it("static (host) indices give the same results", () => {
    for (const c of family.cases) {
      const idx = hostIndices(c)
      let y: Arr
      if (c.op === "ScatterNd") y = scatterNd(idx, toArray(c.inputs[1]!), staticInput(c, "shape"))
      else if (c.op === "GatherNd") y = gatherNd(toArray(c.inputs[0]!), idx)
      else y = gatherV2(toArray(c.inputs[0]!), idx, staticInput(c, "axis")[0]!, attr<number>(c, "batch_dims"))
      assert.deepStrictEqual(compare(c.name, y, c.outputs[0]!, RTOL), [])
    }
  })

  it("negative indices wrap (device and host), matching TF on the wrapped indices", () => {
    for (const name of ["v2_axis0", "v2_axis1_matrix_indices", "v2_batch_dims1_axis2", "nd_full_index", "nd_batched_indices"]) {
      const c = byName(name)
      const params = decodeTensor(c.inputs[0]!)
      const nd = c.op === "GatherNd"
      const k = nd ? c.inputs[1]!.shape.at(-1)! : 1
      const axis = nd ? 0 : staticInput(c, "axis")[0]!
      const dimOf = (flat: number) => (nd ? params.shape[flat % k]! : params.shape[axis < 0 ? axis + params.shape.length : axis]!)
      const neg = hostIndices(c, (v, flat) => (flat % 2 === 0 ? v - dimOf(flat) : v))
      const run = (idx: Arr | HostTensor) =>
        nd ? gatherNd(toArray(c.inputs[0]!), idx) : gatherV2(toArray(c.inputs[0]!), idx, axis, attr<number>(c, "batch_dims"))
      assert.deepStrictEqual(compare(`${name} host`, run(neg), c.outputs[0]!, 0), [])
      const dev = np.array(neg.data as Int32Array, { dtype: np.int32, shape: [...neg.shape] })
      assert.deepStrictEqual(compare(`${name} device`, run(dev), c.outputs[0]!, 0), [])
      const jf = jit((p: Arr, i: Arr) => (nd ? gatherNd(p, i) : gatherV2(p, i, axis, attr<number>(c, "batch_dims"))))
      const dev2 = np.array(neg.data as Int32Array, { dtype: np.int32, shape: [...neg.shape] })
      assert.deepStrictEqual(compare(`${name} jit`, jf(toArray(c.inputs[0]!), dev2), c.outputs[0]!, 0), [])
      jf.dispose()
    }
  })

  it("out-of-range: traced gather indices clamp, static ones throw, scatter drops them", () => {
    const p = () => np.array([10, 20, 30])
    const i = np.array([5, -7, 1], { dtype: np.int32 })
    assert.deepStrictEqual(gatherV2(p(), i, 0).js(), [30, 10, 20])
    const jf = jit((a: Arr, b: Arr) => gatherV2(a, b, 0))
    assert.deepStrictEqual(jf(p(), np.array([5, -7, 1], { dtype: np.int32 })).js(), [30, 10, 20])
    jf.dispose()
    assert.throws(() => gatherV2(p(), { dtype: "int32", shape: [1], data: new Int32Array([3]) }, 0), /out of range/)
    const s = scatterNd(np.array([[1], [7], [-1], [1]], { dtype: np.int32 }), np.array([1, 2, 4, 8]), [3])
    assert.deepStrictEqual(s.js(), [0, 9, 0])
    const sh = scatterNd({ dtype: "int32", shape: [2, 1], data: new Int32Array([3, 0]) }, np.array([1, 2]), [3])
    assert.deepStrictEqual(sh.js(), [2, 0, 0])
  })

  it("vmap over params / updates (and jit(vmap) where jax-js allows)", () => {
    const c = byName("v2_batch_dims1_axis2")
    const f = lowerOf(c)
    const [p, i] = dynamicInputs(c) as [Arr, Arr]
    const y = vmap(f, [0, null])(np.stack([p.ref, p.mul(2)]), i)
    assert.deepStrictEqual(compare("vmap gather [0]", y.ref.slice(0), c.outputs[0]!, 0), [])
    assert.deepStrictEqual(compare("vmap gather [1]", y.slice(1).mul(0.5), c.outputs[0]!, 0), [])
    const s = byName("scatter_nd_rows")
    const [si, su] = dynamicInputs(s) as [Arr, Arr]
    const z = vmap(lowerOf(s), [null, 0])(si, np.stack([su.ref, su.mul(2)]))
    assert.deepStrictEqual(compare("vmap scatter [1]", z.slice(1).mul(0.5), s.outputs[0]!, RTOL), [])
  })

  it("leaves no live buffers behind", async () => {
    const counter = await installLiveBufferCounter()
    const cases = ["v2_batch_dims2", "nd_batched_indices", "scatter_nd_batched_indices"].map(byName)
    const run = (c: GoldenCase) => lowerOf(c)(...dynamicInputs(c)).dispose()
    cases.forEach(run)
    const base = counter.live()
    cases.forEach(run)
    assert.strictEqual(counter.live(), base, "eager")
    for (const c of cases) {
      const jf = jit(lowerOf(c))
      jf(...dynamicInputs(c)).dispose()
      jf.dispose()
    }
    assert.strictEqual(counter.live(), base, "jit")
    assert.throws(() => gatherV2(np.zeros([3]), np.zeros([2], { dtype: np.int32 }), 1))
    assert.strictEqual(counter.live(), base, "throw")
  })
})
