import { describe, it, assert } from "@effect/vitest"
import { jit } from "@jax-js/jax"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { installLiveBufferCounter } from "../../../core/src/test-util/liveBuffers.js"
import { fixturesDir } from "../../../core/src/test-util/paths.js"
import type { Arr } from "./common.js"
import { attr, checkCase, checkVmapHalf, dynamicInputs, type GoldenCase, parseGoldenFamily, staticInput } from "./goldenCases.js"
import { avgPool, maxPool, type PoolAttrs } from "./pool.js"

// float32 vs TF: |Δ| ≤ 1e-5 · max|TF| (+1e-7); int32 exact.
const RTOL = 1e-5
const family = parseGoldenFamily(readFileSync(join(fixturesDir, "ops/pool.json"), "utf8"))
const byName = (n: string): GoldenCase => family.cases.find((c) => c.name === n)!

const lowerOf = (c: GoldenCase): ((x: Arr) => Arr) => {
  const v2 = c.op === "MaxPoolV2"
  const attrs: PoolAttrs = {
    ksize: v2 ? staticInput(c, "ksize") : attr<number[]>(c, "ksize"),
    strides: v2 ? staticInput(c, "strides") : attr<number[]>(c, "strides"),
    padding: attr<string>(c, "padding"),
    explicitPaddings: attr<number[] | undefined>(c, "explicit_paddings") ?? [],
    dataFormat: attr<string>(c, "data_format")
  }
  return c.op === "AvgPool" ? (x) => avgPool(x, attrs) : (x) => maxPool(x, attrs)
}

describe("pool vs TensorFlow", () => {
  for (const c of family.cases) {
    it(`${c.name} (eager, jit, grad)`, () => {
      const f = lowerOf(c)
      assert.deepStrictEqual(checkCase(c, (x) => f(x!), { rtol: RTOL }), [])
    })
  }

  it("vmap over an extra batch axis (and jit(vmap))", () => {
    for (const name of ["max_k2_s2_valid", "max_k3_s2_same_odd", "max_k3_s2_explicit", "avg_k3_s2_same_odd", "avg_nchw_k2_s2_same"]) {
      const c = byName(name)
      const f = lowerOf(c)
      assert.deepStrictEqual(checkVmapHalf(c, (x) => f(x!), RTOL), [], name)
    }
  })

  it("leaves no live buffers behind (eager and jit)", async () => {
    const counter = await installLiveBufferCounter()
    const cases = ["max_k3_s2_same_odd", "avg_k23_s12_same", "max_k2_s2_valid"].map(byName)
    const run = (c: GoldenCase, g: (x: Arr) => Arr) => g(dynamicInputs(c)[0]!).dispose()
    for (const c of cases) run(c, lowerOf(c))
    const base = counter.live()
    for (const c of cases) run(c, lowerOf(c))
    assert.strictEqual(counter.live(), base, "eager")
    for (const c of cases) {
      const jf = jit(lowerOf(c))
      run(c, jf)
      run(c, jf)
      jf.dispose()
    }
    assert.strictEqual(counter.live(), base, "jit")
    assert.throws(() => maxPool(dynamicInputs(cases[0]!)[0]!, { ksize: [2, 2, 2, 1], strides: [1, 1, 1, 1], padding: "SAME" }))
    assert.strictEqual(counter.live(), base, "throw")
  })
})
