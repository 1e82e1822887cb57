import { describe, it, assert } from "@effect/vitest"
import { jit, numpy as np, vmap } from "@jax-js/jax"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { installLiveBufferCounter } from "../../../core/src/test-util/liveBuffers.js"
import { fixturesDir } from "../../../core/src/test-util/paths.js"
import type { Arr } from "./common.js"
import { attr, checkCase, compare, dynamicInputs, type GoldenCase, parseGoldenFamily, toArray } from "./goldenCases.js"
import { batchMatMul, matMul } from "./matmul.js"

// float32 vs TF: |Δ| ≤ 1e-5 · max|TF| (+1e-7), outputs and gradients.
const RTOL = 1e-5
const family = parseGoldenFamily(readFileSync(join(fixturesDir, "ops/matmul.json"), "utf8"))
const byName = (n: string): GoldenCase => family.cases.find((c) => c.name === n)!

const lowerOf = (c: GoldenCase): ((a: Arr, b: Arr) => Arr) =>
  c.op === "MatMul"
    ? (a, b) => matMul(a, b, { transposeA: attr<boolean>(c, "transpose_a"), transposeB: attr<boolean>(c, "transpose_b") })
    : (x, y) => batchMatMul(x, y, { adjX: attr<boolean>(c, "adj_x"), adjY: attr<boolean>(c, "adj_y") })

describe("matmul vs TensorFlow", () => {
  for (const c of family.cases) {
    it(`${c.name} (eager, jit, grad)`, () => {
      const f = lowerOf(c)
      assert.deepStrictEqual(checkCase(c, (a, b) => f(a!, b!), { rtol: RTOL }), [])
    })
  }

  it("vmap with one operand unbatched hits no rank-mismatch broadcasting", () => {
    for (const name of ["bmm_broadcast_rank_mismatch", "bmm_lhs_rank2_rhs_rank4", "bmm_adj_xy"]) {
      const c = byName(name)
      const f = lowerOf(c)
      const [x, y] = dynamicInputs(c) as [Arr, Arr]
      const z = vmap(f, [0, null])(np.stack([x.ref, x.mul(0.5)]), y)
      const ref = toArray(c.outputs[0]!)
      assert.deepStrictEqual(z.shape, [2, ...c.outputs[0]!.shape])
      const jz = jit(vmap(f, [0, null]))
      const [x2, y2] = dynamicInputs(c) as [Arr, Arr]
      const z2 = jz(np.stack([x2.ref, x2.mul(0.5)]), y2)
      jz.dispose()
      for (const r of [z, z2]) {
        const [a, b] = [r.ref.slice(0), r.slice(1)]
        assert.deepStrictEqual(compare(`${name} [0]`, a, c.outputs[0]!, RTOL), [])
        assert.deepStrictEqual(compare(`${name} [1]`, b.mul(2), c.outputs[0]!, RTOL), [])
      }
      ref.dispose()
    }
  })

  it("leaves no live buffers behind", async () => {
    const counter = await installLiveBufferCounter()
    const c = byName("bmm_broadcast_rank_mismatch")
    const run = (k: GoldenCase) => {
      const [a, b] = dynamicInputs(k) as [Arr, Arr]
      lowerOf(k)(a, b).dispose()
    }
    run(c)
    const base = counter.live()
    for (const name of ["bmm_broadcast_rank_mismatch", "bmm_adj_xy", "bmm_lhs_rank2_rhs_rank4", "matmul_ta1_tb1"]) run(byName(name))
    assert.strictEqual(counter.live(), base, "eager")
    const [a, b] = dynamicInputs(c) as [Arr, Arr]
    assert.throws(() => batchMatMul(a, b, { adjX: true }))
    assert.strictEqual(counter.live(), base, "throw")
  })
})
