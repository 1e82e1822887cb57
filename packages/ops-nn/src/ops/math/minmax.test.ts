import { assert, describe, it } from "@effect/vitest"
import { runMathCase } from "./goldenMath.js"
import { convertWithNnPack as convert, loadMathFamily as load } from "../../test-util/mathGoldenFiles.js"

// Selects: exact values and gradients.
// Known difference: with clip_value_min > clip_value_max TF sends the gradient to both bounds
// where t is below min and above max; we send it to min (values agree).
const VALUES_ONLY = new Set(["clip_f32_lo_above_hi"])

describe("Maximum, Minimum, ClipByValue vs TensorFlow, end to end", () => {
  for (const c of load("minmax").cases) {
    it(c.name, () => assert.deepStrictEqual(runMathCase(c, convert, 0, VALUES_ONLY.has(c.name)), []))
  }
})
