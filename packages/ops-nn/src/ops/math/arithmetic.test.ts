import { assert, describe, it } from "@effect/vitest"
import { runMathCase } from "./goldenMath.js"
import { convertWithNnPack as convert, loadMathFamily as load } from "../../test-util/mathGoldenFiles.js"

// Exactly rounded float arithmetic: 1e-6 of the output scale (FloorMod/Mod on floats compute
// x − trunc(x/y)·y, within an ulp of TF's fmod for these magnitudes); integers exact.
describe("arithmetic vs TensorFlow, end to end", () => {
  for (const c of load("arithmetic").cases) it(c.name, () => assert.deepStrictEqual(runMathCase(c, convert, 1e-6), []))
})
