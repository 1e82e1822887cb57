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
const t0 = performance.now()
for (const o of Object.values(jf(inputs()))) await o.data()
const t1 = performance.now()
profiler.stopTrace()
const ms = performance.getEntriesByType("measure")
const rows = ms.map((m) => ({ d: m.duration, name: m.name, detail: JSON.stringify(m.detail ?? {}).slice(0, 160) })).sort((a, b) => b.d - a.d)
console.log("wall", (t1 - t0).toFixed(1), "kernels", rows.length, "sum", rows.reduce((s, r) => s + r.d, 0).toFixed(1))
for (const r of rows.slice(0, 30)) console.log(r.d.toFixed(2), r.name, r.detail)
