import { assert, describe, it } from "@effect/vitest"
import { runMathCase } from "./goldenMath.js"
import { convertWithNnPack as convert, loadMathFamily as load } from "../../test-util/mathGoldenFiles.js"

// Scans in a different order than TF's: 2e-6 of the output scale.
describe("Cumsum / Cumprod vs TensorFlow, end to end", () => {
  for (const c of load("cumulative").cases) it(c.name, () => assert.deepStrictEqual(runMathCase(c, convert, 2e-6), []))
})
