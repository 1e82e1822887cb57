/**
 * Every array golden case (fixtures/ops/array/*.json, written by real TensorFlow) end to end:
 * the case's GraphDef converted with this package's pack, then checked eagerly, under jit,
 * and its gradients (grad, jit(grad)) against TF's.
 *
 * Tolerance: array ops move elements, so outputs are exact; gradients may sum several
 * cotangents (Tile, Pad, gathers), so floats get |Δ| ≤ 1e-6 · max|TF| + 1e-7.
 */
import { assert, describe, it } from "@effect/vitest"
import { builtinPack } from "@tf2jax/core"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { decodeGraphDef, graphCaseFunction } from "../../../../core/src/test-util/graphCase.js"
import { fixturesDir } from "../../../../core/src/test-util/paths.js"
import { checkCase, type GoldenCase, parseGoldenFamily } from "../../lowering/goldenCases.js"
import { nnPack } from "../../pack.js"

const RTOL = 1e-6

const FAMILIES = [
  "shape",
  "reshape",
  "transpose",
  "concat",
  "fill",
  "tile",
  "pad",
  "slice",
  "gather",
  "oneHot",
  "split",
  "reverse",
  "topK",
  "where",
  "matrix"
]

/**
 * Cases whose TF gradient is not the VJP of TF's own forward: TF registers MatrixDiagV2's
 * gradient as `matrix_diag_part(grad, k)`, i.e. MatrixDiagPartV3 with align RIGHT_LEFT, while
 * V2 packs LEFT_LEFT (tensorflow/python/ops/array_grad.py); they differ when a superdiagonal
 * is shorter than the packed length. Outputs are still checked; our gradient is the VJP.
 */
const TF_GRAD_MISMATCH: ReadonlySet<string> = new Set(["diag_v2_band"])

const known = new Set([...builtinPack.converters, ...nnPack.converters].flatMap((c) => c.ops))

/** Ops of a case's graph that no registered converter handles (must be none). */
const missingOps = (c: GoldenCase): Array<string> => {
  const g = decodeGraphDef(c.graph.graph_def_base64, c.name)
  return [...new Set(g.nodes.map((n) => n.op))].filter((op) => !known.has(op))
}

for (const family of FAMILIES) {
  const doc = parseGoldenFamily(readFileSync(join(fixturesDir, `ops/array/${family}.json`), "utf8"))
  describe(`${family} vs TensorFlow ${doc.tensorflow_version}`, () => {
    for (const c of doc.cases) {
      it(`${c.name} (${c.op}; eager, jit, grad)`, () => {
        assert.deepStrictEqual(missingOps(c), [])
        const skipGrad = TF_GRAD_MISMATCH.has(c.name)
        assert.deepStrictEqual(checkCase(c, graphCaseFunction(c, [nnPack]), { rtol: RTOL, skipGrad }), [])
      })
    }
  })
}
