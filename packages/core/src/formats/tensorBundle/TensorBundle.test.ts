import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import fc from "fast-check"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import type { DType } from "../../dtype.js"
import { dtypeToEnum } from "../../dtype.js"
import type { ReadError } from "../../errors.js"
import { InvalidModelError, ModelFileNotFoundError } from "../../errors.js"
import { decode16BitFloats, type HostTensor } from "../../HostTensor.js"
import type { ModelSource } from "../../io/ModelSource.js"
import { fromMemory } from "../../io/ModelSource.js"
import { sharedTestdata } from "../../test-util/paths.js"
import { crc32c, maskCrc } from "./crc32c.js"
import type { BundleEntry, TensorBundle } from "./TensorBundle.js"
import { dataShardPath, readAll, readTensorBundle, trackableObjectGraph } from "./TensorBundle.js"
import type { EntryFields, TensorToWrite } from "./writer.js"
import { encodeBundleEntry, encodeBundleHeader, writeSSTable, writeTensorBundle } from "./writer.js"

const enc = new TextEncoder()
const dec = new TextDecoder()

// --- helpers ---------------------------------------------------------------------------

/** The files of checkpoint `prefix` in `dir`, as an in-memory source (plus the raw files). */
const loadCheckpoint = (dir: string, prefix: string) => {
  const files: Record<string, Uint8Array> = {}
  for (const name of readdirSync(dir)) {
    if (name.startsWith(`${prefix}.`)) files[name] = new Uint8Array(readFileSync(join(dir, name)))
  }
  return { files, source: fromMemory(files) }
}

/** A source that counts reads per path. */
const counting = (source: ModelSource) => {
  const reads = new Map<string, number>()
  const counted: ModelSource = {
    ...source,
    read: (p) => Effect.suspend(() => (reads.set(p, (reads.get(p) ?? 0) + 1), source.read(p)))
  }
  return { source: counted, reads }
}

/**
 * Runs a (synchronous) reader effect: the value, or its typed failure. A defect — any other
 * exception — is re-thrown so that the test (and fast-check) sees it.
 */
const outcome = <A>(effect: Effect.Effect<A, ReadError>): { ok: A } | { error: ReadError } => {
  const exit = Effect.runSyncExit(effect)
  if (Exit.isSuccess(exit)) return { ok: exit.value }
  if (Cause.hasDies(exit.cause)) throw Cause.squash(exit.cause)
  const error = Cause.findErrorOption(exit.cause)
  if (error._tag === "None") throw Cause.squash(exit.cause)
  return { error: error.value }
}

const bundleFiles = (prefix: string, index: Uint8Array, shards: ReadonlyArray<Uint8Array>) => {
  const files: Record<string, Uint8Array> = { [`${prefix}.index`]: index }
  shards.forEach((s, i) => (files[dataShardPath(prefix, i, shards.length)] = s))
  return files
}

/** Opens and reads everything; returns the tensors or the typed error. */
const openAndReadAll = (files: Record<string, Uint8Array>, prefix = "ckpt") =>
  outcome(Effect.flatMap(readTensorBundle(fromMemory(files), prefix), (b) => readAll(b)))

const expectInvalid = (r: { ok: unknown } | { error: ReadError }, text?: RegExp): InvalidModelError => {
  assert.isTrue("error" in r, "expected a failure")
  const e = (r as { error: ReadError }).error
  assert.instanceOf(e, InvalidModelError)
  if (text) assert.match(e.message, text)
  return e as InvalidModelError
}

const values = (t: HostTensor): Array<number | bigint> => Array.from(t.data as ArrayLike<number | bigint>)
const rawBytes = (t: HostTensor): Uint8Array => {
  const d = t.data as Uint8Array
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
}

const f32 = (...xs: Array<number>) => new Uint8Array(new Float32Array(xs).buffer)

// --- the real checkpoints --------------------------------------------------------------

interface Expected {
  readonly dtype: DType
  readonly shape: ReadonlyArray<number>
  /** From testdata/README.md; omitted where the README does not state the value. */
  readonly value?: ReadonlyArray<number | bigint>
}

const scalar = (dtype: DType, v?: number | bigint): Expected =>
  v === undefined ? { dtype, shape: [] } : { dtype, shape: [], value: [dtype === "float32" ? Math.fround(Number(v)) : v] }
const vec1 = (v?: number): Expected => (v === undefined ? { dtype: "float32", shape: [1] } : { dtype: "float32", shape: [1], value: [Math.fround(v)] })
const tf2 = (name: string) => `${name}/.ATTRIBUTES/VARIABLE_VALUE`
const OG = "_CHECKPOINTABLE_OBJECT_GRAPH"
const og: Expected = { dtype: "string", shape: [] }

/** Every checkpoint in shared/testdata with the variables its README documents. */
const REAL: ReadonlyArray<{ dir: string; prefix?: string; snappy?: true; entries: Record<string, Expected> }> = [
  { dir: "tfjs-node-saved-models/times_three_float", entries: { [OG]: og, [tf2("v")]: scalar("float32", 3) } },
  { dir: "tfjs-node-saved-models/times_two_int", entries: { [OG]: og, [tf2("v")]: scalar("int32", 2) } },
  {
    dir: "tfjs-node-saved-models/module_with_multiple_signatures",
    entries: { [OG]: og, [tf2("v")]: scalar("float32", 3), [tf2("two")]: scalar("float32", 2) }
  },
  // README: "the float variable v = 3.0 is unused"; `two` is not described there.
  { dir: "tfjs-node-saved-models/model_multi_output", entries: { [OG]: og, [tf2("v")]: scalar("float32", 3), [tf2("two")]: scalar("int32") } },
  {
    dir: "tfjs-node-saved-models/model_single_input_multi_output",
    entries: { [OG]: og, [tf2("v")]: scalar("float32"), [tf2("two")]: scalar("int32") }
  },
  {
    dir: "tfjs-node-saved-models/int64_multiply",
    entries: { [OG]: og, [tf2("v1")]: scalar("int64", 3n), [tf2("v2")]: scalar("int64", 2n) }
  },
  {
    dir: "tfjs-node-saved-models/uint8_multiply",
    entries: { [OG]: og, [tf2("v1")]: scalar("int32", 3), [tf2("v2")]: scalar("int32", 2) }
  },
  {
    dir: "serving/saved_model_half_plus_two_tf2_cpu/00000123",
    snappy: true,
    entries: { [OG]: og, [tf2("a")]: scalar("float32", 0.5), [tf2("b")]: scalar("float32", 2), [tf2("c")]: scalar("float32", 3) }
  },
  {
    dir: "serving/saved_model_half_plus_two_cpu/00000123",
    snappy: true,
    entries: {
      a: scalar("float32", 0.5),
      b: scalar("float32", 2),
      c: scalar("float32", 3),
      a2: scalar("float32", 0.5),
      c2: scalar("float32", 3)
    }
  },
  {
    dir: "serving/saved_model_half_plus_three/00000123",
    entries: { a: scalar("float32", 0.5), b: scalar("float32", 3), c: scalar("float32", 3) }
  },
  { dir: "serving/saved_model_counter/00000123", entries: { counter: scalar("float32", 0) } },
  {
    dir: "serving/saved_model_half_plus_two_mkl/00000123",
    entries: {
      a: scalar("float32", 0.5),
      b: scalar("float32", 2),
      c: scalar("float32", 3),
      // README: "the bias is 0"; the kernels' values are not documented.
      "conv2d/bias": vec1(0),
      "conv2d/kernel": { dtype: "float32", shape: [1, 1, 1, 1] },
      "conv2d_1/bias": vec1(0),
      "conv2d_1/kernel": { dtype: "float32", shape: [1, 1, 1, 1] },
      "conv2d_2/bias": vec1(0),
      "conv2d_2/kernel": { dtype: "float32", shape: [1, 1, 1, 1] }
    }
  },
  { dir: "tf2jax/custom_gradient_cubed", entries: { [OG]: og } },
  { dir: "hub/half_plus_two_v1", entries: { a: scalar("float32", 0.5), b: scalar("float32", 2) } },
  {
    dir: "tf2onnx-models/regression/saved_model",
    entries: { W: scalar("float32", 0.21396178), b: scalar("float32", 1.0495254) }
  },
  {
    dir: "tf2onnx-models/regression/checkpoint",
    prefix: "model",
    entries: { W: scalar("float32", 0.21396178), b: scalar("float32", 1.0495254) }
  },
  {
    dir: "tensorflow-rust/regression_savedmodel",
    entries: {
      [OG]: og,
      [tf2("w")]: vec1(0.20429754),
      [tf2("b")]: vec1(0),
      // The SGD optimizer's state; README mentions "lr 0.5".
      [tf2("optimizer/decay")]: scalar("float32"),
      [tf2("optimizer/iter")]: scalar("int64"),
      [tf2("optimizer/learning_rate")]: scalar("float32", 0.5),
      [tf2("optimizer/momentum")]: scalar("float32")
    }
  },
  { dir: "tensorflow-rust/regression-model", entries: { w: vec1(-0.85786223), b: vec1(0) } },
  { dir: "jax2tf-xla-call-module/tf_call_tf_function/saved_model", entries: { [OG]: og } }
]

const checkpointDir = (dir: string, prefix?: string) => (prefix ? join(sharedTestdata!, dir) : join(sharedTestdata!, dir, "variables"))

describe.skipIf(sharedTestdata === undefined)("real TensorFlow checkpoints (shared/testdata)", () => {
  for (const c of REAL) {
    const prefix = c.prefix ?? "variables"
    it.effect(`${c.dir}: lists and reads every tensor${c.snappy ? " (Snappy index)" : ""}`, () =>
      Effect.gen(function* () {
        const { files, source } = loadCheckpoint(checkpointDir(c.dir, c.prefix), prefix)
        const { source: counted, reads } = counting(source)
        const bundle = yield* readTensorBundle(counted, prefix)
        assert.deepStrictEqual(bundle.header, { numShards: 1, endianness: "little", version: { producer: 1, minConsumer: 0, badConsumers: [] } })
        assert.deepStrictEqual([...bundle.entries.keys()], Object.keys(c.entries).sort())
        const all = yield* readAll(bundle)
        const shard = files[`${prefix}.data-00000-of-00001`]!
        for (const [key, expected] of Object.entries(c.entries)) {
          const t = all.get(key)!
          assert.strictEqual(t.dtype, expected.dtype, key)
          assert.deepStrictEqual(t.shape, expected.shape, key)
          if (expected.value) assert.deepStrictEqual(values(t), [...expected.value], key)
          // Numeric weights are views of the shard bytes (no copy) when aligned, as here.
          if (t.dtype !== "string") assert.strictEqual((t.data as Uint8Array).buffer, shard.buffer, key)
        }
        // Each shard is read once, however many tensors come from it.
        assert.strictEqual(reads.get(`${prefix}.data-00000-of-00001`), 1)
        assert.strictEqual(reads.get(`${prefix}.index`), 1)
      })
    )
  }

  it.effect("TF2 object graphs point at the checkpoint's variables; TF1 checkpoints have none", () =>
    Effect.gen(function* () {
      let tf2Count = 0
      for (const c of REAL) {
        const prefix = c.prefix ?? "variables"
        const bundle = yield* readTensorBundle(loadCheckpoint(checkpointDir(c.dir, c.prefix), prefix).source, prefix)
        const graph = yield* trackableObjectGraph(bundle)
        if (!(OG in c.entries)) {
          assert.isUndefined(graph, c.dir)
          continue
        }
        tf2Count++
        assert.isAbove(graph!.nodes.length, 0, c.dir)
        const keys = graph!.nodes.flatMap((n) => (n.attributes ?? []).filter((a) => a.name === "VARIABLE_VALUE").map((a) => a.checkpointKey))
        const variables = [...bundle.entries.keys()].filter((k) => k !== OG)
        assert.deepStrictEqual(keys.sort(), variables.sort(), c.dir)
        // Root's children are named, e.g. "v" for tfjs's times_three_float.
        if (c.dir.endsWith("times_three_float")) {
          assert.include((graph!.nodes[0]!.children ?? []).map((ch) => ch.localName), "v")
        }
      }
      assert.strictEqual(tf2Count, 11)
    })
  )

  it.effect("our writer reproduces TF's uncompressed index and data files byte for byte", () =>
    Effect.gen(function* () {
      let identical = 0
      for (const c of REAL) {
        const prefix = c.prefix ?? "variables"
        const { files, source } = loadCheckpoint(checkpointDir(c.dir, c.prefix), prefix)
        const bundle = yield* readTensorBundle(source, prefix)
        const all = yield* readAll(bundle)
        const shard = files[`${prefix}.data-00000-of-00001`]!
        const inWriteOrder = [...bundle.entries.values()].sort((a, b) => a.offset - b.offset)
        const written = writeTensorBundle(
          inWriteOrder.map((e) => ({
            key: e.key,
            dtype: e.dtype,
            shape: e.shape,
            data: e.dtype === "string" ? (all.get(e.key)!.data as ReadonlyArray<Uint8Array>) : shard.subarray(e.offset, e.offset + e.size)
          }))
        )
        assert.deepStrictEqual(written.shards[0], shard, c.dir)
        if (c.snappy) {
          // Google's Snappy compressor and snappyjs choose different copies: compare content.
          const again = outcome(Effect.flatMap(readTensorBundle(fromMemory({ ...files, [`${prefix}.index`]: written.index }), prefix), readAll))
          assert.isTrue("ok" in again)
        } else {
          assert.deepStrictEqual(written.index, files[`${prefix}.index`], c.dir)
          identical++
        }
      }
      assert.strictEqual(identical, 17)
    })
  )
})

// --- synthetic checkpoints ---------------------------------------------------------------

const prefix = "ckpt"
const FIXED_DTYPES: ReadonlyArray<DType> = [
  "float32",
  "float64",
  "int32",
  "int64",
  "uint8",
  "int8",
  "int16",
  "uint16",
  "uint32",
  "uint64",
  "bool",
  "complex64",
  "float16",
  "bfloat16"
]
const ITEM: Partial<Record<DType, number>> = {
  float32: 4, float64: 8, int32: 4, int64: 8, uint8: 1, int8: 1, int16: 2, uint16: 2, uint32: 4, uint64: 8, bool: 1,
  complex64: 8, float16: 2, bfloat16: 2
}

const tensorArb = (key: string): fc.Arbitrary<TensorToWrite> =>
  fc.tuple(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }), fc.constantFrom<DType>(...FIXED_DTYPES, "string"), fc.nat({ max: 2 })).chain(
    ([shape, dtype, shardId]): fc.Arbitrary<TensorToWrite> => {
      const n = shape.reduce((a, b) => a * b, 1)
      if (dtype === "string") {
        return fc.array(fc.uint8Array({ maxLength: 20 }), { minLength: n, maxLength: n }).map((data) => ({ key, dtype, shape, data, shardId }))
      }
      const bytes = fc.uint8Array({ minLength: n * ITEM[dtype]!, maxLength: n * ITEM[dtype]! })
      return bytes.map((b) => ({ key, dtype, shape, data: dtype === "bool" ? b.map((x) => x & 1) : b, shardId }))
    }
  )

const bundleArb = fc
  .uniqueArray(fc.stringMatching(/^[a-z_][a-z0-9_/.]{0,24}$/), { minLength: 1, maxLength: 12 })
  .chain((keys) => fc.tuple(...keys.map(tensorArb)))
  .chain((tensors) =>
    fc.record({
      tensors: fc.constant(tensors),
      blockSize: fc.integer({ min: 1, max: 400 }),
      restartInterval: fc.integer({ min: 1, max: 16 }),
      snappy: fc.boolean()
    })
  )

/** A fixed bundle with every kind of entry, for the fuzzers: multi-block, Snappy, 2 shards, odd offsets. */
const SAMPLE: ReadonlyArray<TensorToWrite> = [
  { key: "dense/kernel", dtype: "float32", shape: [3, 2], data: f32(1, 2, 3, 4, 5, 6) },
  { key: "flags", dtype: "bool", shape: [3], data: new Uint8Array([1, 0, 1]) },
  { key: "dense/bias", dtype: "float32", shape: [2], data: f32(0.5, -0.5) },
  { key: "step", dtype: "int64", shape: [], data: new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0]) },
  { key: "vocab", dtype: "string", shape: [3], data: [enc.encode("hello"), enc.encode(""), enc.encode("wörld")] },
  { key: "half", dtype: "float16", shape: [2], data: new Uint8Array([0x00, 0x3c, 0x00, 0xc0]), shardId: 1 },
  { key: "emb", dtype: "float64", shape: [2], data: new Uint8Array(new Float64Array([Math.PI, -1]).buffer), shardId: 1 },
  ...Array.from({ length: 20 }, (_, i): TensorToWrite => ({ key: `layer_${i}/w`, dtype: "int32", shape: [1], data: new Uint8Array([i, 0, 0, 0]) }))
]
const sample = writeTensorBundle(SAMPLE, { numShards: 2, blockSize: 200, restartInterval: 3, snappy: true })
const sampleFiles = () => bundleFiles(prefix, sample.index.slice(), sample.shards.map((s) => s.slice()))

/** A one-entry index whose entry fields are given raw (to break them one at a time). */
const indexWith = (fields: Partial<EntryFields>, key = "t", header: Parameters<typeof encodeBundleHeader>[0] = { numShards: 1 }) =>
  writeSSTable([
    { key: new Uint8Array(0), value: encodeBundleHeader(header) },
    {
      key: enc.encode(key),
      value: encodeBundleEntry({ dtype: dtypeToEnum("float32"), shape: [2], shardId: 0, offset: 0, size: 8, crc32c: maskCrc(crc32c(f32(1, 2))), ...fields })
    }
  ])
const withIndex = (index: Uint8Array, data: Uint8Array = f32(1, 2)) => bundleFiles(prefix, index, [data])

describe("synthetic checkpoints", () => {
  it("read back what was written: every dtype, strings, shards, blocks, Snappy (400 runs)", () => {
    fc.assert(
      fc.property(bundleArb, ({ tensors, ...options }) => {
        const { index, shards } = writeTensorBundle(tensors, { ...options, numShards: 3 })
        const r = openAndReadAll(bundleFiles(prefix, index, shards))
        assert.isTrue("ok" in r, "error" in r ? r.error.message : "")
        const all = (r as { ok: ReadonlyMap<string, HostTensor> }).ok
        assert.strictEqual(all.size, tensors.length)
        for (const t of tensors) {
          const got = all.get(t.key)!
          assert.strictEqual(got.dtype, t.dtype)
          assert.deepStrictEqual(got.shape, t.shape)
          if (t.dtype === "string") assert.deepStrictEqual(got.data, t.data)
          else if (t.dtype === "float16" || t.dtype === "bfloat16") {
            const bits = new Uint16Array(new Uint8Array(t.data as Uint8Array).buffer)
            assert.deepStrictEqual(values(got), values({ ...got, data: decode16BitFloats(t.dtype, bits) }))
          } else assert.deepStrictEqual(rawBytes(got), t.data)
        }
      }),
      { numRuns: 400 }
    )
  })

  it.effect("copies only unaligned tensors, and reads each shard once", () =>
    Effect.gen(function* () {
      const files = sampleFiles()
      const { source, reads } = counting(fromMemory(files))
      const bundle = yield* readTensorBundle(source, prefix)
      const all = yield* readAll(bundle)
      assert.strictEqual(reads.get(dataShardPath(prefix, 0, 2)), 1)
      assert.strictEqual(reads.get(dataShardPath(prefix, 1, 2)), 1)
      const kernel = all.get("dense/kernel")!
      assert.deepStrictEqual(values(kernel), [1, 2, 3, 4, 5, 6])
      assert.strictEqual((kernel.data as Float32Array).buffer, files[dataShardPath(prefix, 0, 2)]!.buffer) // offset 0: view
      // "dense/bias" follows the 3 bool bytes: offset 27 is not 4-aligned, so it is copied once.
      assert.strictEqual(bundle.entries.get("dense/bias")!.offset, 27)
      assert.notStrictEqual((all.get("dense/bias")!.data as Float32Array).buffer, files[dataShardPath(prefix, 0, 2)]!.buffer)
      assert.deepStrictEqual(values(all.get("dense/bias")!), [0.5, -0.5])
      assert.deepStrictEqual(values(all.get("step")!), [7n])
      assert.deepStrictEqual(values(all.get("half")!), [1, -2])
      assert.deepStrictEqual(values(all.get("emb")!), [Math.PI, -1])
      assert.deepStrictEqual((all.get("vocab")!.data as Array<Uint8Array>).map((s) => dec.decode(s)), ["hello", "", "wörld"])
      assert.deepStrictEqual(bundle.entries.get("half"), {
        key: "half",
        dtype: "float16",
        shape: [2],
        shardId: 1,
        offset: 0,
        size: 4,
        crc32c: maskCrc(crc32c(new Uint8Array([0x00, 0x3c, 0x00, 0xc0]))),
        sliced: false
      } satisfies BundleEntry)
    })
  )

  it.effect("reports progress in key order", () =>
    Effect.gen(function* () {
      const bundle = yield* readTensorBundle(fromMemory(sampleFiles()), prefix)
      const seen: Array<string> = []
      let last = { done: 0, bytesDone: 0, bytesTotal: 0, total: 0 }
      yield* readAll(bundle, (p) => {
        seen.push(p.key)
        last = p
      })
      assert.deepStrictEqual(seen, [...bundle.entries.keys()])
      assert.deepStrictEqual(seen, [...seen].sort())
      assert.strictEqual(last.done, SAMPLE.length)
      assert.strictEqual(last.total, SAMPLE.length)
      assert.strictEqual(last.bytesDone, last.bytesTotal)
    })
  )

  describe("refusals, each with a clear InvalidModelError", () => {
    it("big-endian, future versions, no header, zero shards", () => {
      expectInvalid(openAndReadAll(withIndex(indexWith({}, "t", { numShards: 1, endianness: 1 }))), /written big-endian; only little-endian/)
      expectInvalid(openAndReadAll(withIndex(indexWith({}, "t", { numShards: 1, endianness: 2 }))), /unknown endianness 2/)
      expectInvalid(openAndReadAll(withIndex(indexWith({}, "t", { numShards: 1, minConsumer: 2 }))), /min consumer 2; this reader implements version 1/)
      expectInvalid(openAndReadAll(withIndex(indexWith({}, "t", { numShards: 1, badConsumers: [1] }))), /bad consumer/)
      expectInvalid(openAndReadAll(withIndex(indexWith({}, "t", { numShards: 0 }))), /num_shards 0 must be at least 1/)
      const noHeader = writeSSTable([{ key: enc.encode("t"), value: encodeBundleEntry({ dtype: 1, shape: [], shardId: 0, offset: 0, size: 4, crc32c: 0 }) }])
      expectInvalid(openAndReadAll(withIndex(noHeader)), /missing the header entry/)
      expectInvalid(openAndReadAll(withIndex(writeSSTable([]))), /empty index/)
    })

    it("entries with bad dtype, shape, shard, offset or size", () => {
      expectInvalid(openAndReadAll(withIndex(indexWith({ dtype: 0 }))), /entry "t": unknown dtype enum 0/)
      expectInvalid(openAndReadAll(withIndex(indexWith({ dtype: 99 }))), /unknown dtype enum 99/)
      expectInvalid(openAndReadAll(withIndex(indexWith({ shape: null }))), /fully known shape/)
      expectInvalid(openAndReadAll(withIndex(indexWith({ shape: [-1] }))), /fully known shape/)
      expectInvalid(openAndReadAll(withIndex(indexWith({ shardId: 1 }))), /shard_id 1 outside the header's 1 shard/)
      expectInvalid(openAndReadAll(withIndex(indexWith({ shardId: -1 }))), /shard_id -1/)
      expectInvalid(openAndReadAll(withIndex(indexWith({ offset: -1 }))), /offset -1 is out of range/)
      expectInvalid(openAndReadAll(withIndex(indexWith({ size: 2n ** 60n }))), /size 1152921504606846976 is out of range/)
      expectInvalid(openAndReadAll(withIndex(indexWith({ size: 12 }))), /float32\[2\] needs 8 bytes, the entry says 12/)
      expectInvalid(openAndReadAll(withIndex(indexWith({ offset: 4 }))), /byte range \[4, 12\) lies outside the 8-byte shard/)
      const bad = expectInvalid(openAndReadAll(withIndex(indexWith({}), f32(1, 3))), /checksum mismatch/)
      assert.strictEqual(bad.file, "ckpt.data-00000-of-00001")
      assert.strictEqual(bad.where, 'entry "t" @0')
    })

    it("keys that are not UTF-8; slice keys are skipped", () => {
      const entryValue = encodeBundleEntry({ dtype: 1, shape: [2], shardId: 0, offset: 0, size: 8, crc32c: maskCrc(crc32c(f32(1, 2))) })
      const header = { key: new Uint8Array(0), value: encodeBundleHeader({ numShards: 1 }) }
      const bad = writeSSTable([header, { key: new Uint8Array([0x61, 0xc3]), value: entryValue }])
      expectInvalid(openAndReadAll(withIndex(bad)), /key "a\\xc3": tensor name is not valid UTF-8/)
      const slice = writeSSTable([header, { key: new Uint8Array([0, 0x61, 0xff]), value: entryValue }, { key: enc.encode("t"), value: entryValue }])
      const r = openAndReadAll(withIndex(slice))
      assert.isTrue("ok" in r)
      assert.deepStrictEqual([...(r as { ok: ReadonlyMap<string, HostTensor> }).ok.keys()], ["t"])
    })

    it.effect("partitioned variables, variant tensors, unknown keys, missing shards", () =>
      Effect.gen(function* () {
        const sliced = yield* readTensorBundle(fromMemory(withIndex(indexWith({ slices: 2, size: 0, crc32c: 0 }))), prefix)
        assert.isTrue(sliced.entries.get("t")!.sliced)
        const e1 = yield* Effect.flip(sliced.read("t"))
        assert.match(e1.message, /entry "t": a partitioned \(sliced\) variable; reading partitioned variables is not supported/)

        const variant = yield* readTensorBundle(fromMemory(withIndex(indexWith({ dtype: dtypeToEnum("variant"), size: 8 }))), prefix)
        assert.match((yield* Effect.flip(variant.read("t"))).message, /variant entries are not supported/)
        assert.match((yield* Effect.flip(variant.read("nope"))).message, /key "nope": no such tensor in the checkpoint/)

        const twoShards = yield* readTensorBundle(fromMemory(withIndex(indexWith({}, "t", { numShards: 2 }))), prefix)
        const missing = yield* Effect.flip(twoShards.read("t"))
        assert.instanceOf(missing, ModelFileNotFoundError)
        assert.strictEqual((missing as ModelFileNotFoundError).file, "ckpt.data-00000-of-00002")

        const none = yield* Effect.flip(readTensorBundle(fromMemory({}), "variables/variables"))
        assert.instanceOf(none, ModelFileNotFoundError)
      })
    )

    it("string tensors: lengths checksum, lengths beyond the data, entry checksum", () => {
      const strings = (lengths: ReadonlyArray<number>, payload: Uint8Array, opts: { lengthsCrc?: number; shape?: Array<number> } = {}) => {
        // TF's layout built by hand: varint lengths, masked CRC of the lengths as uint32, bytes.
        const varints: Array<number> = []
        const fixed = new DataView(new ArrayBuffer(4 * lengths.length))
        lengths.forEach((len, i) => {
          let v = len
          while (v >= 0x80) {
            varints.push((v & 0x7f) | 0x80)
            v = Math.floor(v / 128)
          }
          varints.push(v)
          fixed.setUint32(4 * i, len >>> 0, true)
        })
        const lengthsCrc = crc32c(new Uint8Array(fixed.buffer))
        const check = new Uint8Array(4)
        new DataView(check.buffer).setUint32(0, maskCrc(opts.lengthsCrc ?? lengthsCrc), true)
        const data = new Uint8Array([...varints, ...check, ...payload])
        const crc = maskCrc(crc32c(payload, crc32c(check, lengthsCrc)))
        return withIndex(indexWith({ dtype: dtypeToEnum("string"), shape: opts.shape ?? [lengths.length], size: data.length, crc32c: crc }), data)
      }
      assert.isTrue("ok" in openAndReadAll(strings([2, 1], enc.encode("abc"))))
      expectInvalid(openAndReadAll(strings([2, 1], enc.encode("abc"), { lengthsCrc: 5 })), /string lengths checksum mismatch/)
      expectInvalid(openAndReadAll(strings([2, 2], enc.encode("abc"))), /expected 4 string bytes, the entry has 3/)
      expectInvalid(openAndReadAll(strings([2 ** 40, 1], enc.encode("abc"))), /string lengths add up to more than the entry's/)
      // A shape claiming a billion strings in 12 bytes is refused before any per-element allocation.
      const before = process.memoryUsage().arrayBuffers
      expectInvalid(openAndReadAll(strings([2, 1], enc.encode("abc"), { shape: [1_000_000_000] })), /1000000000 strings need at least 1000000004 bytes/)
      assert.isBelow(process.memoryUsage().arrayBuffers - before, 16 << 20)
      // The entry checksum covers the string bytes.
      const files = strings([2, 1], enc.encode("abc"))
      files[dataShardPath(prefix, 0, 1)]![7] ^= 1 // "b" of "abc"
      expectInvalid(openAndReadAll(files), /entry "t" @0\+0: checksum mismatch/)
    })

    it.effect("object graph entry of the wrong type", () =>
      Effect.gen(function* () {
        const b = yield* readTensorBundle(fromMemory(withIndex(indexWith({}, OG))), prefix)
        assert.match((yield* Effect.flip(trackableObjectGraph(b))).message, /expected a scalar string, found float32\[2\]/)
      })
    )
  })
})

// --- fuzzing ---------------------------------------------------------------------------

/** The real checkpoints (when present) and the synthetic sample, as file sets. */
const fuzzBundles = (): Array<{ name: string; prefix: string; files: Record<string, Uint8Array> }> => [
  { name: "sample", prefix, files: sampleFiles() },
  ...(sharedTestdata
    ? REAL.map((c) => ({ name: c.dir, prefix: c.prefix ?? "variables", files: loadCheckpoint(checkpointDir(c.dir, c.prefix), c.prefix ?? "variables").files }))
    : [])
]

/** Success, or an InvalidModelError; a missing data file only when `allowMissing`. */
const typedOutcome = (files: Record<string, Uint8Array>, p: string, allowMissing = false) => {
  const r = openAndReadAll(files, p)
  if ("error" in r && !(allowMissing && r.error instanceof ModelFileNotFoundError)) assert.instanceOf(r.error, InvalidModelError)
  return r
}

/** Byte ranges of the data files that some entry covers (a checksum protects them). */
const coveredRanges = (files: Record<string, Uint8Array>, p: string) => {
  const r = outcome(readTensorBundle(fromMemory(files), p))
  const bundle = (r as { ok: TensorBundle }).ok
  return [...bundle.entries.values()].map((e) => ({ file: dataShardPath(p, e.shardId, bundle.header.numShards), from: e.offset, to: e.offset + e.size }))
}

describe("fuzzing whole bundles", () => {
  const bundles = fuzzBundles()
  const pick = fc.integer({ min: 0, max: bundles.length - 1 })
  const dataFile = (b: (typeof bundles)[number]) => Object.keys(b.files).filter((f) => f.includes(".data-"))

  it("every truncation of every data file fails when it cuts an entry (exhaustive)", () => {
    let cases = 0
    for (const b of bundles) {
      const ranges = coveredRanges(b.files, b.prefix)
      for (const f of dataFile(b)) {
        for (let n = 0; n < b.files[f]!.length; n++) {
          const r = typedOutcome({ ...b.files, [f]: b.files[f]!.subarray(0, n) }, b.prefix)
          if (ranges.some((x) => x.file === f && x.to > n)) expectInvalid(r)
          cases++
        }
      }
    }
    assert.isAbove(cases, 1000)
  })

  it("random bit flips in data files: detected whenever inside an entry (2000 runs)", () => {
    fc.assert(
      fc.property(pick, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 }), (which, fPick, pos, bit) => {
        const b = bundles[which]!
        const names = dataFile(b)
        const f = names[fPick % names.length]!
        const data = b.files[f]!.slice()
        if (data.length === 0) return
        const at = pos % data.length
        data[at]! ^= 1 << bit
        const r = typedOutcome({ ...b.files, [f]: data }, b.prefix)
        if (coveredRanges(b.files, b.prefix).some((x) => x.file === f && at >= x.from && at < x.to)) expectInvalid(r)
      }),
      { numRuns: 2000 }
    )
  })

  it("random bit flips and byte overwrites in index files: success or InvalidModelError (2000 runs)", () => {
    fc.assert(
      fc.property(pick, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.boolean()), { minLength: 1, maxLength: 4 }), (which, edits) => {
        const b = bundles[which]!
        const name = `${b.prefix}.index`
        const index = b.files[name]!.slice()
        for (const [pos, v, flip] of edits) {
          const at = pos % index.length
          index[at] = flip ? index[at]! ^ (1 << (v & 7)) : v
        }
        typedOutcome({ ...b.files, [name]: index }, b.prefix)
      }),
      { numRuns: 2000 }
    )
  })

  // Entry fields replaced by arbitrary (often hostile) values, the index rebuilt with valid
  // checksums so that the bundle-level checks, not the block CRC, must catch them.
  const hostileInt = fc.oneof(
    fc.integer({ min: -2, max: 64 }),
    fc.constantFrom(2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 53 - 1),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
  )
  const fieldEdit = fc.oneof(
    fc.record({ dtype: fc.integer({ min: -1, max: 130 }) }),
    fc.record({ shape: fc.oneof(fc.constant(null), fc.array(hostileInt, { maxLength: 4 })) }),
    fc.record({ shardId: fc.integer({ min: -3, max: 5 }) }),
    fc.record({ offset: hostileInt }),
    fc.record({ size: hostileInt }),
    fc.record({ crc32c: fc.integer({ min: 0, max: 0xffffffff }) }),
    fc.record({ slices: fc.integer({ min: 0, max: 2 }) })
  )

  it("entry fields overwritten (offsets, sizes, shapes, dtypes, shards, CRCs): typed errors, no big allocation (1500 runs)", () => {
    const base = SAMPLE.map((t) => ({ ...t, shardId: 0 }))
    const { shards } = writeTensorBundle(base)
    // Entry fields as the writer stored them, to edit one of them.
    const original = outcome(readTensorBundle(fromMemory(bundleFiles(prefix, writeTensorBundle(base).index, shards)), prefix))
    const entries = [...(original as { ok: TensorBundle }).ok.entries.values()]
    let maxGrowth = 0
    fc.assert(
      fc.property(fc.nat({ max: entries.length - 1 }), fc.array(fieldEdit, { minLength: 1, maxLength: 3 }), (which, edits) => {
        const rows = entries.map((e, i) => {
          const fields: EntryFields = { dtype: dtypeToEnum(e.dtype), shape: e.shape, shardId: e.shardId, offset: e.offset, size: e.size, crc32c: e.crc32c }
          return { key: enc.encode(e.key), value: encodeBundleEntry(i === which ? Object.assign({}, fields, ...edits) : fields) }
        })
        const index = writeSSTable([{ key: new Uint8Array(0), value: encodeBundleHeader({ numShards: 1 }) }, ...rows])
        const before = process.memoryUsage().arrayBuffers
        typedOutcome(bundleFiles(prefix, index, shards), prefix)
        maxGrowth = Math.max(maxGrowth, process.memoryUsage().arrayBuffers - before)
      }),
      { numRuns: 1500 }
    )
    assert.isBelow(maxGrowth, 16 << 20)
  })

  it("header fields overwritten: typed errors (300 runs)", () => {
    fc.assert(
      fc.property(
        fc.record({
          numShards: fc.integer({ min: -2, max: 100_000 }),
          endianness: fc.integer({ min: 0, max: 3 }),
          producer: fc.integer({ min: -1, max: 3 }),
          minConsumer: fc.integer({ min: 0, max: 3 }),
          badConsumers: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 })
        }),
        (header) => {
          const files = sampleFiles()
          const r = outcome(readTensorBundle(fromMemory({ ...files, [`${prefix}.index`]: writeTensorBundle(SAMPLE, { numShards: 2, header }).index }), prefix))
          if ("error" in r) assert.instanceOf(r.error, InvalidModelError)
        }
      ),
      { numRuns: 300 }
    )
  })

  it("string tensor bytes overwritten, entry checksum recomputed: typed errors (1000 runs)", () => {
    // The entry checksum is then right over the edited bytes; what must catch the damage is the
    // lengths checksum and the length/size bookkeeping.
    const vocab = Array.from({ length: 40 }, (_, i) => enc.encode("w".repeat(i % 9)))
    const { shards } = writeTensorBundle([{ key: "v", dtype: "string", shape: [40], data: vocab }])
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 3 }), fc.boolean(), (edits, fixLengthsCrc) => {
        const data = shards[0]!.slice()
        for (const [pos, v] of edits) data[pos % data.length] = v
        // Recompute both checksums the way the reader verifies them, from whatever lengths parse.
        let pos = 0
        const lengths: Array<number> = []
        for (let i = 0; i < 40 && pos < data.length; i++) {
          let v = 0
          let s = 1
          while (pos < data.length) {
            const byte = data[pos++]!
            v += (byte & 0x7f) * s
            s *= 128
            if (byte < 0x80) break
          }
          lengths.push(v)
        }
        const fixed = new DataView(new ArrayBuffer(4 * lengths.length))
        lengths.forEach((l, i) => fixed.setUint32(4 * i, l >>> 0, true))
        const lengthsCrc = crc32c(new Uint8Array(fixed.buffer))
        if (fixLengthsCrc && pos + 4 <= data.length) new DataView(data.buffer).setUint32(pos, maskCrc(lengthsCrc), true)
        const check = data.subarray(pos, pos + 4)
        const crc = maskCrc(crc32c(data.subarray(pos + 4), crc32c(check, lengthsCrc)))
        const index = writeSSTable([
          { key: new Uint8Array(0), value: encodeBundleHeader({ numShards: 1 }) },
          { key: enc.encode("v"), value: encodeBundleEntry({ dtype: dtypeToEnum("string"), shape: [40], shardId: 0, offset: 0, size: data.length, crc32c: crc }) }
        ])
        typedOutcome(bundleFiles(prefix, index, [data]), prefix)
      }),
      { numRuns: 1000 }
    )
  })
})
