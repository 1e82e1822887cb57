import { assert, describe, it } from "@effect/vitest"
import { runMathCase } from "./goldenMath.js"
import { convertWithNnPack as convert, loadMathFamily as load } from "../../test-util/mathGoldenFiles.js"

// Sums in a different order than TF's: 2e-6 of the output scale.
// Known difference: Max/Min over a slice containing NaN: TF's gradient is NaN for the whole slice
// (0 of 0 maxima selected), jax-js's is 0 (values agree).
const VALUES_ONLY = new Set(["max_nan"])

describe("reductions vs TensorFlow, end to end", () => {
  for (const c of load("reductions").cases) {
    it(c.name, () => assert.deepStrictEqual(runMathCase(c, convert, 2e-6, VALUES_ONLY.has(c.name)), []))
  }
})
