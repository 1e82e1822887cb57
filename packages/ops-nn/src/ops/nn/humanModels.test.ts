/**
 * The 10 non-control-flow graph-models of @vladmandic/human@3.3.6 (real TF.js converter output:
 * `_FusedConv2D` with BiasAdd/Relu/Relu6/Prelu, `FusedDepthwiseConv2dNative`, `_FusedMatMul`,
 * DepthwiseConv2dNative, Conv2D, MaxPool, ResizeBilinear; f16-quantised weights).
 *
 * 1. Op coverage: every op type they use is known below, with who converts it; the nn ones are
 *    this folder's and the ops-nn pack resolves them here.
 * 2. Integration: each model converted with the whole ops-nn pack (math and array converters
 *    included) and run under jit (eagerly too for the two smallest) against TF.js 4.22's CPU
 *    backend, the oracle for TF.js graph-models, on the same random inputs. Tolerance
 *    |Δ| ≤ 2e-5·max|TF.js| + 1e-6 per output (measured ≤ 9e-6).
 */
import { assert, beforeAll, describe, it } from "@effect/vitest"
import { jit, numpy as np } from "@jax-js/jax"
import * as tf from "@tensorflow/tfjs-core"
import "@tensorflow/tfjs-backend-cpu"
import { loadGraphModel } from "@tensorflow/tfjs-converter"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { convertFunctionalFromRestored } from "../../../../core/src/engine/convert.js"
import { readTfjsGraphModel } from "../../../../core/src/formats/tfjs/readTfjsModel.js"
import { fromMemory } from "../../../../core/src/io/ModelSource.js"
import { packsLayer } from "../../../../core/src/test-util/graphCase.js"
import { humanModelsDir } from "../../../../core/src/test-util/paths.js"
import { maxDiff } from "../../lowering/goldenCases.js"
import { nnPack } from "../../pack.js"
import { nnOps } from "./index.js"

const MODELS = ["antispoof", "blazeface", "centernet", "emotion", "facemesh", "faceres", "handlandmark-lite", "iris", "liveness", "movenet-lightning"]

/** Who converts each op type the 10 models use. */
const OWNER: Readonly<Record<string, "nn" | "math" | "array" | "core">> = {
  _FusedConv2D: "nn",
  _FusedMatMul: "nn",
  Conv2D: "nn",
  DepthwiseConv2dNative: "nn",
  FusedDepthwiseConv2dNative: "nn",
  MaxPool: "nn",
  ResizeBilinear: "nn",
  Add: "math",
  AddN: "math",
  AddV2: "math",
  ArgMax: "math",
  Cast: "math",
  Equal: "math",
  FloorDiv: "math",
  FloorMod: "math",
  Maximum: "math",
  Mean: "math",
  Minimum: "math",
  Mul: "math",
  Prelu: "math",
  RealDiv: "math",
  Relu: "math",
  Relu6: "math",
  Sigmoid: "math",
  Softmax: "math",
  Sqrt: "math",
  SquaredDifference: "math",
  Sub: "math",
  ConcatV2: "array",
  ExpandDims: "array",
  GatherNd: "array",
  GatherV2: "array",
  Pack: "array",
  Pad: "array",
  Reshape: "array",
  Squeeze: "array",
  StridedSlice: "array",
  TopKV2: "array",
  Unpack: "array",
  Const: "core",
  Identity: "core",
  Placeholder: "core"
}

const modelJson = (name: string) => JSON.parse(readFileSync(join(humanModelsDir, `${name}.json`), "utf8"))
const opsOf = (json: { modelTopology: { node: Array<{ op: string }> } }) => new Set(json.modelTopology.node.map((n) => n.op))

describe("human@3.3.6 graph-models: op coverage", () => {
  it("every op type is known, and the nn ones are converted here (also through the ops-nn pack)", () => {
    const mine = new Map(nnOps.flatMap((c) => c.ops.map((op) => [op, c] as const)))
    const resolved = new Map<string, unknown>()
    for (const c of nnPack.converters) for (const op of c.ops) resolved.set(op, c) // later converters win, as in the registry
    for (const name of MODELS) {
      for (const op of opsOf(modelJson(name))) {
        const owner = OWNER[op]
        assert.isDefined(owner, `${name}: op ${op} has no owner`)
        if (owner === "nn") {
          assert.isTrue(mine.has(op), `${name}: ${op} is not converted by ops/nn`)
          assert.strictEqual(resolved.get(op), mine.get(op), `${name}: the ops-nn pack resolves ${op} elsewhere`)
        } else if (owner !== "core") assert.isTrue(resolved.has(op), `${name}: ${op} (${owner}) is not in the ops-nn pack`)
      }
    }
  })
})

describe("human@3.3.6 graph-models vs TF.js (CPU backend)", () => {
  beforeAll(async () => {
    tf.env().set("PROD", true)
    await tf.setBackend("cpu")
  })

  for (const name of MODELS) {
    const eager = name === "antispoof" || name === "emotion"
    it(`${name}: jit${eager ? " and eager" : ""}`, async () => {
      const text = readFileSync(join(humanModelsDir, `${name}.json`))
      const bin = readFileSync(join(humanModelsDir, `${name}.bin`))
      const json = JSON.parse(text.toString())
      const source = fromMemory({ [`${name}.json`]: new Uint8Array(text), [`${name}.bin`]: new Uint8Array(bin) })
      const model = await Effect.runPromise(readTfjsGraphModel(source, `${name}.json`))
      const sig = model.signatures["serving_default"]!
      const f = await Effect.runPromise(convertFunctionalFromRestored(sig).pipe(Effect.provide(packsLayer([nnPack]))))

      const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength)
      const weightSpecs = json.weightsManifest.flatMap((g: { weights: Array<unknown> }) => g.weights)
      const oracle = await loadGraphModel({ load: async () => ({ modelTopology: json.modelTopology, format: json.format, signature: json.signature, weightSpecs, weightData }) })
      const feeds: Record<string, tf.Tensor> = {}
      const inputs: Array<[string, Float32Array | Int32Array, Array<number>]> = []
      for (const [key, spec] of Object.entries(sig.inputs)) {
        const shape = (spec.shape ?? []).map((d) => (d < 0 ? 1 : d))
        const t = spec.dtype === "int32" ? tf.randomUniform(shape, 0, 255, "int32", 7) : tf.randomUniform(shape, 0, 1, "float32", 7)
        feeds[spec.name.replace(/:0$/, "")] = t
        inputs.push([key, t.dataSync() as Float32Array | Int32Array, shape])
      }
      const expected = ([] as Array<tf.Tensor>).concat((await oracle.executeAsync(feeds)) as tf.Tensor | Array<tf.Tensor>)
      const arrays = () => Object.fromEntries(inputs.map(([k, d, s]) => [k, np.array(d, { shape: s, dtype: d instanceof Int32Array ? np.int32 : np.float32 })]))
      const jf = jit((xs: Record<string, np.Array>) => f(xs) as Record<string, np.Array>)
      const runs: Array<[string, Record<string, np.Array>]> = [["jit", jf(arrays())]]
      if (eager) runs.push(["eager", f(arrays()) as Record<string, np.Array>])
      jf.dispose()
      for (const [mode, out] of runs) {
        for (const [key, spec] of Object.entries(sig.outputs)) {
          const k = oracle.outputs.findIndex((o) => o.name.replace(/:0$/, "") === spec.name.replace(/:0$/, ""))
          const want = expected[k]!
          const got = out[key]!
          assert.deepStrictEqual(got.shape, want.shape, `${mode} ${key}`)
          const { diff, scale } = maxDiff(got.dataSync(), want.dataSync())
          assert.isAtMost(diff, 2e-5 * scale + 1e-6, `${mode} ${key}: max |Δ| ${diff} (scale ${scale})`)
        }
      }
      tf.dispose([...expected, ...Object.values(feeds)])
      oracle.dispose()
    }, 240_000)
  }
})
