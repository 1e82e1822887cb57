/**
 * Matmul converters end to end through the engine on TF's golden GraphDefs:
 * fixtures/ops/matmul.json (MatMul, BatchMatMulV2/V3), fixtures/ops/nn/batchMatMul.json
 * (BatchMatMul V1, more broadcasting, int32) and fixtures/ops/nn/fusedMatMul.json (`_FusedMatMul`
 * from Grappler's remapper, and hand-made nodes for Sigmoid/Tanh/Gelu). Tolerance:
 * |Δ| ≤ 1e-5·max|TF| + 1e-7 (integers exact), outputs and gradients, eager and under jit.
 */
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { graphCaseFunction } from "../../../../core/src/test-util/graphCase.js"
import { installLiveBufferCounter } from "../../../../core/src/test-util/liveBuffers.js"
import { fixturesDir } from "../../../../core/src/test-util/paths.js"
import { checkCase, dynamicInputs, leftoverBuffers, parseGoldenFamily } from "../../lowering/goldenCases.js"
import { nnPack } from "../../pack.js"
import { weightPrep } from "./prepare.js"

const RTOL = 1e-5
const family = (rel: string) => parseGoldenFamily(readFileSync(join(fixturesDir, "ops", rel), "utf8")).cases

describe("MatMul, _FusedMatMul, BatchMatMul/V2/V3 vs TensorFlow (engine)", () => {
  for (const file of ["matmul.json", "nn/batchMatMul.json", "nn/fusedMatMul.json"]) {
    for (const c of family(file)) {
      const fused = c.attrs["fused_ops"] ? ` [${(c.attrs["fused_ops"] as Array<string>).join(",")}]` : ""
      it(`${file} ${c.name}${fused} (${c.tf_runtime})`, () =>
        assert.deepStrictEqual(checkCase(c, graphCaseFunction(c, [nnPack]), { rtol: RTOL }), []))
    }
  }

  it("transposes a static right operand once", () => {
    const c = family("nn/fusedMatMul.json").find((x) => x.name === "g_bias_elu_tb")!
    const f = graphCaseFunction(c, [nnPack])
    const before = weightPrep.made
    for (let i = 0; i < 3; i++) for (const y of f(...dynamicInputs(c))) y.dispose()
    assert.strictEqual(weightPrep.made - before, 1)
  })

  it("leaves no live buffers behind (eager and jit)", async () => {
    const counter = await installLiveBufferCounter()
    const cases = [
      ...family("nn/fusedMatMul.json").filter((c) => ["g_bias_relu_dynamic_b", "h_bias_gelu_approximate", "g_bias_leakyrelu_tatb"].includes(c.name)),
      ...family("nn/batchMatMul.json").filter((c) => ["v2_broadcast_rank5_vs_rank3", "v3_broadcast_tout"].includes(c.name))
    ]
    const fns = cases.map((c) => [c, graphCaseFunction(c, [nnPack])] as const)
    assert.deepStrictEqual(leftoverBuffers(counter.live, fns), { eager: 0, jit: 0 })
  })
})
