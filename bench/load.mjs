// Load time and memory vs model size: our readers (in-process) next to the peer for each format.
//   SavedModel: ours vs Python TensorFlow's tf.saved_model.load (subprocess, if fixtures/.venv exists)
//   TF.js graph-model: ours vs TF.js's tf.loadGraphModel (same process, CPU backend)
// Run: npm run bench:load   (after `npm run build`; SavedModels from bench/make-savedmodels.py)
import { loadModelFromPath, hostBytes } from "@tf2jax/core"
import { NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import * as tf from "@tensorflow/tfjs-core"
import "@tensorflow/tfjs-backend-cpu"
import { loadGraphModel } from "@tensorflow/tfjs-converter"
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, "..")
const RUNS = 5

const dirSize = (p) => statSync(p).isDirectory() ? readdirSync(p).reduce((s, n) => s + dirSize(join(p, n)), 0) : statSync(p).size
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
const mib = (b) => (b / 2 ** 20).toFixed(1)

// Buffers are freed only after the event loop turns (the file reads' promises settle, V8
// releases backing stores); a single GC right after a load still counts them.
const settle = async () => { for (let i = 0; i < 3; i++) { global.gc?.(); await new Promise((r) => setTimeout(r, 10)) } }

const ours = async (path) => {
  const times = []
  let weights = 0, peak = 0, held = 0
  // Declared here and cleared after each run: a block-scoped `const` in an async loop stays
  // alive until the next iteration overwrites it, which would count one model twice.
  let model
  for (let i = 0; i < RUNS; i++) {
    await settle()
    const before = process.memoryUsage().arrayBuffers
    const t0 = performance.now()
    model = await Effect.runPromise(loadModelFromPath(path).pipe(Effect.provide(NodeServices.layer)))
    times.push(performance.now() - t0)
    weights = Object.values(model.variables).reduce((s, v) => s + hostBytes(v.value), 0) +
      model.graph.nodes.reduce((s, n) => s + (n.attrs.value?.kind === "tensor" ? hostBytes(n.attrs.value.value) : 0), 0)
    peak = process.memoryUsage().arrayBuffers - before
    await settle()
    held = process.memoryUsage().arrayBuffers - before
    model = undefined
  }
  return { ms: median(times), weights, peakBytes: peak, heldBytes: held }
}

const tfjsPeer = async (jsonPath) => {
  await tf.setBackend("cpu")
  const io = { load: async () => {
    const j = JSON.parse(readFileSync(jsonPath, "utf8")); const specs = [], bufs = []
    for (const g of j.weightsManifest) { specs.push(...g.weights); for (const p of g.paths) bufs.push(readFileSync(join(dirname(jsonPath), p))) }
    const b = Buffer.concat(bufs)
    return { modelTopology: j.modelTopology, format: j.format, signature: j.signature, weightSpecs: specs, weightData: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) }
  } }
  const times = []
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now()
    const m = await loadGraphModel(io)
    times.push(performance.now() - t0)
    m.dispose()
  }
  return median(times)
}

const python = join(root, "fixtures/.venv/bin/python")
const tfPeer = (path) => {
  if (!existsSync(python)) return undefined
  const script = `import time,sys,os\nos.environ["TF_CPP_MIN_LOG_LEVEL"]="3"\nimport tensorflow as tf\nts=[]\nfor _ in range(${RUNS}):\n  t=time.perf_counter(); tf.saved_model.load(sys.argv[1]); ts.append((time.perf_counter()-t)*1000)\nprint(sorted(ts)[len(ts)//2])`
  const r = spawnSync(python, ["-c", script, path], { encoding: "utf8" })
  return r.status === 0 ? Number(r.stdout.trim().split("\n").pop()) : undefined
}

const rows = []
const human = join(root, "node_modules/@vladmandic/human/models")
for (const name of ["blazeface", "emotion", "facemesh", "movenet-lightning", "faceres"]) {
  const json = join(human, `${name}.json`)
  const size = statSync(json).size + statSync(join(human, `${name}.bin`)).size
  const o = await ours(json)
  rows.push({ format: "TF.js", model: name, fileMiB: mib(size), oursMs: o.ms.toFixed(1), peer: "tf.loadGraphModel", peerMs: (await tfjsPeer(json)).toFixed(1), weightsMiB: mib(o.weights), afterLoadMiB: mib(o.peakBytes), heldMiB: mib(o.heldBytes) })
}
const sms = join(here, ".models")
const savedModels = [join(root, "fixtures/models/keras_cnn_bn"), join(root, "fixtures/models/sonnet_mlp"),
  ...(existsSync(sms) ? readdirSync(sms).sort((a, b) => parseInt(a.split("-")[1]) - parseInt(b.split("-")[1])).map((n) => join(sms, n)) : [])]
for (const p of savedModels) {
  const o = await ours(p)
  const peer = tfPeer(p)
  rows.push({ format: "SavedModel", model: p.split("/").pop(), fileMiB: mib(dirSize(p)), oursMs: o.ms.toFixed(1), peer: "tf.saved_model.load (Python)", peerMs: peer === undefined ? "n/a" : peer.toFixed(1), weightsMiB: mib(o.weights), afterLoadMiB: mib(o.peakBytes), heldMiB: mib(o.heldBytes) })
}
console.log(`Node ${process.version}, median of ${RUNS} loads. afterLoad = ArrayBuffer bytes allocated by the load (before GC);
held = still referenced by the model after GC (weights are views of the file bytes where aligned: held ≈ file size means no copy)`)
console.table(rows)
if (!existsSync(sms)) console.log("(larger SavedModels: fixtures/.venv/bin/python bench/make-savedmodels.py)")
