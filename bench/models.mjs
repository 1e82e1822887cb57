// The 10 human@3.3.6 graph-models, side by side in one process:
//   ours: load + convert time, first jit call (trace + compile + run), warm jit latency;
//   TF.js 4.22: warm latency on its wasm backend (calls alternate with ours) and on its cpu backend.
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
const CPU_RUNS = Number(process.env.CPU_RUNS ?? 3)
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

// A loaded TF.js model on `backend`, with one timed-ready `run` (execute + read outputs).
const tfjsRunner = async (backend, json, inputs) => {
  await tf.setBackend(backend)
  await tf.ready()
  const model = await loadGraphModel(tfjsIo(json))
  const run = async () => {
    const feeds = Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k.replace(/:0$/, ""), tf.tensor(i.data, i.shape, i.dtype)]))
    const outs = [].concat(model.execute(feeds, model.outputs.map((o) => o.name)))
    for (const o of outs) await o.data()
    tf.dispose([...outs, ...Object.values(feeds)])
  }
  return { run, dispose: () => model.dispose() }
}

const timed = async (f) => { const t0 = performance.now(); await f(); return performance.now() - t0 }

// The machine's speed in the unit of notes/jax-js-performance.md (its 512² matmul: 24.4 GFLOP/s).
const matmulGflops = async () => {
  const a = np.ones([512, 512]), b = np.ones([512, 512])
  const mm = jit((x, y) => np.matmul(x, y))
  const ts = []
  for (let i = 0; i < 12; i++) ts.push(await timed(async () => { await mm(a.ref, b.ref).data() }))
  a.dispose(); b.dispose(); mm.dispose()
  return (2 * 512 ** 3) / (median(ts.slice(2)) / 1e3) / 1e9
}

const wasmDir = dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"))
setWasmPaths(wasmDir + "/")
setThreadsCount(1)

const gflopsBefore = await matmulGflops()
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
  const first = await timed(call)
  // Ours and TF.js-wasm alternate call by call, so load on a shared machine hits both alike.
  const wasm = await tfjsRunner("wasm", json, inputs)
  for (let i = 0; i < WARM; i++) { await call(); await wasm.run() }
  const oursTimes = [], wasmTimes = []
  for (let i = 0; i < RUNS; i++) { oursTimes.push(await timed(call)); wasmTimes.push(await timed(wasm.run)) }
  wasm.dispose()
  jf.dispose()
  const ours = median(oursTimes), wasmMs = median(wasmTimes)
  // TF.js-cpu takes up to seconds per call: one warm-up, CPU_RUNS timed.
  const cpuRunner = await tfjsRunner("cpu", json, inputs)
  await cpuRunner.run()
  const cpuTimes = []
  for (let i = 0; i < CPU_RUNS; i++) cpuTimes.push(await timed(cpuRunner.run))
  cpuRunner.dispose()
  const cpu = median(cpuTimes)
  rows.push({ model: name, loadMs: (t1 - t0).toFixed(0), convertMs: (t2 - t1).toFixed(1), firstCallMs: first.toFixed(0),
    jitMs: ours.toFixed(1), tfjsWasmMs: wasmMs.toFixed(1), tfjsCpuMs: cpu.toFixed(1), vsWasm: `${(ours / wasmMs).toFixed(2)}×` })
  console.error(`${name} done`)
}
const gflopsAfter = await matmulGflops()
console.log(`Node ${process.version}, 1 thread; jax-js 0.1.25, TF.js 4.22.0. jit and TF.js-wasm: median of ${RUNS} alternating runs after ${WARM} warm-ups; TF.js-cpu: median of ${CPU_RUNS}.`)
console.log(`Machine: jax-js 512² f32 matmul ${gflopsBefore.toFixed(1)} GFLOP/s before, ${gflopsAfter.toFixed(1)} after (notes/jax-js-performance.md measured its prototype at 24.4).`)
console.table(rows)
