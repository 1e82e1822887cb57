import { assert, describe, it } from "@effect/vitest"
import { runMathCase } from "./goldenMath.js"
import { convertWithNnPack as convert, loadMathFamily as load } from "../../test-util/mathGoldenFiles.js"

// exp(y·log|x|) with the repaired log (precise.ts): 2e-6 of the output scale.
describe("Pow vs TensorFlow, end to end", () => {
  for (const c of load("pow").cases) it(c.name, () => assert.deepStrictEqual(runMathCase(c, convert, 2e-6), []))
})
