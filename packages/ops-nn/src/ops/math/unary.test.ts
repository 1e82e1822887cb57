import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { graphCaseFunction } from "../../../../core/src/test-util/graphCase.js"
import { fixturesDir } from "../../../../core/src/test-util/paths.js"
import { parseGoldenFamily } from "../../lowering/goldenCases.js"
import { nnPack } from "../../pack.js"
import { runMathCase } from "./goldenMath.js"

// float64 on Node 20/22 needs this stub (notes/jax-js.md §1).
;(globalThis as { Float16Array?: unknown }).Float16Array ??= class {
  constructor() {
    throw new Error("no float16")
  }
}

const load = (name: string) => parseGoldenFamily(readFileSync(join(fixturesDir, `ops/math/${name}.json`), "utf8"))
const convert = (c: Parameters<typeof graphCaseFunction>[0]) => graphCaseFunction(c, [nnPack])

// Transcendentals in jax-js float32 (float64 too: float32-accurate on wasm): 2e-6 of the output
// scale (Log/Log1p after their repair, precise.ts); Asinh/Acosh/Atanh/Sinh/Tanh use jax-js's
// formulas, whose float32 error reaches 1e-5 of the output scale.
const LOOSE = new Set(["Asinh", "Acosh", "Atanh", "Sinh", "Tanh"])

describe("unary math vs TensorFlow, end to end", () => {
  for (const c of load("unary").cases) {
    it(c.name, () => assert.deepStrictEqual(runMathCase(c, convert, LOOSE.has(c.op) ? 1e-5 : 2e-6), []))
  }
})
