import { describe, it, assert } from "@effect/vitest"
import { jit } from "@jax-js/jax"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { installLiveBufferCounter } from "../../../core/src/test-util/liveBuffers.js"
import { fixturesDir } from "../../../core/src/test-util/paths.js"
import { conv2d, conv2dFilterInfo, conv2dPrepared, prepareConv2dFilter } from "./conv2d.js"
import { checkCase, checkVmapHalf, compare, dynamicInputs, type GoldenCase, parseGoldenFamily, windowAttrsOf } from "./goldenCases.js"
import type { Arr } from "./common.js"

// float32 vs TF: |Δ| ≤ 1e-5 · max|TF| (+1e-7), outputs and gradients.
const RTOL = 1e-5
const family = parseGoldenFamily(readFileSync(join(fixturesDir, "ops/conv2d.json"), "utf8"))
const byName = (n: string): GoldenCase => family.cases.find((c) => c.name === n)!

describe("conv2d vs TensorFlow", () => {
  for (const c of family.cases) {
    it(`${c.name} (eager, jit, grad)`, () => {
      const attrs = windowAttrsOf(c)
      assert.deepStrictEqual(checkCase(c, (x, w) => conv2d(x, w, attrs), { rtol: RTOL }), [])
    })
  }

  it("prepared filter (conversion-time weight layout) gives the same result", () => {
    for (const name of ["k3_s2_same_odd", "grouped_g3_s2_valid", "k1_s1_valid_matmul"]) {
      const c = byName(name)
      const attrs = windowAttrsOf(c)
      const [x, w] = dynamicInputs(c) as [Arr, Arr]
      const info = conv2dFilterInfo(w.shape, x.shape[3]!)
      const prepared = prepareConv2dFilter(w, info.groups)
      assert.deepStrictEqual(compare(name, conv2dPrepared(x, prepared, info, attrs), c.outputs[0]!, RTOL), [])
    }
  })

  it("vmap over an extra batch axis (and jit(vmap))", () => {
    for (const name of ["k3_s2_same_odd", "k3_s2_d2_explicit", "grouped_g2", "nchw_k3_s2_same", "k1_s1_valid_matmul"]) {
      const c = byName(name)
      const attrs = windowAttrsOf(c)
      assert.deepStrictEqual(checkVmapHalf(c, (x, w) => conv2d(x!, w!, attrs), RTOL), [], name)
    }
  })

  it("leaves no live buffers behind (eager and jit)", async () => {
    const counter = await installLiveBufferCounter()
    const c = byName("k3_s2_d2_explicit")
    const attrs = windowAttrsOf(c)
    const run = (f: (x: Arr, w: Arr) => Arr) => {
      const [x, w] = dynamicInputs(c) as [Arr, Arr]
      f(x, w).dispose()
    }
    run((x, w) => conv2d(x, w, attrs)) // warm-up (host caches)
    const base = counter.live()
    for (let i = 0; i < 3; i++) run((x, w) => conv2d(x, w, attrs))
    run((x, w) => conv2d(x, w, { ...windowAttrsOf(byName("k1_s1_valid_matmul")), strides: [1, 1, 1, 1], padding: "VALID" }))
    assert.strictEqual(counter.live(), base, "eager")
    const jf = jit((x: Arr, w: Arr) => conv2d(x, w, attrs))
    run(jf)
    run(jf)
    jf.dispose()
    assert.strictEqual(counter.live(), base, "jit")
    // A failing call consumes its arguments too.
    const [x, w] = dynamicInputs(c) as [Arr, Arr]
    assert.throws(() => conv2d(x, w, { ...attrs, padding: "BOGUS" }))
    assert.strictEqual(counter.live(), base, "throw")
  })
})
