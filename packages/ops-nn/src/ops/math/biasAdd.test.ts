import { assert, describe, it } from "@effect/vitest"
import { runMathCase } from "./goldenMath.js"
import { convertWithNnPack as convert, loadMathFamily as load } from "../../test-util/mathGoldenFiles.js"

// One addition: 1e-6 of the output scale (gradients are sums).
describe("BiasAdd vs TensorFlow, end to end", () => {
  for (const c of load("biasAdd").cases) it(c.name, () => assert.deepStrictEqual(runMathCase(c, convert, 1e-6), []))
})
