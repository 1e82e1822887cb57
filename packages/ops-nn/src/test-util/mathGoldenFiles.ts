/**
 * Node-side support shared by the math golden tests. Importing it installs the `Float16Array`
 * stub jax-js needs for float64 on Node 20/22 (notes/jax-js.md §1); `loadMathFamily` reads
 * `fixtures/ops/math/<name>.json`, `convertWithNnPack` converts a case's graph with the real pack.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { graphCaseFunction } from "../../../core/src/test-util/graphCase.js"
import { fixturesDir } from "../../../core/src/test-util/paths.js"
import { type GoldenCase, type GoldenFamily, parseGoldenFamily } from "../lowering/goldenCases.js"
import { nnPack } from "../pack.js"

;(globalThis as { Float16Array?: unknown }).Float16Array ??= class {
  constructor() {
    throw new Error("no float16")
  }
}

export const loadMathFamily = (name: string): GoldenFamily =>
  parseGoldenFamily(readFileSync(join(fixturesDir, `ops/math/${name}.json`), "utf8"))

export const convertWithNnPack = (c: GoldenCase) => graphCaseFunction(c, [nnPack])
