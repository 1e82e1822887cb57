/**
 * Softmax cross-entropy converters through the engine on TF's goldens
 * (fixtures/ops/nn/crossEntropy.json: sparse int32/int64 labels, dense and broadcast labels):
 * loss and backprop outputs and their gradients. Tolerance |Δ| ≤ 1e-5·max|TF| + 1e-7.
 */
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { graphCaseFunction } from "../../../../core/src/test-util/graphCase.js"
import { fixturesDir } from "../../../../core/src/test-util/paths.js"
import { checkCase, parseGoldenFamily } from "../../lowering/goldenCases.js"
import { nnPack } from "../../pack.js"

const cases = parseGoldenFamily(readFileSync(join(fixturesDir, "ops/nn/crossEntropy.json"), "utf8")).cases

describe("(Sparse)SoftmaxCrossEntropyWithLogits vs TensorFlow (engine)", () => {
  for (const c of cases) {
    it(`${c.name}`, () => assert.deepStrictEqual(checkCase(c, graphCaseFunction(c, [nnPack]), { rtol: 1e-5 }), []))
  }
})
