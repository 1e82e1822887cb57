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

// Indices: exact.
describe("ArgMax / ArgMin vs TensorFlow, end to end", () => {
  for (const c of load("argReduce").cases) it(c.name, () => assert.deepStrictEqual(runMathCase(c, convert, 0), []))
})
