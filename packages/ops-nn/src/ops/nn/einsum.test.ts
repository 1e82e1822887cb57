/**
 * Einsum through the engine on TF's goldens (fixtures/ops/nn/einsum.json: matmul forms,
 * attention, outer/dot products, sums, ellipsis broadcasting, one-operand transposes and
 * reductions), and the equations it refuses. Tolerance |Δ| ≤ 1e-5·max|TF| + 1e-7.
 */
import { assert, describe, it } from "@effect/vitest"
import { numpy as np } from "@jax-js/jax"
import { ConversionError } from "@tf2jax/core"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { graphCaseFunction } from "../../../../core/src/test-util/graphCase.js"
import { fixturesDir } from "../../../../core/src/test-util/paths.js"
import { checkCase, parseGoldenFamily } from "../../lowering/goldenCases.js"
import { einsum, parseEinsum } from "./einsum.js"
import { nnPack } from "../../pack.js"

const cases = parseGoldenFamily(readFileSync(join(fixturesDir, "ops/nn/einsum.json"), "utf8")).cases

describe("Einsum vs TensorFlow (engine)", () => {
  for (const c of cases) {
    it(`${c.name}: ${c.attrs["equation"]}`, () =>
      assert.deepStrictEqual(checkCase(c, graphCaseFunction(c, [nnPack]), { rtol: 1e-5 }), []))
  }

  it("expands ellipses right-aligned", () => {
    assert.deepStrictEqual(parseEinsum("...ij,jk->...ik", [4, 2], "t"), {
      inputs: [["#0", "#1", "i", "j"], ["j", "k"]],
      output: ["#0", "#1", "i", "k"]
    })
  })

  it("refuses diagonals, unknown output labels and rank mismatches (consuming its inputs)", () => {
    for (const [eq, shapes] of [["ii->i", [[3, 3]]], ["ij->k", [[2, 3]]], ["ijk,kl->il", [[2, 3], [3, 4]]], ["ij,jk", [[2, 3], [3, 4]]]] as const) {
      const xs = shapes.map((s) => np.zeros([...s]))
      assert.throws(() => einsum(eq, xs, "test"), ConversionError)
      assert.isTrue(xs.every((x) => x.refCount === 0), eq)
    }
  })
})
