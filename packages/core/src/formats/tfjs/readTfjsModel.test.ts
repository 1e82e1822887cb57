/**
 * `readTfjsGraphModel` on the 11 real graph-models of @vladmandic/human@3.3.6 (facts taken from
 * the files themselves, read here with a plain JSON.parse), on synthetic models for what those
 * files lack (library functions, no signature, casts, shards in folders), and on bad input.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import fc from "fast-check"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { InvalidModelError, ModelFileNotFoundError } from "../../errors.js"
import { hostBytes, numElements, type HostTensor } from "../../HostTensor.js"
import { fromMemory, type ModelSource } from "../../io/ModelSource.js"
import { loadFromDisk } from "../../test-util/load.js"
import { HUMAN_MODELS, humanModelsDir } from "../../test-util/paths.js"
import { readTfjsGraphModel } from "./readTfjsModel.js"

type Json = any // eslint-disable-line @typescript-eslint/no-explicit-any

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v))

const human = (name: string) => {
  const text = readFileSync(join(humanModelsDir, `${name}.json`), "utf8")
  const bin = new Uint8Array(readFileSync(join(humanModelsDir, `${name}.bin`)))
  return { json: JSON.parse(text) as Json, source: fromMemory({ [`${name}.json`]: new TextEncoder().encode(text), [`${name}.bin`]: bin }), bin }
}

/** Quantization per model as the manifests state it: [float16, uint8, unquantized]. */
const QUANTIZATION: Record<string, readonly [number, number, number]> = {
  antispoof: [10, 0, 1],
  blazeface: [0, 0, 112],
  centernet: [227, 0, 40],
  emotion: [0, 0, 23],
  facemesh: [114, 0, 6],
  faceres: [127, 0, 1],
  "handlandmark-lite": [102, 0, 1],
  handtrack: [0, 272, 347],
  iris: [0, 0, 191],
  liveness: [0, 0, 23],
  "movenet-lightning": [149, 0, 31]
}

const STORED_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 }

const countBy = <T>(xs: ReadonlyArray<T>, key: (x: T) => string): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1
  return out
}

const jsonShape = (s: Json) => (s === undefined ? null : s.unknownRank ? null : (s.dim ?? []).map((d: Json) => Number(d.size ?? 0)))
const dtypeName = (dt: string) => ({ DT_FLOAT: "float32", DT_INT32: "int32", DT_UINT8: "uint8" })[dt]

describe("readTfjsGraphModel: the 11 human@3.3.6 graph-models", () => {
  for (const name of HUMAN_MODELS) {
    it.effect(`${name}: graph, constants, weights and signature as the files state them`, () =>
      Effect.gen(function* () {
        const { json, source, bin } = human(name)
        const m = yield* readTfjsGraphModel(source, `${name}.json`)
        const nodes: Array<Json> = json.modelTopology.node
        // Node counts by op, against a plain parse.
        assert.deepStrictEqual(countBy(m.graph.nodes, (n) => n.op), countBy(nodes, (n) => n.op))
        // Every Const has a value with the manifest's dtype and shape; stored sizes add up to the .bin.
        const specs: Array<Json> = json.weightsManifest.flatMap((g: Json) => g.weights)
        const byName = new Map(specs.map((w) => [w.name, w]))
        const consts = m.graph.nodes.filter((n) => n.op === "Const")
        assert.strictEqual(consts.length, specs.length)
        for (const c of consts) {
          const v = c.attrs["value"]
          assert.strictEqual(v?.kind, "tensor", c.name)
          const t = v!.value as HostTensor
          const w = byName.get(c.name)
          assert.strictEqual(t.dtype, w.dtype, c.name)
          assert.deepStrictEqual(t.shape, w.shape, c.name)
          assert.strictEqual(hostBytes(t), numElements(w.shape) * STORED_BYTES[w.dtype]!, c.name)
        }
        const stored = specs.reduce((s, w) => s + numElements(w.shape) * STORED_BYTES[w.quantization?.dtype ?? w.dtype]!, 0)
        assert.strictEqual(stored, bin.length)
        assert.strictEqual(m.tfjs.weightBytes, bin.length)
        // Quantization counts, from the manifest (QUANTIZATION) and from real-models.md.
        const q = countBy(specs, (w) => w.quantization?.dtype ?? "none")
        assert.deepStrictEqual([q["float16"] ?? 0, q["uint8"] ?? 0, q["none"] ?? 0], QUANTIZATION[name])
        for (const w of specs) assert.include(["float32", "int32", "bool"], w.dtype)
        // Signature: inputs exactly as model.json states them; outputs by key.
        const sig = json.signature ?? json.userDefinedMetadata.signature
        const s = m.signatures["serving_default"]!
        assert.deepStrictEqual(
          s.inputs,
          Object.fromEntries(
            Object.entries(sig.inputs).map(([k, v]: [string, Json]) => [
              k,
              { name: /:\d+$/.test(v.name) ? v.name : `${v.name}:0`, dtype: dtypeName(v.dtype), shape: jsonShape(v.tensorShape) }
            ])
          )
        )
        assert.deepStrictEqual(Object.keys(s.outputs), Object.keys(sig.outputs))
        assert.strictEqual(s.function, undefined)
        assert.strictEqual(s.model, m)
        // Model-level facts.
        assert.strictEqual(m.format, "tfjs-graph-model")
        assert.strictEqual(m.producer.tensorflowVersion, json.generatedBy)
        assert.strictEqual(m.producer.converter, json.convertedBy)
        assert.strictEqual(m.producer.graphProducer, json.modelTopology.versions?.producer ?? 0)
        assert.deepStrictEqual([m.tags, m.availableTags, m.variables, m.concreteFunctions, m.functions, m.assets], [[], [], {}, {}, {}, {}])
        assert.strictEqual(m.tfjs.unusedWeights.size, 0)
        assert.deepStrictEqual(m.notes, [])
      }))
  }

  it.effect("the largest models load through the file system (loadModelFromPath); load time is logged", () =>
    Effect.gen(function* () {
      for (const name of ["faceres", "handtrack"]) {
        const t0 = performance.now()
        const m = yield* loadFromDisk(join(humanModelsDir, `${name}.json`))
        const ms = performance.now() - t0
        console.log(`load ${name}: ${ms.toFixed(1)} ms (${m.graph.nodes.length} nodes)`)
        assert.strictEqual(m.format, "tfjs-graph-model")
      }
    }))
})

// ---------------------------------------------------------------------------------------------
// Synthetic models

const f32 = (xs: Array<number>) => new Uint8Array(new Float32Array(xs).buffer)
const i32 = (xs: Array<number>) => new Uint8Array(new Int32Array(xs).buffer)
const cat = (...parts: Array<Uint8Array>) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0))
  let k = 0
  for (const p of parts) out.set(p, (k += p.length) - p.length)
  return out
}
const shape = (dims: Array<number>) => ({ dim: dims.map((d) => ({ size: String(d) })) })
const constNode = (name: string, dtype: string, dims: Array<number>, input?: Array<string>) => ({
  name,
  op: "Const",
  ...(input ? { input } : {}),
  attr: { dtype: { type: dtype }, value: { tensor: { dtype, tensorShape: shape(dims) } } }
})

/** A small model in a folder: two groups, one cut across two shards, one shard in a subfolder. */
const synthetic = (): { json: Json; files: Record<string, Uint8Array> } => {
  const json = {
    format: "graph-model",
    generatedBy: "2.15.0",
    convertedBy: "TensorFlow.js Converter v4.22.0",
    signature: {
      inputs: { x: { name: "x:0", dtype: "DT_FLOAT", tensorShape: shape([-1, 3]) } },
      outputs: { y: { name: "out:0", dtype: "DT_FLOAT", tensorShape: shape([-1, 3]) } }
    },
    modelTopology: {
      node: [
        { name: "x", op: "Placeholder", attr: { dtype: { type: "DT_FLOAT" }, shape: { shape: shape([-1, 3]) } } },
        constNode("w", "DT_FLOAT", [3]),
        constNode("k", "DT_INT64", [2], ["^w"]),
        constNode("q", "DT_FLOAT", [4]),
        { name: "add", op: "AddV2", input: ["x", "w"], attr: { T: { type: "DT_FLOAT" } } },
        { name: "call", op: "StatefulPartitionedCall", input: ["add"], attr: { f: { func: { name: "f" } } } },
        { name: "out", op: "Identity", input: ["call"], attr: { T: { type: "DT_FLOAT" } } }
      ],
      library: {
        function: [
          {
            signature: { name: "f", inputArg: [{ name: "a", type: "DT_FLOAT" }], outputArg: [{ name: "o", type: "DT_FLOAT" }] },
            nodeDef: [
              constNode("f/c", "DT_FLOAT", []),
              { name: "m", op: "Mul", input: ["a", "f/c:output:0"], attr: { T: { type: "DT_FLOAT" } } }
            ],
            ret: { o: "m:z:0" }
          }
        ]
      },
      versions: { producer: 1645 }
    },
    weightsManifest: [
      {
        paths: ["group1-shard1of2.bin", "group1-shard2of2.bin"],
        weights: [
          { name: "w", shape: [3], dtype: "float32" },
          { name: "k", shape: [2], dtype: "int32" },
          { name: "q", shape: [4], dtype: "float32", quantization: { dtype: "uint8", min: -1, scale: 0.5, original_dtype: "float32" } }
        ]
      },
      { paths: ["more/group2-shard1of1.bin"], weights: [{ name: "f/c", shape: [], dtype: "float32" }, { name: "spare", shape: [1], dtype: "int32" }] }
    ]
  }
  const g1 = cat(f32([1, 2, 3]), i32([7, -8]), new Uint8Array([0, 1, 2, 255]))
  return {
    json,
    files: {
      "model/model.json": enc(json),
      "model/group1-shard1of2.bin": g1.slice(0, 14),
      "model/group1-shard2of2.bin": g1.slice(14),
      "model/more/group2-shard1of1.bin": cat(f32([0.5]), i32([42])),
      // Outside the model folder: a manifest must never reach it.
      "secret.bin": new Uint8Array(64).fill(7)
    }
  }
}

const readSynthetic = (files: Record<string, Uint8Array>) => readTfjsGraphModel(fromMemory(files), "model/model.json")

describe("readTfjsGraphModel: synthetic models", () => {
  it.effect("shards in order across files and folders; function constants; int64 Const widened; unused weights kept", () =>
    Effect.gen(function* () {
      const m = yield* readSynthetic(synthetic().files)
      const value = (n: { attrs: Json }) => n.attrs["value"].value as HostTensor
      const byName = new Map(m.graph.nodes.map((n) => [n.name, n]))
      assert.deepStrictEqual(Array.from(value(byName.get("w")!).data as Float32Array), [1, 2, 3])
      // The converter wrote int64 as int32; the node says DT_INT64, so the IR holds int64 again.
      assert.deepStrictEqual(value(byName.get("k")!), { dtype: "int64", shape: [2], data: new BigInt64Array([7n, -8n]) })
      assert.deepStrictEqual(Array.from(value(byName.get("q")!).data as Float32Array), [-1, -0.5, 0, 126.5])
      const fc = m.graph.library.functions.get("f")!.nodes[0]!
      assert.deepStrictEqual(Array.from(value(fc).data as Float32Array), [0.5])
      assert.deepStrictEqual([...m.tfjs.unusedWeights.keys()], ["spare"])
      assert.deepStrictEqual(m.notes, ["1 weight(s) of the manifest are used by no Const node (kept in tfjs.unusedWeights)"])
      assert.deepStrictEqual(m.signatures["serving_default"]!.inputs, { x: { name: "x:0", dtype: "float32", shape: [-1, 3] } })
      assert.deepStrictEqual(m.producer, {
        tensorflowVersion: "2.15.0",
        tensorflowGitVersion: undefined,
        graphProducer: 1645,
        minConsumer: 0,
        converter: "TensorFlow.js Converter v4.22.0"
      })
      assert.strictEqual(m.source, "memory/model/model.json")
    }))

  it.effect("no signature: inputs are the placeholders, outputs the nodes nothing consumes", () =>
    Effect.gen(function* () {
      const { json, files } = synthetic()
      delete json.signature
      const m = yield* readSynthetic({ ...files, "model/model.json": enc(json) })
      const s = m.signatures["serving_default"]!
      assert.deepStrictEqual(s.inputs, { x: { name: "x:0", dtype: "float32", shape: [-1, 3] } })
      assert.deepStrictEqual(s.outputs, { out: { name: "out:0", dtype: "float32", shape: null } })
      // Older place of the signature; keys may be tensor names; a name-only output takes the node's dtype.
      json.userDefinedMetadata = { signature: { inputs: { "x:0": { name: "x:0", dtype: "DT_FLOAT", tensorShape: shape([2, 3]) } }, outputs: { y: { name: "out" } } } }
      const old = yield* readSynthetic({ ...files, "model/model.json": enc(json) })
      assert.deepStrictEqual(old.signatures["serving_default"]!.inputs, { "x:0": { name: "x:0", dtype: "float32", shape: [2, 3] } })
      assert.deepStrictEqual(old.signatures["serving_default"]!.outputs, { y: { name: "out:0", dtype: "float32", shape: null } })
    }))

  it.effect("a signature naming a missing node, a weight of the wrong shape or an impossible cast is refused", () =>
    Effect.gen(function* () {
      const fail = (mutate: (j: Json) => void) => {
        const { json, files } = synthetic()
        mutate(json)
        return Effect.flip(readSynthetic({ ...files, "model/model.json": enc(json) }))
      }
      const e1 = yield* fail((j) => (j.signature.outputs.y.name = "nope:0"))
      assert.strictEqual(e1._tag === "InvalidModelError" && e1.where, "signature.outputs.y.name")
      const e2 = yield* fail((j) => (j.modelTopology.node[1].attr.value.tensor.tensorShape = shape([1, 3])))
      assert.include(e2.message, 'Const node "w" is float32[1,3] but weight "w" in the weightsManifest is float32[3]')
      const e3 = yield* fail((j) => (j.modelTopology.node[1].attr.value.tensor.dtype = "DT_STRING"))
      assert.include(e3.message, "no cast leads there")
      const e4 = yield* fail((j) => (j.weightsManifest[1].weights[0].name = "other"))
      assert.include(e4.message, 'Const node "f/c" has no value')
    }))

  it.effect('"paths": ["../../etc/passwd"] is refused before anything is read', () =>
    Effect.gen(function* () {
      const { json, files } = synthetic()
      json.weightsManifest[0].paths = ["../../etc/passwd"]
      const reads: Array<string> = []
      const src = recording(fromMemory({ ...files, "model/model.json": enc(json) }), reads)
      const e = yield* Effect.flip(readTfjsGraphModel(src, "model/model.json"))
      assert.instanceOf(e, InvalidModelError)
      assert.strictEqual((e as InvalidModelError).where, "weightsManifest[0].paths[0]")
      assert.include(e.message, "escapes the model directory")
      assert.deepStrictEqual(reads, ["model/model.json"])
      // Inside the source root but outside model.json's folder is refused as well.
      json.weightsManifest[0].paths = ["../secret.bin"]
      const e2 = yield* Effect.flip(readSynthetic({ ...files, "model/model.json": enc(json) }))
      assert.include(e2.message, "escapes the model directory")
    }))

  it.effect("a missing shard is ModelFileNotFoundError; a layers-model is refused as out of scope", () =>
    Effect.gen(function* () {
      const { files } = synthetic()
      const { ["model/group1-shard2of2.bin"]: _gone, ...rest } = files
      const e = yield* Effect.flip(readSynthetic(rest))
      assert.instanceOf(e, ModelFileNotFoundError)
      assert.strictEqual((e as ModelFileNotFoundError).file, "model/group1-shard2of2.bin")
      const keras = enc({ format: "layers-model", modelTopology: { class_name: "Sequential", config: {} }, weightsManifest: [] })
      const k = yield* Effect.flip(readSynthetic({ "model/model.json": keras }))
      assert.include(k.message, "layers-model")
    }))

  it.effect("modelInitializer is read too, its constants from the same manifest", () =>
    Effect.gen(function* () {
      const { json, files } = synthetic()
      json.modelInitializer = { node: [constNode("spare", "DT_INT32", [1]), { name: "init", op: "Identity", input: ["spare"] }] }
      const m = yield* readSynthetic({ ...files, "model/model.json": enc(json) })
      const init = m.tfjs.initializer!
      assert.deepStrictEqual(Array.from((init.graph.nodes[0]!.attrs["value"]!.value as HostTensor).data as Int32Array), [42])
      assert.deepStrictEqual(Object.keys(init.signature.outputs), ["init"])
      assert.strictEqual(m.tfjs.unusedWeights.size, 0)
    }))
})

/** Records every path a source is asked to read. */
const recording = (src: ModelSource, reads: Array<string>): ModelSource => ({
  ...src,
  read: (p) => Effect.suspend(() => (reads.push(p), src.read(p)))
})

// ---------------------------------------------------------------------------------------------
// Bad input, property-based

const RUNS = 300
const MiB = 1024 * 1024

interface Outcome {
  ok: number
  invalid: number
  notFound: number
}

/**
 * Runs the reader on `files` and checks the outcome: success (when `mayPass`), or a typed
 * read error that is not a disguised bug; never a defect, never a hang, never reading outside
 * the model folder, never a large allocation (the inputs are a few hundred bytes).
 */
const check = async (files: Record<string, Uint8Array>, outcome: Outcome, mayPass: boolean, allowNotFound = true) => {
  const reads: Array<string> = []
  const before = process.memoryUsage().arrayBuffers
  const run = Effect.runPromiseExit(readTfjsGraphModel(recording(fromMemory(files), reads), "model/model.json"))
  let timer: ReturnType<typeof setTimeout> | undefined
  const exit = await Promise.race([
    run,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("reader hung for 5 s")), 5000)))
  ]).finally(() => clearTimeout(timer))
  const grown = process.memoryUsage().arrayBuffers - before
  if (grown > 64 * MiB) throw new Error(`reader allocated ${(grown / MiB).toFixed(0)} MiB`)
  for (const r of reads) if (!r.startsWith("model/")) throw new Error(`read outside the model folder: ${r}`)
  if (Exit.isSuccess(exit)) {
    if (!mayPass) throw new Error("expected a failure")
    outcome.ok++
    return
  }
  const err = exit.cause.reasons.find((r) => r._tag === "Fail")
  const e = err?._tag === "Fail" ? err.error : undefined
  if (e instanceof InvalidModelError) {
    if (e.what.includes("unexpected error")) throw new Error(`a bug surfaced as InvalidModelError: ${e.message}`)
    outcome.invalid++
  } else if (e instanceof ModelFileNotFoundError && allowNotFound) {
    outcome.notFound++
  } else {
    throw new Error(`not a typed read error: ${String(exit.cause)}`)
  }
}

/** Every path into a JSON value. */
const pathsOf = (v: Json, prefix: Array<string | number> = []): Array<Array<string | number>> => {
  const out: Array<Array<string | number>> = [prefix]
  if (Array.isArray(v)) v.forEach((x, k) => out.push(...pathsOf(x, [...prefix, k])))
  else if (v !== null && typeof v === "object") for (const k of Object.keys(v)) out.push(...pathsOf(v[k], [...prefix, k]))
  return out
}

const setAt = (root: Json, path: ReadonlyArray<string | number>, value: unknown, remove: boolean): Json => {
  if (path.length === 0) return value
  const copy = structuredClone(root)
  let at = copy
  for (const k of path.slice(0, -1)) at = at[k]
  const last = path[path.length - 1]!
  if (remove && Array.isArray(at)) at.splice(last as number, 1)
  else if (remove) delete at[last]
  else at[last] = value
  return copy
}

/** Values that have broken readers before: wrong types, extreme numbers, bad names, escapes. */
const nasty: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    -1, -2, 0, 1, 1e9, 1e300, 2 ** 31, 2 ** 32, 2 ** 53, -0.5, 1.5, "", "-1", "-5", "1e9", "99999999999999999999999",
    "NaN", "Infinity", "DT_BOGUS", "DT_INVALID", "DT_STRING", "DT_RESOURCE", "DT_INT64", "DT_HALF", "float64", "uint8",
    "float16", "string", "complex64", "bool", "!!!", "AAAA", "=", "../x.bin", "../../etc/passwd", "/etc/passwd",
    "http://example.com/w.bin", "file:///etc/passwd", "C:\\w.bin", "a\\..\\..\\b", "\u0000", "__proto__", null, true,
    [], {}, [1e9, 1e9], [1e5, 1e5], [2 ** 31], [-1], [0], { unknownRank: true }, { dim: [{ size: "-5" }] },
    { dim: [{ size: "1000000000" }, { size: "1000000000" }] }, { dtype: "uint16" }, { dtype: "uint8", min: 0, scale: 1e300 }
  )
)

const base = synthetic()
const baseText = JSON.stringify(base.json)
const withJson = (text: string | Uint8Array) => ({ ...base.files, "model/model.json": typeof text === "string" ? new TextEncoder().encode(text) : text })
const counts: Record<string, Outcome> = {}
const outcome = (name: string): Outcome => (counts[name] ??= { ok: 0, invalid: 0, notFound: 0 })

describe("readTfjsGraphModel: bad input never escapes as anything but a typed error", () => {
  it("the unmodified synthetic model loads (the properties below start from it)", async () => {
    await check(base.files, outcome("baseline"), true)
    assert.deepStrictEqual(counts["baseline"], { ok: 1, invalid: 0, notFound: 0 })
  })

  it(`truncated model.json text → InvalidModelError (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: baseText.length - 1 }), (cut) => check(withJson(baseText.slice(0, cut)), outcome("truncated json"), false, false)),
      { numRuns: RUNS }
    )
  })

  it(`garbled model.json bytes → loads or a typed error (${RUNS} runs)`, async () => {
    const bytes = new TextEncoder().encode(baseText)
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
        const b = bytes.slice()
        for (const [at, v] of edits) b[at] = v
        return check(withJson(b), outcome("garbled json"), true)
      }),
      { numRuns: RUNS }
    )
  })

  const allPaths = pathsOf(base.json)
  it(`a JSON value replaced or removed anywhere (${allPaths.length} places) → loads or a typed error (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: allPaths.length - 1 }), nasty, fc.boolean(), (k, value, remove) =>
        check(withJson(JSON.stringify(setAt(base.json, allPaths[k]!, value, remove))), outcome("mutated json"), true)
      ),
      { numRuns: RUNS }
    )
  })

  const manifestPaths = allPaths.filter((p) => p[0] === "weightsManifest" || (p.includes("tensor") && p[0] === "modelTopology"))
  it(`manifest and Const tensor fields mutated (shapes, dtypes, quantization, names) → loads or a typed error (${RUNS} runs)`, async () => {
    const dims = fc.array(fc.oneof(fc.nat({ max: 16 }), fc.constantFrom(-1, 1e5, 1e9, 2 ** 31, 2 ** 53, 1e300)), { maxLength: 4 })
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: manifestPaths.length - 1 }), fc.oneof(nasty, dims), (k, value) =>
        check(withJson(JSON.stringify(setAt(base.json, manifestPaths[k]!, value, false))), outcome("mutated manifest"), true)
      ),
      { numRuns: RUNS }
    )
  })

  it(`shard paths replaced by escapes, absolute paths and URLs → InvalidModelError or not found, nothing outside read (${RUNS} runs)`, async () => {
    const escape = fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 4 }), fc.constantFrom("secret.bin", "etc/passwd", "model/group1-shard1of2.bin")).map(([n, f]) => `${"../".repeat(n)}${f}`),
      fc.tuple(fc.constantFrom("", "./", "more/", "a/b/"), fc.integer({ min: 1, max: 4 })).map(([p, n]) => `${p}${"../".repeat(n + p.split("/").length - 1)}secret.bin`),
      fc.constantFrom(
        "/etc/passwd", "//server/share/w.bin", "\\\\server\\share\\w.bin", "C:\\w.bin", "c:/w.bin", "file:///etc/passwd",
        "https://example.com/w.bin", "data:application/octet-stream;base64,AAAA", "..\\secret.bin", "more\\..\\..\\secret.bin",
        "w.bin\u0000.txt", "%2e%2e/secret.bin", ".", "./", "more/.."
      )
    )
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 1 }), fc.nat({ max: 1 }), escape, (g, k, path) => {
        const json = structuredClone(base.json)
        const paths = json.weightsManifest[g].paths
        paths[Math.min(k, paths.length - 1)] = path
        return check(withJson(JSON.stringify(json)), outcome("escaping paths"), false)
      }),
      { numRuns: RUNS }
    )
  })

  const shardNames = Object.keys(base.files).filter((f) => f.startsWith("model/") && f.endsWith(".bin"))
  it(`a shard truncated → InvalidModelError; removed → ModelFileNotFoundError (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...shardNames), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), async (name, frac, remove) => {
        const shard = base.files[name]!
        const files = { ...base.files }
        if (remove) delete files[name]
        else files[name] = shard.slice(0, Math.min(shard.length - 1, Math.floor(frac * shard.length)))
        const o = outcome("truncated shards")
        const before = { ...o }
        await check(files, o, false)
        if (remove ? o.notFound !== before.notFound + 1 : o.invalid !== before.invalid + 1) throw new Error("wrong error kind")
      }),
      { numRuns: RUNS }
    )
  })

  it("a manifest shape of [1e9, 1e9] or [1e5, 1e5] over a 14-byte shard is refused without allocating", async () => {
    for (const dims of [[1e9, 1e9], [1e5, 1e5], [2 ** 31], [65536, 65536]]) {
      const json = structuredClone(base.json)
      json.weightsManifest[0].weights[0].shape = dims
      json.modelTopology.node[1].attr.value.tensor.tensorShape = shape(dims)
      await check(withJson(JSON.stringify(json)), outcome("huge shapes"), false)
    }
    assert.strictEqual(counts["huge shapes"]!.invalid, 4)
    console.log("fuzz outcomes (runs per property; ok / InvalidModelError / ModelFileNotFoundError):", JSON.stringify(counts))
  })
})
