import { assert, describe, it } from "@effect/vitest"
import { runMathCase } from "./goldenMath.js"
import { convertWithNnPack as convert, loadMathFamily as load } from "../../test-util/mathGoldenFiles.js"

// exp/log-based activations in float32: 2e-6 of the output scale.
describe("activations vs TensorFlow, end to end", () => {
  for (const c of load("activations").cases) it(c.name, () => assert.deepStrictEqual(runMathCase(c, convert, 2e-6), []))
})
