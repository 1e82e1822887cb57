/**
 * Live jax-js buffers return to the baseline (DESIGN §7) after every array golden case is
 * run through the engine eagerly, under jit, grad and jit(grad) (checkCase consumes what it
 * creates), and after conversions that fail at call time.
 */
import { assert, describe, it } from "@effect/vitest"
import { jit, numpy as np } from "@jax-js/jax"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { graphCaseFunction } from "../../../../core/src/test-util/graphCase.js"
import { installLiveBufferCounter } from "../../../../core/src/test-util/liveBuffers.js"
import { fixturesDir } from "../../../../core/src/test-util/paths.js"
import { checkCase, dynamicInputs, parseGoldenFamily } from "../../lowering/goldenCases.js"
import { nnPack } from "../../pack.js"

const dir = join(fixturesDir, "ops/array")
const families = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .map((f) => parseGoldenFamily(readFileSync(join(dir, f), "utf8")))

// Same gradient exclusion as golden.test.ts (a TF gradient bug).
const NO_GRAD = new Set(["diag_v2_band"])

describe("no leaks", () => {
  for (const fam of families.filter((f) => f.family !== "staticRequired")) {
    it(`${fam.family}: every case, eager/jit/grad/jit(grad)`, async () => {
      const counter = await installLiveBufferCounter()
      for (const c of fam.cases) {
        const f = graphCaseFunction(c, [nnPack])
        const before = counter.live()
        checkCase(c, f, { rtol: 1e-6, skipGrad: NO_GRAD.has(c.name) })
        assert.strictEqual(counter.live(), before, `${c.name}: ${counter.live() - before} buffers left`)
      }
    })
  }

  it("graphs that throw StaticValueRequiredError at call time release everything", async () => {
    const counter = await installLiveBufferCounter()
    const fam = families.find((f) => f.family === "staticRequired")!
    for (const c of fam.cases) {
      const f = graphCaseFunction(c, [nnPack])
      const before = counter.live()
      assert.throws(() => f(...dynamicInputs(c)))
      assert.strictEqual(counter.live(), before, `${c.name} eager`)
      const jf = jit((...xs: np.Array[]) => f(...xs))
      const args = dynamicInputs(c)
      assert.throws(() => jf(...args))
      // jax-js's jit does not consume its arguments when tracing throws: the caller's to free.
      for (const a of args) if (a.refCount > 0) a.dispose()
      jf.dispose()
      assert.strictEqual(counter.live(), before, `${c.name} jit`)
    }
  })
})
