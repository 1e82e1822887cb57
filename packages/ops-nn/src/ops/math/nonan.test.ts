import { assert, describe, it } from "@effect/vitest"
import { runMathCase } from "./goldenMath.js"
import { convertWithNnPack as convert, loadMathFamily as load } from "../../test-util/mathGoldenFiles.js"

// One rounding (plus a float32 log): 1e-6 of the output scale.
// Known difference: MulNoNan's ∂y at y = 0 for a NaN/∞ x is 0 here, TF's is x·g (values agree).
const VALUES_ONLY = new Set(["mulnonan_nonfinite_x"])

describe("DivNoNan, MulNoNan, Xdivy, Xlogy, Xlog1py vs TensorFlow, end to end", () => {
  for (const c of load("nonan").cases) {
    it(c.name, () => assert.deepStrictEqual(runMathCase(c, convert, 1e-6, VALUES_ONLY.has(c.name)), []))
  }
})
