/**
 * Random ops end to end through real TF 2.21 SavedModels: fixtures/models/random_ops (the
 * model generator's) and fixtures/control/random_more (fixtures/control/generate_control.py).
 * Values cannot equal TF's (Philox vs threefry), so the tests compare what TF recorded —
 * shapes, dtypes, ranges, statistics of 65536-sample draws — and check our own guarantees:
 * determinism per key/seed, MissingRngKeyError, keys split per node, jit/vmap, no leaks.
 */
import { assert, describe, it } from "@effect/vitest"
import { jit, numpy as np, random, tree, vmap } from "@jax-js/jax"
import type { JaxArray, OpPack, TfModel } from "@tf2jax/core"
import { MissingRngKeyError } from "@tf2jax/core"
import { join } from "node:path"
import { installLiveBufferCounter } from "../../../core/src/test-util/liveBuffers.js"
import { controlPacks, decode, fixtures, functional, loadModel, readJson, toJax, values } from "../../../ops-control/src/test-util/harness.js"
import { randomPack } from "../pack.js"

const counter = await installLiveBufferCounter()
const packs: ReadonlyArray<OpPack> = [...controlPacks, randomPack]
const randomOps = readJson(join(fixtures, "models/random_ops/expected.json"))
const more = readJson(join(fixtures, "control/expected.json")).random_more
const opsModel: TfModel = await loadModel(join(fixtures, "models/random_ops"))
const moreModel: TfModel = await loadModel(join(fixtures, "control/random_more"))

const key = (n: number) => random.key(n)
const jaxDtype = (tf: string) => (tf === "float32" ? "float32" : tf === "int32" || tf === "int64" ? "int32" : tf)

/** Mean and standard deviation (float64 arithmetic). */
const moments = (xs: ReadonlyArray<number>) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length)
  return { mean, std, min: Math.min(...xs), max: Math.max(...xs) }
}

describe("fixtures/models/random_ops: stateful and stateless ops", () => {
  const sample = functional(opsModel.signatures["serving_default"]!, packs)
  const large = functional(opsModel.signatures["large"]!, packs)
  const cases = randomOps.cases.filter((c: any) => c.target.name === "serving_default")

  it("requires an rng key: requiresRng, and MissingRngKeyError naming the random nodes", () => {
    assert.isTrue(sample.requiresRng)
    try {
      sample({ seed: toJax(cases[0].inputs.seed) })
      assert.fail("expected MissingRngKeyError")
    } catch (e) {
      assert.instanceOf(e, MissingRngKeyError)
      assert.include((e as Error).message, "RandomUniform")
    }
  })

  it("every output has TF's shape and dtype; uniform draws lie in [0, 1), ints in [0, 10)", () => {
    for (const c of cases) {
      const out = sample({ seed: toJax(c.inputs.seed) }, { rng: key(1) }) as Record<string, JaxArray>
      assert.deepStrictEqual(Object.keys(out).sort(), Object.keys(c.outputs).sort())
      for (const [k, want] of Object.entries<any>(c.outputs)) {
        const a = out[k]!
        assert.deepStrictEqual(a.shape, want.shape, k)
        assert.strictEqual(String(a.dtype), jaxDtype(want.dtype), k)
        const v = values(a)
        if (k.includes("uniform") && !k.includes("int")) assert.isTrue(v.every((x) => x >= 0 && x < 1), k)
        if (k.includes("int")) assert.isTrue(v.every((x) => Number.isInteger(x) && x >= 0 && x < 10), k)
      }
    }
  })

  it("the same key gives the same values, eagerly and under jit; another key other values; stateless outputs follow the seed only", () => {
    const seed = () => toJax(cases[0].inputs.seed)
    const run = (k: JaxArray, s: JaxArray) => sample({ seed: s }, { rng: k }) as Record<string, JaxArray>
    const a = tree.map((x: JaxArray) => values(x), run(key(7), seed())) as Record<string, Array<number>>
    const jf = jit(run)
    const b = tree.map((x: JaxArray) => values(x), jf(key(7), seed())) as Record<string, Array<number>>
    const c = tree.map((x: JaxArray) => values(x), run(key(8), seed())) as Record<string, Array<number>>
    jf.dispose()
    for (const k of Object.keys(a)) {
      for (let i = 0; i < a[k]!.length; i++) assert.approximately(b[k]![i]!, a[k]![i]!, 1e-6, `${k} eager vs jit`)
      if (k.startsWith("stateless")) assert.deepStrictEqual(c[k], a[k], `${k} does not depend on the rng key`)
      else if (k !== "uniform_int_seeded") assert.notDeepEqual(c[k], a[k], `${k} depends on the rng key`)
    }
    assert.notDeepEqual(a["uniform"], a["uniform_seeded"], "each random node gets its own sub-key")
    const other = tree.map((x: JaxArray) => values(x), run(key(7), np.array([5, 6], { dtype: np.int32 }))) as Record<string, Array<number>>
    assert.notDeepEqual(other["stateless_uniform"], a["stateless_uniform"], "another seed, other stateless values")
  })

  it("65536-sample statistics agree with TF's (uniform, normal, stateless uniform and normal)", () => {
    const want = randomOps.cases.find((c: any) => c.target.name === "large")
    const out = large({ seed: toJax(want.inputs.seed) }, { rng: key(3) }) as Record<string, JaxArray>
    for (const [k, a] of Object.entries(out)) {
      const got = moments(values(a))
      const tf = want.outputs[k].stats ?? want.outputs[k]
      const isUniform = k.includes("uniform")
      const tol = isUniform ? 0.01 : 0.03
      assert.approximately(got.mean, tf.mean, tol, `${k} mean`)
      assert.approximately(got.std, tf.std, tol, `${k} std`)
      if (isUniform) assert.isTrue(got.min >= 0 && got.max < 1, `${k} range`)
    }
  })
})

describe("fixtures/control/random_more", () => {
  const sample = functional(moreModel.signatures["sample"]!, packs)
  const large = functional(moreModel.signatures["large"]!, packs)

  it("TruncatedNormal, RandomUniformInt, full-range ints, V1 stateless and stateless truncated: TF's shapes, dtypes and ranges", () => {
    const want = more.sample
    const out = sample({ seed: toJax(want.inputs.seed) }, { rng: key(11) }) as Record<string, JaxArray>
    assert.deepStrictEqual(Object.keys(out).sort(), Object.keys(want.outputs).sort())
    for (const [k, w] of Object.entries<any>(want.outputs)) {
      const a = out[k]!
      assert.deepStrictEqual(a.shape, w.shape, k)
      assert.strictEqual(String(a.dtype), jaxDtype(w.dtype), k)
      const v = values(a)
      if (k.includes("truncated")) assert.isTrue(v.every((x) => x > -2 && x < 2), `${k} within 2σ`)
      if (k === "uniform_int") assert.isTrue(v.every((x) => Number.isInteger(x) && x >= -5 && x < 5), k)
      if (k === "v1_uniform") assert.isTrue(v.every((x) => x >= 0 && x < 1), k)
      if (k === "full_int") assert.isTrue(v.every((x) => Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31), k)
    }
  })

  it("65536-sample statistics agree with TF's (truncated normal σ ≈ 0.88, ints in [0, 7), V1 stateless)", () => {
    const want = more.large
    const out = large({ seed: toJax(want.inputs.seed) }, { rng: key(12) }) as Record<string, JaxArray>
    for (const [k, a] of Object.entries(out)) {
      const got = moments(values(a))
      const tf = want.stats[k]
      const tol = k === "uniform_int" ? 0.05 : k.includes("uniform") ? 0.01 : 0.03
      assert.approximately(got.mean, tf.mean, tol, `${k} mean`)
      assert.approximately(got.std, tf.std, tol, `${k} std`)
      if (!(k.includes("normal") && !k.includes("truncated"))) {
        // bounded distributions: the same support as TF's draw ([0,1), [0,7), (−2,2))
        assert.isTrue(got.min >= Math.floor(tf.min) && got.max <= Math.ceil(tf.max), `${k} range [${got.min}, ${got.max}] vs TF [${tf.min}, ${tf.max}]`)
      }
    }
  })

  it("stateless_only: no rng needed; deterministic per seed (as TF), under jit and vmap over seeds", () => {
    const f = functional(moreModel.signatures["stateless_only"]!, packs)
    const want = more.stateless_only
    assert.isFalse(f.requiresRng)
    assert.isTrue(want.deterministic)
    const run = (seed: JaxArray) => f({ seed }) as Record<string, JaxArray>
    const a = tree.map((x: JaxArray) => values(x), run(toJax(want.inputs.seed))) as Record<string, Array<number>>
    const b = tree.map((x: JaxArray) => values(x), run(toJax(want.inputs.seed))) as Record<string, Array<number>>
    assert.deepStrictEqual(a, b)
    for (const [k, w] of Object.entries<any>(want.outputs)) {
      assert.strictEqual(a[k]!.length, w.shape.reduce((p: number, d: number) => p * d, 1), k)
      if (k === "int") assert.isTrue(a[k]!.every((x) => x >= 3 && x < 9))
    }
    const jf = jit(run)
    const j = tree.map((x: JaxArray) => values(x), jf(toJax(want.inputs.seed))) as Record<string, Array<number>>
    jf.dispose()
    for (const k of Object.keys(a)) a[k]!.forEach((x, i) => assert.approximately(j[k]![i]!, x, 1e-6, k))
    const seeds = np.stack([toJax(want.inputs.seed), np.array([1, 2], { dtype: np.int32 })])
    const v = vmap(run)(seeds)
    const rows = values(v["uniform"]!)
    assert.deepStrictEqual(rows.slice(0, 6), a["uniform"], "vmap row 0 = the unbatched draw")
    assert.notDeepEqual(rows.slice(6), a["uniform"], "another seed, other values")
    v["normal"]!.dispose()
    v["int"]!.dispose()
  })

  it("noisy_loop: random ops in a While body (fresh key per iteration) and an If branch, eager and jit", () => {
    const f = functional(moreModel.signatures["noisy_loop"]!, packs)
    assert.isTrue(f.requiresRng)
    const want = more.noisy_loop
    const x = decode(want.inputs.x)
    const run = (xx: JaxArray, k: JaxArray) => f({ x: xx }, { rng: k }) as Record<string, JaxArray>
    const jf = jit(run)
    for (const [label, out] of [["eager", run(toJax(want.inputs.x), key(5))], ["jit", jf(toJax(want.inputs.x), key(5))]] as const) {
      const y = values(out["y"]!)
      const z = values(out["z"]!)
      assert.deepStrictEqual([y.length, z.length], [3, 3])
      y.forEach((yi, i) => assert.isTrue(yi > x[i]! && yi < x[i]! + 3, `${label}: y = x + three uniform draws`))
      const increments = y.map((yi, i) => yi - x[i]!)
      assert.isTrue(new Set(increments.map((d) => d.toFixed(5))).size > 1, `${label}: draws differ per element`)
      if (x.reduce((a, b) => a + b, 0) > 0) assert.isTrue(z.some((zi, i) => Math.abs(zi - y[i]!) > 1e-6), `${label}: z = y + noise`)
      else z.forEach((zi, i) => assert.approximately(zi, y[i]! - 1, 1e-6, `${label}: z = y − 1`))
    }
    jf.dispose()
    const a = values(run(toJax(want.inputs.x), key(5))["y"]!)
    const b = values(run(toJax(want.inputs.x), key(6))["y"]!)
    assert.notDeepEqual(a, b)
  })

  it("leaves no live buffers behind (eager and jit)", () => {
    const f = functional(moreModel.signatures["sample"]!, packs)
    const seed = () => toJax(more.sample.inputs.seed)
    const once = () => {
      tree.dispose(f({ seed: seed() }, { rng: key(1) }))
      const jf = jit((s: JaxArray, k: JaxArray) => f({ seed: s }, { rng: k }))
      tree.dispose(jf(seed(), key(2)))
      jf.dispose()
    }
    once()
    const before = counter.live()
    once()
    once()
    assert.strictEqual(counter.live(), before)
  })
})
