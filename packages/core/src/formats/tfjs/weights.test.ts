/**
 * Weights manifest → host tensors. Expected values come from TF.js itself
 * (`tf.io.decodeWeights`, @tensorflow/tfjs-core 4.22.0, CPU backend) on the same bytes.
 */
import { assert, describe, it } from "@effect/vitest"
import * as tf from "@tensorflow/tfjs-core"
import "@tensorflow/tfjs-backend-cpu"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { InvalidModelError } from "../../errors.js"
import type { HostTensor } from "../../HostTensor.js"
import { fromMemory } from "../../io/ModelSource.js"
import { humanModelsDir } from "../../test-util/paths.js"
import type { WeightEntryJson, WeightGroupJson } from "./modelJson.js"
import { decodeWeights, planWeights, readWeights } from "./weights.js"

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0))
  let k = 0
  for (const p of parts) {
    out.set(p, k)
    k += p.length
  }
  return out
}
const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice()
const u32 = (n: number) => bytesOf(new Uint32Array([n]))
const utf8 = (s: string) => new TextEncoder().encode(s)

/** TF.js's decoding of the same manifest and bytes, as plain arrays (bit patterns for floats). */
const tfjsDecode = (weights: ReadonlyArray<WeightEntryJson>, data: Uint8Array): Record<string, unknown> => {
  const buf = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer
  const map = tf.io.decodeWeights(buf, weights as unknown as Array<tf.io.WeightsManifestEntry>)
  const out: Record<string, unknown> = {}
  for (const [name, t] of Object.entries(map)) {
    out[name] = canonical(t.dtype, t.dataSync() as ArrayLike<unknown>)
    t.dispose()
  }
  return out
}

/** Values in a form where equality means bit equality (floats via their uint32 bits). */
const canonical = (dtype: string, data: ArrayLike<unknown>): unknown => {
  if (data instanceof Float32Array) return { dtype, bits: Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length)) }
  // TF.js's dataSync gives strings decoded as UTF-8; we keep bytes (ASCII here, so they agree).
  if (Array.isArray(data)) return { dtype, strings: data.map((s) => Array.from(typeof s === "string" ? utf8(s) : (s as Uint8Array))) }
  return { dtype, values: Array.from(data as ArrayLike<number>, Number) }
}

const ours = (t: HostTensor): unknown =>
  canonical(t.dtype === "complex64" ? "complex64" : t.dtype, t.data as ArrayLike<unknown>)

const decodeOne = (group: WeightGroupJson, shards: ReadonlyArray<Uint8Array>) =>
  decodeWeights(planWeights([group], "model.json"), [shards], "model.json")

const failsWith = (f: () => unknown): InvalidModelError => {
  try {
    f()
  } catch (e) {
    if (e instanceof InvalidModelError) return e
    throw e
  }
  throw new Error("expected an InvalidModelError")
}

describe("weights: synthetic groups vs TF.js decodeWeights", () => {
  // Every dtype and quantization TF.js writes, laid out so that some weights cross the shard cut.
  const weights: Array<WeightEntryJson> = [
    { name: "f32", shape: [2, 2], dtype: "float32" },
    { name: "i32", shape: [3], dtype: "int32" },
    { name: "b", shape: [3], dtype: "bool" },
    { name: "c64", shape: [2], dtype: "complex64" },
    { name: "s", shape: [2], dtype: "string" },
    { name: "q8", shape: [4], dtype: "float32", quantization: { dtype: "uint8", min: -1.25, scale: 0.1 } },
    { name: "q16i", shape: [3], dtype: "int32", quantization: { dtype: "uint16", min: -3, scale: 0.37 } },
    { name: "h", shape: [5], dtype: "float32", quantization: { dtype: "float16" } },
    { name: "empty", shape: [0, 3], dtype: "float32" }
  ]
  const data = concat([
    bytesOf(new Float32Array([1.5, -2, 3.25, Math.PI])),
    bytesOf(new Int32Array([7, -8, 2 ** 31 - 1])),
    new Uint8Array([1, 0, 1]),
    bytesOf(new Float32Array([1, 2, -3, 4.5])),
    u32(5), utf8("hello"), u32(0),
    new Uint8Array([0, 1, 128, 255]),
    bytesOf(new Uint16Array([0, 1000, 65535])),
    bytesOf(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0xfc00]))
  ])
  const group = (paths: Array<string>): WeightGroupJson => ({ paths, weights })

  it("one shard: every dtype and quantization decodes as TF.js decodes it", () => {
    const got = decodeOne(group(["a.bin"]), [data])
    const expected = tfjsDecode(weights, data)
    for (const w of weights) assert.deepStrictEqual(ours(got.tensors.get(w.name)!), expected[w.name], w.name)
    assert.deepStrictEqual(got.notes, [])
  })

  it("any shard cut gives the same values; weights within one shard are views, crossing ones copies", () => {
    const expected = tfjsDecode(weights, data)
    for (let cut = 0; cut <= data.length; cut++) {
      const shards = [data.slice(0, cut), data.slice(cut)]
      const got = decodeOne(group(["a.bin", "b.bin"]), shards)
      for (const w of weights) assert.deepStrictEqual(ours(got.tensors.get(w.name)!), expected[w.name], `${w.name} cut ${cut}`)
      const f32 = got.tensors.get("f32")!.data as Float32Array
      if (cut >= 16) assert.strictEqual(f32.buffer, shards[0]!.buffer, `f32 is a view (cut ${cut})`)
      if (cut > 0 && cut < 16) assert.notStrictEqual(f32.buffer, shards[0]!.buffer, `f32 is a copy (cut ${cut})`)
      if (cut === 0) assert.strictEqual(f32.buffer, shards[1]!.buffer)
    }
  })

  it("three shards, one of them empty, in paths order", () => {
    const shards = [data.slice(0, 10), new Uint8Array(0), data.slice(10)]
    const got = decodeOne(group(["a.bin", "e.bin", "b.bin"]), shards)
    const expected = tfjsDecode(weights, data)
    for (const w of weights) assert.deepStrictEqual(ours(got.tensors.get(w.name)!), expected[w.name], w.name)
  })

  it("refuses shards shorter than the manifest before decoding anything", () => {
    for (const len of [0, 1, 15, data.length - 30, data.length - 1]) {
      const e = failsWith(() => decodeOne(group(["a.bin"]), [data.slice(0, len)]))
      assert.strictEqual(e.file, "model.json")
      assert.match(e.where, /^weightsManifest\[0\]/)
    }
  })

  it("trailing bytes: tolerated (and noted) at the very end only", () => {
    const extra = concat([data, new Uint8Array(3)])
    assert.deepStrictEqual(decodeOne(group(["a.bin"]), [extra]).notes, ["3 trailing bytes after the last weight in a.bin were ignored"])
    const two = [group(["a.bin"]), { paths: ["b.bin"], weights: [{ name: "z", shape: [1], dtype: "int32" as const }] }]
    const e = failsWith(() => decodeWeights(planWeights(two, "model.json"), [[extra], [u32(1)]], "model.json"))
    assert.strictEqual(e.where, "weightsManifest[0]")
  })

  it("strings: a length running past the end is refused", () => {
    const w: WeightGroupJson = { paths: ["a.bin"], weights: [{ name: "s", shape: [2], dtype: "string" }] }
    const e = failsWith(() => decodeOne(w, [concat([u32(1), utf8("x"), u32(1000), utf8("abc")])]))
    assert.include(e.what, "string element 1")
    // 10^6 strings cannot be in 12 bytes: refused before an array of 10^6 entries is made.
    const big: WeightGroupJson = { paths: ["a.bin"], weights: [{ name: "s", shape: [1000, 1000], dtype: "string" }] }
    assert.include(failsWith(() => decodeOne(big, [new Uint8Array(12)])).what, "bytes")
  })

  it("plan: huge shapes, duplicates and quantization TF.js refuses are errors", () => {
    const plan = (ws: Array<WeightEntryJson>, paths = ["a.bin"]) => failsWith(() => planWeights([{ paths, weights: ws }], "m/model.json"))
    assert.include(plan([{ name: "w", shape: [1e9, 1e9], dtype: "float32" }]).what, "too many elements")
    assert.include(plan([{ name: "w", shape: [], dtype: "int32" }, { name: "w", shape: [], dtype: "int32" }]).what, "also defined")
    assert.include(plan([{ name: "w", shape: [], dtype: "int32", quantization: { dtype: "float16" } }]).what, "float32 weights only")
    assert.include(plan([{ name: "w", shape: [], dtype: "bool", quantization: { dtype: "uint8", min: 0, scale: 1 } }]).what, "float32 and int32")
    assert.include(plan([{ name: "w", shape: [], dtype: "float32", quantization: { dtype: "uint8", min: 0 } }]).what, "min")
    const esc = plan([], ["../../etc/passwd"])
    assert.strictEqual(esc.where, "weightsManifest[0].paths[0]")
    assert.include(esc.what, "escapes")
    assert.include(plan([], ["/etc/passwd"]).what, "relative")
    assert.include(plan([], ["https://example.com/w.bin"]).what, "relative")
    assert.include(plan([], ["C:\\w.bin"]).what, "relative")
    assert.include(plan([], ["a/../../w.bin"]).what, "escapes")
    assert.include(plan([], [""]).what, "names no file")
    // Paths resolve against model.json's directory.
    assert.deepStrictEqual(planWeights([{ paths: ["./w/a.bin", "b.bin"], weights: [] }], "m/model.json")[0]!.paths, ["m/w/a.bin", "m/b.bin"])
  })
})

describe("weights: real human@3.3.6 models vs TF.js decodeWeights", () => {
  const load = (name: string) => {
    const json = JSON.parse(readFileSync(join(humanModelsDir, `${name}.json`), "utf8")) as { weightsManifest: Array<WeightGroupJson> }
    const bin = new Uint8Array(readFileSync(join(humanModelsDir, `${name}.bin`)))
    const source = fromMemory({ [`${name}.json`]: new Uint8Array(0), [`${name}.bin`]: bin })
    return { manifest: json.weightsManifest, bin, source }
  }

  for (const [name, kind, count] of [["facemesh", "float16", 114], ["handtrack", "uint8", 272]] as const) {
    it.effect(`${name}: every weight (${kind}-quantized: ${count}) equals TF.js's value bit for bit`, () =>
      Effect.gen(function* () {
        const { bin, manifest, source } = load(name)
        const specs = manifest.flatMap((g) => g.weights)
        assert.strictEqual(specs.filter((w) => w.quantization?.dtype === kind).length, count)
        const got = yield* readWeights(source, manifest, `${name}.json`)
        const expected = tfjsDecode(specs, bin)
        assert.strictEqual(got.tensors.size, specs.length)
        for (const w of specs) assert.deepStrictEqual(ours(got.tensors.get(w.name)!), expected[w.name], w.name)
        assert.strictEqual(got.shardBytes, bin.length)
      }))
  }

  it.effect("blazeface (unquantized float32/int32, all 4-byte aligned): every weight is a view of the shard", () =>
    Effect.gen(function* () {
      const { manifest, bin, source } = load("blazeface")
      const got = yield* readWeights(source, manifest, "blazeface.json")
      const expected = tfjsDecode(manifest.flatMap((g) => g.weights), bin)
      for (const [name, t] of got.tensors) {
        assert.strictEqual((t.data as Float32Array).buffer, bin.buffer, name)
        assert.deepStrictEqual(ours(t), expected[name], name)
      }
    }))

  it.effect("progress is reported per shard file", () =>
    Effect.gen(function* () {
      const { manifest, source } = load("emotion")
      const seen: Array<string> = []
      yield* readWeights(source, manifest, "emotion.json", { onProgress: (p) => seen.push(`${p.stage} ${p.done}/${p.total}`) })
      assert.deepStrictEqual(seen, ["weights 0/1", "weights 1/1"])
    }))
})
