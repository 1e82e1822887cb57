import { describe, it, assert } from "@effect/vitest"
import { jit } from "@jax-js/jax"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { installLiveBufferCounter } from "../../../core/src/test-util/liveBuffers.js"
import { fixturesDir } from "../../../core/src/test-util/paths.js"
import type { Arr } from "./common.js"
import { attr, checkCase, checkVmapHalf, dynamicInputs, type GoldenCase, parseGoldenFamily, staticInput } from "./goldenCases.js"
import { resizeBilinear, resizeNearestNeighbor } from "./resize.js"

// float32 vs TF: |Δ| ≤ 1e-5 · max|TF| (+1e-7), outputs and gradients; nearest is exact.
const RTOL = 1e-5
const family = parseGoldenFamily(readFileSync(join(fixturesDir, "ops/resize.json"), "utf8"))
const byName = (n: string): GoldenCase => family.cases.find((c) => c.name === n)!

const lowerOf = (c: GoldenCase): ((x: Arr) => Arr) => {
  const size = staticInput(c, "size")
  const attrs = { alignCorners: attr<boolean>(c, "align_corners"), halfPixelCenters: attr<boolean>(c, "half_pixel_centers") }
  return c.op === "ResizeBilinear" ? (x) => resizeBilinear(x, size, attrs) : (x) => resizeNearestNeighbor(x, size, attrs)
}

describe("resize vs TensorFlow", () => {
  for (const c of family.cases) {
    it(`${c.name} (eager, jit, grad)`, () => {
      const f = lowerOf(c)
      assert.deepStrictEqual(checkCase(c, (x) => f(x!), { rtol: RTOL }), [])
    })
  }

  it("vmap over an extra batch axis (and jit(vmap))", () => {
    for (const name of ["bilinear_mixed_half", "bilinear_up_align", "nearest_down_legacy"]) {
      const c = byName(name)
      const f = lowerOf(c)
      assert.deepStrictEqual(checkVmapHalf(c, (x) => f(x!), RTOL), [], name)
    }
  })

  it("leaves no live buffers behind", async () => {
    const counter = await installLiveBufferCounter()
    const cases = ["bilinear_mixed_half", "nearest_up_align"].map(byName)
    for (const c of cases) lowerOf(c)(dynamicInputs(c)[0]!).dispose()
    const base = counter.live()
    for (const c of cases) lowerOf(c)(dynamicInputs(c)[0]!).dispose()
    assert.strictEqual(counter.live(), base, "eager")
    const jf = jit(lowerOf(cases[0]!))
    jf(dynamicInputs(cases[0]!)[0]!).dispose()
    jf.dispose()
    assert.strictEqual(counter.live(), base, "jit")
    assert.throws(() => resizeBilinear(dynamicInputs(cases[0]!)[0]!, [4, 4], { alignCorners: true, halfPixelCenters: true }))
    assert.strictEqual(counter.live(), base, "throw")
  })
})
