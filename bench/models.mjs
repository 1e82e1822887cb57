// The 10 human@3.3.6 graph-models, side by side in one process:
//   ours: load + convert time, first jit call (trace + compile + run), warm jit latency;
//   TF.js 4.22: warm latency on its wasm backend and on its cpu backend.
// Same seeded inputs everywhere; each timing includes reading the outputs back.
// Run: npm run bench:models  (after `npm run build`). Single-threaded on Node (as TF.js-wasm is).
import { jit, numpy as np } from "@jax-js/jax"
import * as tf from "@tensorflow/tfjs-core"
import "@tensorflow/tfjs-backend-cpu"
import { setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm"
import { loadGraphModel } from "@tensorflow/tfjs-converter"
import { convertFunctionalFromRestored, loadModel } from "tf2jax"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const human = join(here, "../node_modules/@vladmandic/human/models")
const MODELS = (process.argv[2] ?? "antispoof,blazeface,centernet,emotion,facemesh,faceres,handlandmark-lite,iris,liveness,movenet-lightning").split(",")
const WARM = 3
const RUNS = Number(process.env.RUNS ?? 10)
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]

const seeded = (n, seed, scale) => {
  let s = seed >>> 0
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = (s / 2 ** 32) * scale }
  return out
}

const tfjsIo = (json) => ({ load: async () => {
  const j = JSON.parse(readFileSync(json, "utf8")); const specs = [], bufs = []
  for (const g of j.weightsManifest) { specs.push(...g.weights); for (const p of g.paths) bufs.push(readFileSync(join(human, p))) }
  const b = Buffer.concat(bufs)
  return { modelTopology: j.modelTopology, format: j.format, signature: j.signature, weightSpecs: specs, weightData: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) }
} })

const timeTfjs = async (backend, json, inputs) => {
  await tf.setBackend(backend)
  await tf.ready()
  const model = await loadGraphModel(tfjsIo(json))
  const run = async () => {
    const feeds = Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k.replace(/:0$/, ""), tf.tensor(i.data, i.shape, i.dtype)]))
    const outs = [].concat(model.execute(feeds, model.outputs.map((o) => o.name)))
    for (const o of outs) await o.data()
    tf.dispose([...outs, ...Object.values(feeds)])
  }
  const times = []
  for (let i = 0; i < WARM + RUNS; i++) { const t0 = performance.now(); await run(); if (i >= WARM) times.push(performance.now() - t0) }
  model.dispose()
  return median(times)
}

const wasmDir = dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"))
setWasmPaths(wasmDir + "/")
setThreadsCount(1)

const rows = []
for (const name of MODELS) {
  const json = join(human, `${name}.json`)
  const t0 = performance.now()
  const model = await loadModel(json)
  const t1 = performance.now()
  const f = await convertFunctionalFromRestored(model.signatures.serving_default)
  const t2 = performance.now()
  const inputs = {}
  let seed = 42
  for (const [k, spec] of Object.entries(model.signatures.serving_default.inputs)) {
    const shape = spec.shape.map((d) => (d < 0 ? 1 : d))
    const n = shape.reduce((a, b) => a * b, 1)
    const dtype = spec.dtype === "int32" || spec.dtype === "uint8" ? "int32" : "float32"
    const v = seeded(n, seed++, dtype === "int32" ? 255 : 1)
    inputs[k] = { shape, dtype, data: dtype === "int32" ? Int32Array.from(v, Math.floor) : v }
  }
  const arrays = () => Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, np.array(i.data.slice(), { shape: i.shape, dtype: i.dtype })]))
  const jf = jit(f)
  const call = async () => { const outs = jf(arrays()); for (const o of Object.values(outs)) await o.data() }
  const c0 = performance.now(); await call(); const first = performance.now() - c0
  const times = []
  for (let i = 0; i < WARM + RUNS; i++) { const s = performance.now(); await call(); if (i >= WARM) times.push(performance.now() - s) }
  jf.dispose()
  const ours = median(times)
  const wasm = await timeTfjs("wasm", json, inputs)
  const cpu = await timeTfjs("cpu", json, inputs)
  rows.push({ model: name, loadMs: (t1 - t0).toFixed(0), convertMs: (t2 - t1).toFixed(1), firstCallMs: first.toFixed(0),
    jitMs: ours.toFixed(1), tfjsWasmMs: wasm.toFixed(1), tfjsCpuMs: cpu.toFixed(1), vsWasm: `${(ours / wasm).toFixed(2)}×` })
  console.error(`${name} done`)
}
console.log(`Node ${process.version}, ${RUNS} warm runs (median) after ${WARM} warm-ups, 1 thread; jax-js 0.1.25, TF.js 4.22.0`)
console.table(rows)
