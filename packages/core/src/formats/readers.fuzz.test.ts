/**
 * Bad input for the protobuf-based readers (SavedModel TF1/TF2, frozen GraphDef, TF1 `.meta`
 * checkpoints) and the Hub tarball: real files truncated, bit-flipped, overwritten, with
 * length varints blown up. Every outcome must be a model or a typed read error that names the
 * file (never another exception, never "unexpected", never a hang, never a large allocation).
 * The TensorBundle and TF.js readers have their own fuzzers beside them.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import fc from "fast-check"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { InvalidModelError, ModelFileNotFoundError } from "../errors.js"
import { fromMemory } from "../io/ModelSource.js"
import { sharedTestdata } from "../test-util/paths.js"
import { readTree } from "../test-util/tree.js"
import { loadModelFrom } from "./loadModel.js"

const RUNS = 300

/** A model's files with one of them replaced. */
interface Corpus {
  readonly name: string
  readonly files: Record<string, Uint8Array>
  /** The file to mutate and the entry to load. */
  readonly target: string
  readonly entry: string
}

const corpora = (): Array<Corpus> => {
  const dir = (rel: string) => readTree(join(sharedTestdata!, rel))
  return [
    { name: "TF2 SavedModel (2.14)", files: dir("serving/saved_model_half_plus_two_tf2_cpu/00000123"), target: "saved_model.pb", entry: "" },
    { name: "TF2 SavedModel (2.0)", files: dir("tfjs-node-saved-models/module_with_multiple_signatures"), target: "saved_model.pb", entry: "" },
    { name: "TF1 SavedModel (1.14)", files: dir("serving/saved_model_half_plus_two_cpu/00000123"), target: "saved_model.pb", entry: "" },
    { name: "TF1 Hub module", files: dir("hub/half_plus_two_v1"), target: "saved_model.pb", entry: "" },
    { name: "frozen GraphDef", files: dir("tf2onnx-models/ae0"), target: "frozen.pb", entry: "frozen.pb" },
    { name: "TF1 .meta checkpoint", files: dir("tf2onnx-models/regression/checkpoint"), target: "model.meta", entry: "model.meta" },
    {
      name: "Hub .tar.gz",
      files: { "half_plus_two_v1.tar.gz": new Uint8Array(readFileSync(join(sharedTestdata!, "hub/half_plus_two_v1.tar.gz"))) },
      target: "half_plus_two_v1.tar.gz",
      entry: "half_plus_two_v1.tar.gz"
    }
  ]
}

type Outcome = "model" | "invalid" | "missing"

/** Loads the corpus with `target` replaced; asserts the outcome is a model or a typed error. */
const outcome = (c: Corpus, bytes: Uint8Array): Outcome => {
  const before = process.memoryUsage().arrayBuffers
  const started = Date.now()
  const exit = Effect.runSyncExit(loadModelFrom(fromMemory({ ...c.files, [c.target]: bytes }), c.entry))
  assert.isBelow(Date.now() - started, 5000, "took too long")
  assert.isBelow(process.memoryUsage().arrayBuffers - before, 64 * 2 ** 20 + 64 * bytes.length, "allocated too much")
  if (Exit.isSuccess(exit)) return "model"
  const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
  assert.isDefined(failure, `not a typed failure: ${String(exit.cause)}`)
  const e = (failure as { error: unknown }).error
  assert.isTrue(e instanceof InvalidModelError || e instanceof ModelFileNotFoundError, `untyped error ${String(e)}`)
  assert.notInclude((e as Error).message, "unexpected error", (e as Error).message)
  assert.isAbove((e as InvalidModelError).message.length, 0)
  return e instanceof InvalidModelError ? "invalid" : "missing"
}

/** Positions of length-delimited field lengths near the start of a protobuf (varint after a wire-type-2 tag). */
const lengthPositions = (bytes: Uint8Array): Array<number> => {
  const out: Array<number> = []
  for (let i = 0; i + 1 < Math.min(bytes.length, 4096); i++) if ((bytes[i]! & 7) === 2 && bytes[i]! < 0x80) out.push(i + 1)
  return out
}

describe.skipIf(sharedTestdata === undefined)("readers on corrupted real files", () => {
  for (const c of corpora()) {
    const original = c.files[c.target]!
    const counts: Record<Outcome, number> = { model: 0, invalid: 0, missing: 0 }
    const record = (o: Outcome) => counts[o]++

    it(`${c.name}: the original loads`, () => {
      assert.strictEqual(outcome(c, original), "model")
    })

    it(`${c.name}: truncated anywhere (${RUNS} runs)`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: original.length - 1 }), (n) => {
          const o = outcome(c, original.slice(0, n))
          record(o)
          // A protobuf cut short mid-field cannot decode; only cuts at field boundaries may load.
          if (n === 0) assert.notStrictEqual(o, "model")
        }),
        { numRuns: RUNS }
      )
    })

    it(`${c.name}: random bit flips (${RUNS} runs)`, () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: original.length * 8 - 1 }), { minLength: 1, maxLength: 8 }), (bits) => {
          const b = original.slice()
          for (const bit of bits) b[bit >> 3]! ^= 1 << (bit & 7)
          record(outcome(c, b))
        }),
        { numRuns: RUNS }
      )
    })

    it(`${c.name}: random byte runs overwritten (${RUNS} runs)`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: original.length - 1 }),
          fc.uint8Array({ minLength: 1, maxLength: 16 }),
          (at, junk) => {
            const b = original.slice()
            b.set(junk.subarray(0, b.length - at), at)
            record(outcome(c, b))
          }
        ),
        { numRuns: RUNS }
      )
    })

    it(`${c.name}: length fields blown up (${RUNS} runs)`, () => {
      const positions = lengthPositions(original)
      fc.assert(
        fc.property(fc.constantFrom(...positions), fc.constantFrom(0x7f, 0xff), (at, byte) => {
          const b = new Uint8Array(original.length + 4)
          b.set(original.subarray(0, at))
          // A 5-byte varint claiming ~4 GiB (or 127 bytes) where a short length was.
          b.set(byte === 0xff ? [0xff, 0xff, 0xff, 0xff, 0x0f] : [0x7f], at)
          b.set(original.subarray(at + 1), at + (byte === 0xff ? 5 : 1))
          record(outcome(c, b.subarray(0, original.length + (byte === 0xff ? 4 : 0))))
        }),
        { numRuns: Math.min(RUNS, positions.length * 2) }
      )
    })

    it(`${c.name}: outcome counts`, () => {
      console.log(`${c.name}: ${JSON.stringify(counts)}`)
      assert.isAbove(counts.invalid, 0)
    })
  }
})
