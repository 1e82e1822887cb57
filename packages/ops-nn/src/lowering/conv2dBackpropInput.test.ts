import { describe, it, assert } from "@effect/vitest"
import { jit } from "@jax-js/jax"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { installLiveBufferCounter } from "../../../core/src/test-util/liveBuffers.js"
import { fixturesDir } from "../../../core/src/test-util/paths.js"
import type { Arr } from "./common.js"
import { conv2dBackpropInput } from "./conv2dBackpropInput.js"
import { checkCase, checkVmapHalf, dynamicInputs, type GoldenCase, parseGoldenFamily, staticInput, windowAttrsOf } from "./goldenCases.js"

// float32 vs TF: |Δ| ≤ 1e-5 · max|TF| (+1e-7), outputs and gradients.
const RTOL = 1e-5
const family = parseGoldenFamily(readFileSync(join(fixturesDir, "ops/conv2dBackpropInput.json"), "utf8"))
const byName = (n: string): GoldenCase => family.cases.find((c) => c.name === n)!
const lowerOf = (c: GoldenCase) => {
  const sizes = staticInput(c, "input_sizes")
  const attrs = windowAttrsOf(c)
  return (w: Arr, dy: Arr) => conv2dBackpropInput(sizes, w, dy, attrs)
}

describe("conv2dBackpropInput vs TensorFlow", () => {
  for (const c of family.cases) {
    it(`${c.name} (eager, jit, grad)`, () => {
      const f = lowerOf(c)
      assert.deepStrictEqual(checkCase(c, (w, dy) => f(w!, dy!), { rtol: RTOL }), [])
    })
  }

  it("vmap over a batch of filters (and jit(vmap))", () => {
    for (const name of ["k3_s2_same_odd", "k3_explicit_s2"]) {
      const c = byName(name)
      const f = lowerOf(c)
      assert.deepStrictEqual(checkVmapHalf(c, (w, dy) => f(w!, dy!), RTOL), [], name)
    }
  })

  it("leaves no live buffers behind (eager and jit)", async () => {
    const counter = await installLiveBufferCounter()
    const c = byName("k3_s2_valid_unused_rows")
    const f = lowerOf(c)
    const run = (g: (w: Arr, dy: Arr) => Arr) => {
      const [w, dy] = dynamicInputs(c) as [Arr, Arr]
      g(w, dy).dispose()
    }
    run(f)
    const base = counter.live()
    for (let i = 0; i < 3; i++) run(f)
    assert.strictEqual(counter.live(), base, "eager")
    const jf = jit(f)
    run(jf)
    run(jf)
    jf.dispose()
    assert.strictEqual(counter.live(), base, "jit")
    const [w, dy] = dynamicInputs(c) as [Arr, Arr]
    assert.throws(() => conv2dBackpropInput([1, 99, 8, 2], w, dy, windowAttrsOf(c)))
    assert.strictEqual(counter.live(), base, "throw")
  })
})
