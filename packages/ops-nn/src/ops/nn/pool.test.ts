/**
 * Pooling converters end to end through the engine on TF's golden GraphDefs:
 * fixtures/ops/pool.json (MaxPool, MaxPoolV2, AvgPool: SAME/VALID/EXPLICIT, NHWC/NCHW, int32,
 * tied maxima) and fixtures/ops/nn/poolV2.json (more MaxPoolV2). Tolerance |Δ| ≤ 1e-5·max|TF|
 * + 1e-7 (int32 exact), outputs and gradients (TF's MaxPoolGrad: first maximum), eager and jit.
 */
import { assert, describe, it } from "@effect/vitest"
import { numpy as np } from "@jax-js/jax"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { convertGraph, decodeGraphDef, graphCaseFunction } from "../../../../core/src/test-util/graphCase.js"
import { fixturesDir } from "../../../../core/src/test-util/paths.js"
import { checkCase, parseGoldenFamily } from "../../lowering/goldenCases.js"
import { nnPack } from "../../pack.js"

const family = (rel: string) => parseGoldenFamily(readFileSync(join(fixturesDir, "ops", rel), "utf8")).cases

describe("MaxPool, MaxPoolV2, AvgPool vs TensorFlow (engine)", () => {
  for (const file of ["pool.json", "nn/poolV2.json"]) {
    for (const c of family(file)) {
      it(`${file} ${c.name} (${c.tf_runtime})`, () =>
        assert.deepStrictEqual(checkCase(c, graphCaseFunction(c, [nnPack]), { rtol: 1e-5 }), []))
    }
  }

  it("MaxPoolV2 needs static ksize and strides", () => {
    const c = family("nn/poolV2.json")[0]!
    const graph = decodeGraphDef(c.graph.graph_def_base64, c.name)
    // Feed ksize from a placeholder instead of its Const.
    const ksize = graph.nodes.find((n) => n.op === "Const" && n.name.toLowerCase().includes("ksize")) ?? graph.nodes.find((n) => n.op === "Const")!
    const nodes = graph.nodes.map((n) => (n === ksize ? { ...n, op: "Placeholder", attrs: { dtype: { kind: "type" as const, value: "int32" as const } } } : n))
    const f = convertGraph({ kind: "graph-function", graph: { ...graph, nodes }, inputs: [...c.graph.inputs, `${ksize.name}:0`], outputs: c.graph.outputs }, [nnPack])
    assert.throws(() => f([np.zeros([2, 6, 7, 3]), np.array(new Int32Array([1, 2, 2, 1]))]), /MaxPoolV2.*needs input 1 to be static/)
  })
})
