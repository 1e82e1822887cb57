import { jit, numpy as np, profiler } from "@jax-js/jax"
import { convertFunctionalFromRestored, loadModel } from "tf2jax"
const name = process.argv[2]
const model = await loadModel(`/work/main/node_modules/@vladmandic/human/models/${name}.json`)
const sig = model.signatures.serving_default
const f = await convertFunctionalFromRestored(sig)
const inputs = () => Object.fromEntries(Object.entries(sig.inputs).map(([k, s]) => [k, np.ones(s.shape.map((d) => (d < 0 ? 1 : d)))]))
const jf = jit(f)
for (let i = 0; i < 3; i++) for (const o of Object.values(jf(inputs()))) await o.data()
profiler.startTrace()
for (const o of Object.values(jf(inputs()))) await o.data()
profiler.stopTrace()
const ms = performance.getEntriesByType("measure")
const rows = ms.map((m) => ({ d: m.duration, name: m.name, detail: JSON.stringify(m.detail ?? {}) })).sort((a, b) => b.d - a.d)
for (const r of rows.slice(0, Number(process.argv[3] ?? 3))) console.log(r.d.toFixed(2), r.name, r.detail.slice(0, 3000), "\n")
