/**
 * Every case TensorFlow 2.21 recorded for the generated fixtures (fixtures/models/<name>/
 * expected.json): the model is loaded from its files, converted with convertFromRestored, run
 * eagerly and under jit, and compared with TF's outputs; gradients of TF's loss
 * Σ sum(output · cotangent) w.r.t. inputs and variables are compared with TF's, and stateful
 * calls must return the variable values TF had after the call.
 */
import { grad, jit, numpy as np, random } from "@jax-js/jax"
import { assert, describe, it } from "@effect/vitest"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import type { Convertible, ConvertedFunction, TfModel } from "./index.js"
import { convertFromRestored, loadModel, overrideConfig, UnsupportedOpsError } from "./index.js"
import { fixturesDir } from "../../core/src/test-util/paths.js"

interface Tensor {
  readonly dtype: string
  readonly shape: ReadonlyArray<number>
  readonly data_base64_le?: string | ReadonlyArray<string>
  readonly deterministic?: boolean
  readonly stats?: { readonly mean: number; readonly std: number; readonly min: number; readonly max: number }
}
interface Case {
  readonly target: { readonly kind: "signature" | "function" | "tensors"; readonly name: string; readonly tags?: ReadonlyArray<string> }
  readonly inputs: Record<string, Tensor> | ReadonlyArray<Tensor>
  readonly outputs: Record<string, Tensor> | ReadonlyArray<Tensor>
  readonly cotangents?: Record<string, Tensor | null> | ReadonlyArray<Tensor | null>
  readonly input_gradients?: Record<string, Tensor | null> | ReadonlyArray<Tensor | null>
  readonly variable_gradients?: Record<string, Tensor>
  readonly variables_after?: Record<string, Tensor>
}
interface Expected {
  readonly format: string
  /** Present when the model has random ops: TF's values cannot be reproduced (Philox vs threefry). */
  readonly random_ops?: ReadonlyArray<unknown>
  readonly cases: ReadonlyArray<Case>
  readonly graph?: { readonly file?: string }
  readonly checkpoint?: { readonly prefix: string }
}

/** float32 through jax-js vs TF's CPU kernels: relative to the output's scale. */
const RTOL = 2e-5

/**
 * Fixtures whose cases need something other than a plain comparison:
 * - jax2tf_native: its computation is an XlaCallModule (StableHLO), which has no converter yet;
 *   conversion must fail fast naming it.
 * - custom_gradient: the fixture's custom gradient dy·sin(x) + exp(x) is affine, not linear, in
 *   dy; our custom-gradient emulation (stop-gradient algebra) keeps only its linear part, which
 *   packages/ops-control/src/ops/gradients.test.ts checks exactly. Outputs are compared here.
 */
const UNCONVERTIBLE: Record<string, string> = { jax2tf_native: "XlaCallModule" }
const NO_GRADIENT_CHECK = new Set(["custom_gradient"])

/** While loops with data-dependent trip counts need a bound to run under jit (masked unroll). */
const LOOP_BOUND = 32

const modelsDir = join(fixturesDir, "models")
const names = existsSync(modelsDir) ? readdirSync(modelsDir).sort() : []

const decode = (t: Tensor): Float64Array => {
  const b = Buffer.from(t.data_base64_le as string, "base64")
  const n = t.shape.reduce((a, c) => a * c, 1)
  const out = new Float64Array(n)
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  for (let i = 0; i < n; i++) {
    switch (t.dtype) {
      case "float32": out[i] = dv.getFloat32(4 * i, true); break
      case "float64": out[i] = dv.getFloat64(8 * i, true); break
      case "int32": out[i] = dv.getInt32(4 * i, true); break
      case "int64": out[i] = Number(dv.getBigInt64(8 * i, true)); break
      case "uint8": case "bool": out[i] = dv.getUint8(i); break
      default: throw new Error(`dtype ${t.dtype} not handled by the test reader`)
    }
  }
  return out
}

const toJax = (t: Tensor): np.Array => {
  const values = decode(t)
  const shape = [...t.shape]
  if (t.dtype === "float32") return np.array(Float32Array.from(values), { shape })
  if (t.dtype === "float64") return np.array(Float64Array.from(values), { shape, dtype: np.float64 })
  if (t.dtype === "bool") return np.array(Int32Array.from(values), { shape, dtype: np.bool })
  return np.array(Int32Array.from(values), { shape, dtype: np.int32 })
}

const isFloat = (t: Tensor) => t.dtype === "float32" || t.dtype === "float64"

const close = (what: string, actual: ArrayLike<number>, expected: Float64Array, rtol = RTOL) => {
  let diff = 0
  let scale = 1
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(Number(actual[i]) - expected[i]!))
    scale = Math.max(scale, Math.abs(expected[i]!))
  }
  assert.isAtMost(diff / scale, rtol, `${what}: max |Δ| ${diff} at scale ${scale}`)
}

/** The convertible a case targets. */
const targetOf = (model: TfModel, c: Case): Convertible => {
  if (c.target.kind === "signature") return model.signatures[c.target.name]!
  if (c.target.kind === "function") return model.functions[c.target.name]!
  return model.signatures["serving_default"]!
}

/** Inputs as the converted function takes them (by key, by position, or by tensor name). */
const inputsOf = (model: TfModel, c: Case): Record<string, np.Array> | Array<np.Array> => {
  if (Array.isArray(c.inputs)) return (c.inputs as ReadonlyArray<Tensor>).map(toJax)
  const byKey = c.inputs as Record<string, Tensor>
  if (c.target.kind !== "tensors") return Object.fromEntries(Object.entries(byKey).map(([k, t]) => [k, toJax(t)]))
  const sig = model.signatures["serving_default"]!
  return Object.fromEntries(Object.entries(sig.inputs).map(([k, spec]) => [k, toJax(byKey[spec.name]!)]))
}

/** Flattens our outputs the way the case lists them. */
const outputList = (model: TfModel, c: Case, outs: unknown): Array<[string, np.Array]> => {
  if (!Array.isArray(c.outputs)) {
    const rec = outs as Record<string, np.Array>
    if (c.target.kind === "tensors") {
      const sig = model.signatures["serving_default"]!
      return Object.keys(c.outputs).map((name) => {
        const key = Object.keys(sig.outputs).find((k) => sig.outputs[k]!.name === name)!
        return [name, rec[key]!]
      })
    }
    return Object.keys(c.outputs).map((k) => [k, rec[k]!])
  }
  const flat: Array<np.Array> = []
  const walk = (x: unknown) => {
    if (x === null || x === undefined) return
    if (Array.isArray(x)) x.forEach(walk)
    else if (typeof x === "object" && "shape" in (x as object) && "dtype" in (x as object)) flat.push(x as np.Array)
    else for (const k of Object.keys(x as object).sort()) walk((x as Record<string, unknown>)[k])
  }
  walk(outs)
  return flat.map((a, k) => [String(k), a])
}

const expectedList = (c: Case): Array<[string, Tensor | null]> =>
  Array.isArray(c.outputs) ? (c.outputs as ReadonlyArray<Tensor>).map((t, k) => [String(k), t]) : Object.entries(c.outputs)

const refs = (p: Record<string, np.Array>) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.ref]))
const paramFor = (model: TfModel, checkpointKey: string) => Object.values(model.variables).find((v) => v.checkpointKey === checkpointKey)?.name

/** Sample statistics of a random output must agree with TF's (65536 samples: loose bounds). */
const checkStats = (what: string, values: ArrayLike<number>, stats: NonNullable<Tensor["stats"]>) => {
  const n = values.length
  let mean = 0
  for (let i = 0; i < n; i++) mean += values[i]!
  mean /= n
  let variance = 0
  for (let i = 0; i < n; i++) variance += (values[i]! - mean) ** 2
  const std = Math.sqrt(variance / n)
  assert.isAtMost(Math.abs(mean - stats.mean), 0.03 * Math.max(1, stats.std), `${what} mean ${mean} vs TF ${stats.mean}`)
  assert.isAtMost(Math.abs(std - stats.std), 0.03 * stats.std, `${what} std ${std} vs TF ${stats.std}`)
}

const checkOutputs = async (mode: string, model: TfModel, c: Case, outs: unknown, random: boolean) => {
  const ours = new Map(outputList(model, c, outs))
  for (const [key, t] of expectedList(c)) {
    const a = ours.get(key)
    assert.isDefined(a, `${mode} output ${key}`)
    assert.deepStrictEqual(a!.shape, [...t!.shape], `${mode} ${key} shape`)
    const values = (await a!.data()) as ArrayLike<number>
    if (random || t!.deterministic === false) {
      assert.strictEqual(String(a!.dtype), t!.dtype === "int64" ? "int32" : t!.dtype, `${mode} ${key} dtype`)
      if (t!.stats) checkStats(`${mode} ${key}`, values, t!.stats)
      continue
    }
    close(`${mode} ${key}`, values, decode(t!))
  }
}

describe.skipIf(names.length === 0)("fixture cases: TensorFlow vs converted functions", () => {
  for (const name of names) {
    const expected = JSON.parse(readFileSync(join(modelsDir, name, "expected.json"), "utf8")) as Expected
    expected.cases.forEach((c, k) => {
      it(`${name} #${k} ${c.target.kind} ${c.target.name}`, async () => {
        const dir = join(modelsDir, name)
        const path = expected.graph?.file
          ? join(dir, expected.graph.file)
          : expected.checkpoint
            ? join(dir, `${expected.checkpoint.prefix}.meta`)
            : dir
        const model = await loadModel(path, c.target.tags ? { tags: c.target.tags } : {})
        const unconvertible = UNCONVERTIBLE[name]
        if (unconvertible) {
          const err = await convertFromRestored(targetOf(model, c)).then(() => undefined, (e: unknown) => e)
          assert.instanceOf(err, UnsupportedOpsError)
          assert.deepStrictEqual((err as UnsupportedOpsError).ops.map((o) => o.op), [unconvertible])
          return
        }
        const { fn, params } = await convertFromRestored(targetOf(model, c))
        const rng = () => (fn.requiresRng ? { rng: random.key(42) } : {})
        const jf = jit(fn)
        try {
          for (const [mode, f] of [["eager", fn], ["jit", jf]] as const) {
            const [outs, after] = overrideConfig("whileLoopMaxIterations", LOOP_BOUND, () =>
              (f as ConvertedFunction)(refs(params), inputsOf(model, c), rng())
            )
            await checkOutputs(mode, model, c, outs, expected.random_ops !== undefined)
            for (const [ckpt, t] of Object.entries(c.variables_after ?? {})) {
              const p = paramFor(model, ckpt)
              assert.isDefined(p, `variable ${ckpt}`)
              // A variable the function does not capture is not a param of it; TF must then
              // report it unchanged.
              const now = after[p!] ? ((await after[p!]!.ref.data()) as ArrayLike<number>) : Array.from(model.variables[p!]!.value.data as ArrayLike<number | bigint>, Number)
              close(`${mode} variable ${ckpt} after the call`, now, decode(t))
            }
            for (const v of Object.values(after)) v.dispose()
          }
          if (c.cotangents && !NO_GRADIENT_CHECK.has(name)) {
            await overrideConfig("whileLoopMaxIterations", LOOP_BOUND, () => checkGradients(model, c, fn, params))
          }
        } finally {
          jf.dispose()
          for (const v of Object.values(params)) v.dispose()
        }
      }, 120_000)
    })
  }
})

/** Gradients of TF's loss w.r.t. the float inputs and the trainable variables. */
const checkGradients = async (model: TfModel, c: Case, fn: ConvertedFunction, params: Record<string, np.Array>) => {
  const cot = c.cotangents!
  const loss = (p: Record<string, np.Array>, inputs: Record<string, np.Array> | Array<np.Array>): np.Array => {
    const [outs, after] = fn(p, inputs)
    for (const v of Object.values(after)) v.dispose()
    let total: np.Array | undefined
    for (const [key, a] of outputList(model, c, outs)) {
      const t = Array.isArray(cot) ? (cot as ReadonlyArray<Tensor | null>)[Number(key)] : (cot as Record<string, Tensor | null>)[key]
      if (!t) {
        a.dispose()
        continue
      }
      const term = np.sum(a.mul(toJax(t)))
      total = total ? total.add(term) : term
    }
    return total!
  }
  for (const [mode, g] of [["grad", grad(loss, { argnums: [0, 1] })], ["jit(grad)", jit(grad(loss, { argnums: [0, 1] }))]] as const) {
    const [gp, gi] = (g as (p: Record<string, np.Array>, i: unknown) => [Record<string, np.Array>, unknown])(refs(params), inputsOf(model, c))
    for (const [ckpt, t] of Object.entries(c.variable_gradients ?? {})) {
      const p = paramFor(model, ckpt)!
      close(`${mode} d/d${ckpt}`, (await gp[p]!.ref.data()) as Float32Array, decode(t), 1e-4)
    }
    const ig = c.input_gradients ?? {}
    const entries: Array<[string, Tensor | null]> = Array.isArray(ig) ? (ig as ReadonlyArray<Tensor | null>).map((t, k) => [String(k), t]) : Object.entries(ig)
    for (const [key, t] of entries) {
      if (!t || !isFloat(t)) continue
      const ours = Array.isArray(gi) ? (gi as Array<np.Array>)[Number(key)] : c.target.kind === "tensors"
        ? (gi as Record<string, np.Array>)[Object.keys(model.signatures["serving_default"]!.inputs).find((k) => model.signatures["serving_default"]!.inputs[k]!.name === key)!]
        : (gi as Record<string, np.Array>)[key]
      close(`${mode} d/d${key}`, (await ours!.ref.data()) as Float32Array, decode(t), 1e-4)
    }
    for (const v of Object.values(gp)) v.dispose()
    for (const v of Array.isArray(gi) ? gi : Object.values(gi as object)) (v as np.Array).dispose()
    if (mode === "jit(grad)") (g as { dispose?: () => void }).dispose?.()
  }
}
