import { describe, it, assert } from "@effect/vitest"
import { jit, numpy as np, vmap } from "@jax-js/jax"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { installLiveBufferCounter } from "../../../core/src/test-util/liveBuffers.js"
import { fixturesDir } from "../../../core/src/test-util/paths.js"
import type { Arr } from "./common.js"
import { checkCase, compare, dynamicInputs, type GoldenCase, parseGoldenFamily, staticInput } from "./goldenCases.js"
import { argMax, argMin, topK } from "./reduceIndex.js"

// Selection: exact values and indices (int64 indices compared as int32), exact gradients.
const RTOL = 0
const family = parseGoldenFamily(readFileSync(join(fixturesDir, "ops/reduceIndex.json"), "utf8"))
const byName = (n: string): GoldenCase => family.cases.find((c) => c.name === n)!

const lowerOf = (c: GoldenCase): ((x: Arr) => Arr | Arr[]) => {
  if (c.op === "TopKV2") {
    const k = staticInput(c, "k")[0]!
    return (x) => topK(x, k)
  }
  const axis = staticInput(c, "dimension")[0]!
  return c.op === "ArgMax" ? (x) => argMax(x, axis) : (x) => argMin(x, axis)
}

describe("TopKV2 / ArgMax / ArgMin vs TensorFlow", () => {
  for (const c of family.cases) {
    it(`${c.name} (eager, jit, grad)`, () => {
      const f = lowerOf(c)
      assert.deepStrictEqual(checkCase(c, (x) => f(x!), { rtol: RTOL }), [])
    })
  }

  it("vmap", () => {
    const c = byName("topk_ties")
    const [x] = dynamicInputs(c) as [Arr]
    const [v, i] = vmap((t: Arr) => topK(t, 4), [0])(np.stack([x.ref, x.mul(2)])) as unknown as [Arr, Arr]
    assert.deepStrictEqual(compare("values", v.slice(1).mul(0.5), c.outputs[0]!, 0), [])
    assert.deepStrictEqual(compare("indices", i.slice(1), c.outputs[1]!, 0), [])
    const a = byName("argmax_ties_neg_axis")
    const [y] = dynamicInputs(a) as [Arr]
    const r = vmap((t: Arr) => argMax(t, -1), [0])(np.stack([y.ref, y]))
    assert.deepStrictEqual(compare("argmax", r.slice(1), a.outputs[0]!, 0), [])
  })

  it("leaves no live buffers behind", async () => {
    const counter = await installLiveBufferCounter()
    // Outputs are read (which also releases them): jax-js 0.1.25 keeps the buffers of a chain of
    // sort/top-k routines (the two-stage path) that never ran when the final arrays are disposed
    // unread.
    const run = (c: GoldenCase) => {
      const r = lowerOf(c)(dynamicInputs(c)[0]!)
      for (const t of Array.isArray(r) ? r : [r]) t.dataSync()
    }
    family.cases.forEach(run)
    const base = counter.live()
    family.cases.forEach(run)
    assert.strictEqual(counter.live(), base, "eager")
    const jf = jit((x: Arr) => topK(x, 3))
    for (const t of jf(dynamicInputs(byName("topk_k3"))[0]!)) t.dispose()
    jf.dispose()
    assert.strictEqual(counter.live(), base, "jit")
    assert.throws(() => topK(np.zeros([3]), 4))
    assert.throws(() => argMax(np.zeros([3]), 1))
    assert.strictEqual(counter.live(), base, "throw")
  })
})
