import { describe, it, assert } from "@effect/vitest"
import { jit } from "@jax-js/jax"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { installLiveBufferCounter } from "../../../core/src/test-util/liveBuffers.js"
import { fixturesDir } from "../../../core/src/test-util/paths.js"
import type { Arr } from "./common.js"
import { depthwiseConv2d, depthwiseConv2dPrepared, prepareDepthwiseFilter } from "./depthwiseConv2d.js"
import { checkCase, checkVmapHalf, compare, dynamicInputs, type GoldenCase, parseGoldenFamily, windowAttrsOf } from "./goldenCases.js"

// float32 vs TF: |Δ| ≤ 1e-5 · max|TF| (+1e-7), outputs and gradients.
const RTOL = 1e-5
const family = parseGoldenFamily(readFileSync(join(fixturesDir, "ops/depthwiseConv2d.json"), "utf8"))
const byName = (n: string): GoldenCase => family.cases.find((c) => c.name === n)!

describe("depthwiseConv2d vs TensorFlow", () => {
  for (const c of family.cases) {
    it(`${c.name} (eager, jit, grad)`, () => {
      const attrs = windowAttrsOf(c)
      assert.deepStrictEqual(checkCase(c, (x, w) => depthwiseConv2d(x!, w!, attrs), { rtol: RTOL }), [])
    })
  }

  it("prepared filter gives the same result", () => {
    for (const name of ["k3_s1_same_m2", "k3_s2_explicit_m1"]) {
      const c = byName(name)
      const [x, w] = dynamicInputs(c) as [Arr, Arr]
      const [kh, kw, , m] = w.shape as [number, number, number, number]
      const y = depthwiseConv2dPrepared(x, prepareDepthwiseFilter(w), { kh, kw, multiplier: m }, windowAttrsOf(c))
      assert.deepStrictEqual(compare(name, y, c.outputs[0]!, RTOL), [])
    }
  })

  it("vmap over an extra batch axis (and jit(vmap))", () => {
    for (const name of ["k3_s2_same_m1_odd", "k3_explicit_m3", "k3_d2_same_m1", "nchw_k3_s2_same_m2"]) {
      const c = byName(name)
      const attrs = windowAttrsOf(c)
      assert.deepStrictEqual(checkVmapHalf(c, (x, w) => depthwiseConv2d(x!, w!, attrs), RTOL), [], name)
    }
  })

  it("leaves no live buffers behind (eager and jit)", async () => {
    const counter = await installLiveBufferCounter()
    const c = byName("k3_explicit_m3")
    const attrs = windowAttrsOf(c)
    const run = (f: (x: Arr, w: Arr) => Arr) => {
      const [x, w] = dynamicInputs(c) as [Arr, Arr]
      f(x, w).dispose()
    }
    run((x, w) => depthwiseConv2d(x, w, attrs))
    const base = counter.live()
    for (let i = 0; i < 3; i++) run((x, w) => depthwiseConv2d(x, w, attrs))
    assert.strictEqual(counter.live(), base, "eager")
    const jf = jit((x: Arr, w: Arr) => depthwiseConv2d(x, w, attrs))
    run(jf)
    run(jf)
    jf.dispose()
    assert.strictEqual(counter.live(), base, "jit")
    const [x, w] = dynamicInputs(c) as [Arr, Arr]
    assert.throws(() => depthwiseConv2d(x, w.slice([], [], [0, 1]), attrs))
    assert.strictEqual(counter.live(), base, "throw")
  })
})
