/**
 * FusedBatchNorm/V2/V3 through the engine on TF's goldens (fixtures/ops/nn/batchNorm.json):
 * inference and training, NHWC/NCHW/NDHWC/NCDHW, exponential_avg_factor 1 and ≠ 1, empty
 * running statistics. Outputs y, batch_mean, batch_variance (+ reserve_space_1/2 in training);
 * gradients of sum(y·ct) w.r.t. x, scale and offset. Tolerance |Δ| ≤ 1e-5·max|TF| + 1e-7.
 */
import { assert, describe, it } from "@effect/vitest"
import type { numpy as np } from "@jax-js/jax"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { overrideConfig } from "../../../../core/src/engine/Config.js"
import { graphCaseFunction } from "../../../../core/src/test-util/graphCase.js"
import { installLiveBufferCounter } from "../../../../core/src/test-util/liveBuffers.js"
import { fixturesDir } from "../../../../core/src/test-util/paths.js"
import { checkCase, dynamicInputs, leftoverBuffers, parseGoldenFamily } from "../../lowering/goldenCases.js"
import { nnPack } from "../../pack.js"

const cases = parseGoldenFamily(readFileSync(join(fixturesDir, "ops/nn/batchNorm.json"), "utf8")).cases

describe("FusedBatchNorm/V2/V3 vs TensorFlow (engine)", () => {
  for (const c of cases) {
    it(`${c.name} (${c.op}, ${c.attrs["data_format"]}, factor ${c.attrs["exponential_avg_factor"] ?? 1})`, () =>
      assert.deepStrictEqual(checkCase(c, graphCaseFunction(c, [nnPack]), { rtol: 1e-5 }), []))
  }

  it("refuses a factor ≠ 1 without running statistics", () => {
    const c = cases.find((x) => x.name === "v3_train_nhwc_f05")!
    const f = graphCaseFunction(c, [nnPack])
    const [x, scale, offset] = dynamicInputs(c) as [np.Array, np.Array, np.Array, np.Array, np.Array]
    const call = () => f(x, scale, offset, scale.ref.slice([0, 0]), offset.ref.slice([0, 0]))
    assert.throws(() => overrideConfig("strictShapeCheck", false, call), /exponential_avg_factor.*running statistics/)
  })

  it("leaves no live buffers behind (eager and jit)", async () => {
    const counter = await installLiveBufferCounter()
    const fns = cases.filter((c) => ["v3_inference_nchw", "v3_train_nhwc_f05", "v3_train_empty_stats"].includes(c.name)).map((c) => [c, graphCaseFunction(c, [nnPack])] as const)
    assert.deepStrictEqual(leftoverBuffers(counter.live, fns), { eager: 0, jit: 0 })
  })
})
