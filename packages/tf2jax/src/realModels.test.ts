/**
 * The 10 non-control-flow TF.js graph-models of @vladmandic/human@3.3.6, converted and run
 * eagerly and under jit, against TF.js's CPU backend (the oracle for graph-models) on the same
 * seeded inputs. Tolerance: max |ours − TF.js| ≤ 1e-4 × max(|TF.js|, 1) per output.
 */
import { jit, numpy as np } from "@jax-js/jax"
import { assert, describe, it } from "@effect/vitest"
import * as tf from "@tensorflow/tfjs-core"
import "@tensorflow/tfjs-backend-cpu"
import { loadGraphModel } from "@tensorflow/tfjs-converter"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { HUMAN_MODELS, humanModelsDir } from "../../core/src/test-util/paths.js"
import { convertFunctionalFromRestored, loadModel } from "./index.js"

/** Every human@3.3.6 graph-model but handtrack (a TF1 while loop over TensorLists with NMS). */
export const REAL_MODELS = HUMAN_MODELS.filter((m) => m !== "handtrack")

const TOLERANCE = 1e-4

/** TF.js IOHandler reading model.json + shards from disk. */
const fromDisk = (jsonPath: string): tf.io.IOHandler => ({
  load: async () => {
    const j = JSON.parse(readFileSync(jsonPath, "utf8")) as {
      modelTopology: object
      format: string
      signature: object
      weightsManifest: Array<{ paths: Array<string>; weights: Array<tf.io.WeightsManifestEntry> }>
    }
    const specs: Array<tf.io.WeightsManifestEntry> = []
    const bufs: Array<Buffer> = []
    for (const g of j.weightsManifest) {
      specs.push(...g.weights)
      for (const p of g.paths) bufs.push(readFileSync(join(humanModelsDir, p)))
    }
    const b = Buffer.concat(bufs)
    return {
      modelTopology: j.modelTopology,
      format: j.format,
      signature: j.signature,
      weightSpecs: specs,
      weightData: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)
    }
  }
})

/** Deterministic inputs (an LCG), so both runtimes see the same values. */
const seeded = (n: number, seed: number, scale: number): Float32Array => {
  let s = seed >>> 0
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = (s / 2 ** 32) * scale
  }
  return out
}

export interface RealModelRun {
  readonly name: string
  /** Output key → tensor name, from the signature. */
  readonly outputs: Record<string, string>
  readonly inputs: Record<string, { shape: Array<number>; dtype: "float32" | "int32"; data: Float32Array | Int32Array }>
}

/** The inputs for a model: the signature's shape with unknown dims as 1, image-like values. */
export const realModelInputs = async (name: string): Promise<RealModelRun> => {
  const model = await loadModel(join(humanModelsDir, `${name}.json`))
  const sig = model.signatures["serving_default"]!
  const inputs: RealModelRun["inputs"] = {}
  let seed = 42
  for (const [key, spec] of Object.entries(sig.inputs)) {
    const shape = (spec.shape ?? []).map((d) => (d < 0 ? 1 : d))
    const n = shape.reduce((a, b) => a * b, 1)
    const dtype = spec.dtype === "int32" || spec.dtype === "uint8" ? "int32" : "float32"
    const values = seeded(n, seed++, dtype === "int32" ? 255 : 1)
    inputs[key] = { shape, dtype, data: dtype === "int32" ? Int32Array.from(values, Math.floor) : values }
  }
  const outputs = Object.fromEntries(Object.entries(sig.outputs).map(([k, spec]) => [k, spec.name]))
  return { name, inputs, outputs }
}

const oracle = async (run: RealModelRun): Promise<Record<string, { shape: Array<number>; data: Float32Array }>> => {
  await tf.setBackend("cpu")
  const graph = await loadGraphModel(fromDisk(join(humanModelsDir, `${run.name}.json`)))
  const feeds: Record<string, tf.Tensor> = {}
  for (const [key, i] of Object.entries(run.inputs)) feeds[key.replace(/:0$/, "")] = tf.tensor(i.data, i.shape, i.dtype)
  // Ask TF.js for exactly the signature's output tensors, and key the results like ours.
  const keys = Object.keys(run.outputs)
  const outs = graph.execute(feeds, keys.map((k) => run.outputs[k]!)) as tf.Tensor | Array<tf.Tensor>
  const list = Array.isArray(outs) ? outs : [outs]
  const result: Record<string, { shape: Array<number>; data: Float32Array }> = {}
  list.forEach((t, k) => {
    result[keys[k]!] = { shape: t.shape, data: Float32Array.from(t.dataSync()) }
    t.dispose()
  })
  for (const t of Object.values(feeds)) t.dispose()
  graph.dispose()
  return result
}

const maxRelError = (actual: ArrayLike<number>, expected: ArrayLike<number>): number => {
  let diff = 0
  let scale = 1
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!))
    scale = Math.max(scale, Math.abs(expected[i]!))
  }
  return diff / scale
}

describe("human@3.3.6 graph-models vs TF.js (CPU backend)", () => {
  for (const name of REAL_MODELS) {
    it(`${name}: eager and jit match TF.js within ${TOLERANCE}`, async () => {
      const run = await realModelInputs(name)
      const expected = await oracle(run)
      const model = await loadModel(join(humanModelsDir, `${name}.json`))
      const f = await convertFunctionalFromRestored(model.signatures["serving_default"]!)
      const make = () =>
        Object.fromEntries(
          Object.entries(run.inputs).map(([k, i]) => [k, np.array(i.data.slice() as Float32Array<ArrayBuffer>, { shape: i.shape, dtype: i.dtype === "int32" ? np.int32 : np.float32 })])
        )
      const jf = jit(f)
      try {
        for (const [mode, fn] of [["eager", f], ["jit", jf]] as const) {
          const outs = fn(make()) as Record<string, np.Array>
          for (const [key, arr] of Object.entries(outs)) {
            const e = expected[key]
            assert.isDefined(e, `${mode} output ${key} has no TF.js counterpart`)
            assert.deepStrictEqual(arr.shape, e!.shape, `${mode} ${key} shape`)
            const err = maxRelError((await arr.data()) as Float32Array, e!.data)
            console.log(`${name} ${mode} ${key}: max rel error ${err.toExponential(2)}`)
            assert.isBelow(err, TOLERANCE, `${mode} ${key}`)
          }
        }
      } finally {
        jf.dispose()
      }
    }, 300_000)
  }
})
