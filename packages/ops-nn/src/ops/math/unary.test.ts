import { assert, describe, it } from "@effect/vitest"
import { runMathCase } from "./goldenMath.js"
import { convertWithNnPack as convert, loadMathFamily as load } from "../../test-util/mathGoldenFiles.js"

// Transcendentals in jax-js float32 (float64 too: float32-accurate on wasm): 2e-6 of the output
// scale (Log/Log1p after their repair, precise.ts); Asinh/Acosh/Atanh/Sinh/Tanh use jax-js's
// formulas, whose float32 error reaches 1e-5 of the output scale.
const LOOSE = new Set(["Asinh", "Acosh", "Atanh", "Sinh", "Tanh"])

describe("unary math vs TensorFlow, end to end", () => {
  for (const c of load("unary").cases) {
    it(c.name, () => assert.deepStrictEqual(runMathCase(c, convert, LOOSE.has(c.op) ? 1e-5 : 2e-6), []))
  }
})
