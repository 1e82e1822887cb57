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

// Sums in a different order than TF's: 2e-6 of the output scale.
// Known difference: Max/Min over a slice containing NaN: TF's gradient is NaN for the whole slice
// (0 of 0 maxima selected), jax-js's is 0 (values agree).
const VALUES_ONLY = new Set(["max_nan"])

describe("reductions vs TensorFlow, end to end", () => {
  for (const c of load("reductions").cases) {
    it(c.name, () => assert.deepStrictEqual(runMathCase(c, convert, 2e-6, VALUES_ONLY.has(c.name)), []))
  }
})
