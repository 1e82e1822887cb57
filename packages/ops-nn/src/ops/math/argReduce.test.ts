import { assert, describe, it } from "@effect/vitest"
import { runMathCase } from "./goldenMath.js"
import { convertWithNnPack as convert, loadMathFamily as load } from "../../test-util/mathGoldenFiles.js"

// Indices: exact.
describe("ArgMax / ArgMin vs TensorFlow, end to end", () => {
  for (const c of load("argReduce").cases) it(c.name, () => assert.deepStrictEqual(runMathCase(c, convert, 0), []))
})
