/**
 * Resize converters end to end through the engine on TF's golden GraphDefs
 * (fixtures/ops/resize.json: bilinear and nearest, legacy/align_corners/half_pixel_centers,
 * up/down/mixed/to-1 sizes, int32 nearest). Tolerance |Δ| ≤ 1e-5·max|TF| + 1e-7, outputs and
 * gradients, eager and jit.
 */
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { graphCaseFunction } from "../../../../core/src/test-util/graphCase.js"
import { fixturesDir } from "../../../../core/src/test-util/paths.js"
import { checkCase, parseGoldenFamily } from "../../lowering/goldenCases.js"
import { nnPack } from "../../pack.js"

const cases = parseGoldenFamily(readFileSync(join(fixturesDir, "ops/resize.json"), "utf8")).cases

describe("ResizeBilinear, ResizeNearestNeighbor vs TensorFlow (engine)", () => {
  for (const c of cases) {
    it(`${c.name}`, () => assert.deepStrictEqual(checkCase(c, graphCaseFunction(c, [nnPack]), { rtol: 1e-5 }), []))
  }
})
