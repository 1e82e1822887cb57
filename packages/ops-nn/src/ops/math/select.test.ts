import { assert, describe, it } from "@effect/vitest"
import { runMathCase } from "./goldenMath.js"
import { convertWithNnPack as convert, loadMathFamily as load } from "../../test-util/mathGoldenFiles.js"

// Selects: exact values and gradients.
describe("Select / SelectV2 vs TensorFlow, end to end", () => {
  for (const c of load("select").cases) it(c.name, () => assert.deepStrictEqual(runMathCase(c, convert, 0), []))
})
