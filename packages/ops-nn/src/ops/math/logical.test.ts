import { assert, describe, it } from "@effect/vitest"
import { runMathCase } from "./goldenMath.js"
import { convertWithNnPack as convert, loadMathFamily as load } from "../../test-util/mathGoldenFiles.js"

// Bool results: exact.
describe("logical ops vs TensorFlow, end to end", () => {
  for (const c of load("logical").cases) it(c.name, () => assert.deepStrictEqual(runMathCase(c, convert, 0), []))
})
