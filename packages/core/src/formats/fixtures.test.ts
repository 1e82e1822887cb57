/**
 * The readers against what real TensorFlow 2.21 recorded about the generated fixtures
 * (fixtures/models/<name>/expected.json, written by fixtures/generate.py from the files loaded
 * back into TF): signatures, object-graph functions and their bound inputs, variables with their
 * checkpoint keys and exact values, frozen-graph inputs/outputs and op sets.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import type { DType } from "../dtype.js"
import { storageSize } from "../dtype.js"
import type { HostTensor } from "../HostTensor.js"
import type { Shape } from "../graph/ir.js"
import type { TensorSpec, TfModel } from "../model/TfModel.js"
import { describeModel } from "../inspect/describeModel.js"
import { fixturesDir } from "../test-util/paths.js"
import { memorySource } from "../test-util/tree.js"
import { loadModelFrom } from "./loadModel.js"

interface ExpectedTensor {
  readonly dtype: string
  readonly shape: ReadonlyArray<number>
  readonly data_base64_le?: string | ReadonlyArray<string>
  readonly sha256?: string
}
interface ExpectedSpec {
  readonly dtype: string | null
  readonly shape: ReadonlyArray<number | null> | null
  readonly name: string
}
interface ExpectedVariable {
  readonly name: string
  readonly dtype: string
  readonly shape: ReadonlyArray<number>
  readonly trainable: boolean
  readonly checkpoint_key: string
  readonly value: ExpectedTensor
}
interface Expected {
  readonly format: string
  readonly tensorflow_version: string
  readonly signatures?: Record<string, { method_name: string; inputs: Record<string, ExpectedSpec>; outputs: Record<string, ExpectedSpec> }>
  readonly signature_functions?: Record<string, string>
  readonly functions?: Record<string, { concrete_functions: ReadonlyArray<{ name: string; bound_inputs: ReadonlyArray<{ kind: string; checkpoint_key?: string }> }> }>
  readonly variables?: ReadonlyArray<ExpectedVariable>
  readonly meta_graphs?: ReadonlyArray<{ tags: ReadonlyArray<string>; ops: ReadonlyArray<string> }>
  readonly graph?: {
    /** Frozen graphs only: the file, node count and op set. */
    readonly file?: string
    readonly node_count?: number
    readonly ops?: ReadonlyArray<string>
    readonly inputs: ReadonlyArray<ExpectedSpec>
    readonly outputs: ReadonlyArray<ExpectedSpec>
  }
  readonly checkpoint?: { readonly prefix: string; readonly keys: ReadonlyArray<string> }
  readonly meta_graph?: { readonly tensorflow_version: string; readonly ops: ReadonlyArray<string> }
}

const modelsDir = join(fixturesDir, "models")
const names = existsSync(modelsDir) ? readdirSync(modelsDir).sort() : []

const expected = (name: string): Expected => JSON.parse(readFileSync(join(modelsDir, name, "expected.json"), "utf8")) as Expected

/** TF's dtype names → ours (they agree except "half"/"float16" spellings, kept for safety). */
const dtypeOf = (d: string | null): DType | undefined => (d === null ? undefined : ((d === "half" ? "float16" : d) as DType))

const shapeOf = (s: ReadonlyArray<number | null> | null): Shape => (s === null ? null : s.map((d) => (d === null ? -1 : d)))

const specEquals = (actual: TensorSpec | undefined, e: ExpectedSpec, what: string) => {
  assert.isDefined(actual, what)
  assert.strictEqual(actual!.name, e.name, `${what} name`)
  assert.strictEqual(actual!.dtype, dtypeOf(e.dtype), `${what} dtype`)
  assert.deepStrictEqual(actual!.shape, shapeOf(e.shape), `${what} shape`)
}

/** The host tensor's little-endian bytes (strings: each element). */
const bytesOf = (t: HostTensor): Uint8Array => {
  const d = t.data as ArrayBufferView
  if (t.dtype === "float16" || t.dtype === "bfloat16") throw new Error("narrow floats are stored decoded; compare values")
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
}

const valueMatches = (t: HostTensor, e: ExpectedTensor, what: string) => {
  assert.strictEqual(t.dtype, dtypeOf(e.dtype), `${what} dtype`)
  assert.deepStrictEqual([...t.shape], [...e.shape], `${what} shape`)
  if (t.dtype === "string") {
    const strings = (t.data as ReadonlyArray<Uint8Array>).map((s) => Buffer.from(s).toString("base64"))
    assert.deepStrictEqual(strings, e.data_base64_le, what)
  } else if (e.sha256) {
    assert.strictEqual(createHash("sha256").update(bytesOf(t)).digest("hex"), e.sha256, what)
  } else {
    assert.strictEqual(bytesOf(t).length, t.shape.reduce((a, b) => a * b, 1) * storageSize(t.dtype)!, `${what} size`)
    assert.strictEqual(Buffer.from(bytesOf(t)).toString("base64"), e.data_base64_le, what)
  }
}

const load = (name: string, e: Expected): Effect.Effect<TfModel, unknown> => {
  const dir = join(modelsDir, name)
  const entry = e.graph?.file ?? (e.checkpoint ? `${e.checkpoint.prefix}.meta` : "")
  return loadModelFrom(memorySource(dir), entry)
}

const FORMATS: Record<string, TfModel["format"]> = {
  tf2_saved_model: "saved-model-v2",
  tf1_saved_model: "saved-model-v1",
  tf1_hub_module: "hub-module-v1",
  frozen_graph_def: "frozen-graph",
  tf1_checkpoint: "checkpoint-v1"
}

describe.skipIf(names.length === 0)("readers vs what TensorFlow recorded (fixtures/models)", () => {
  for (const name of names) {
    const e = expected(name)
    it.effect(`${name} (${e.format})`, () =>
      Effect.gen(function* () {
        const m = yield* load(name, e)
        assert.strictEqual(m.format, FORMATS[e.format], "format")

        for (const [key, sig] of Object.entries(e.signatures ?? {})) {
          if (key === "__saved_model_init_op") continue
          const ours = m.signatures[key]
          assert.isDefined(ours, `signature ${key}`)
          assert.strictEqual(ours!.methodName, sig.method_name, `${key} method`)
          assert.deepStrictEqual(Object.keys(ours!.inputs).sort(), Object.keys(sig.inputs).sort(), `${key} input keys`)
          assert.deepStrictEqual(Object.keys(ours!.outputs).sort(), Object.keys(sig.outputs).sort(), `${key} output keys`)
          for (const [k, s] of Object.entries(sig.inputs)) specEquals(ours!.inputs[k], s, `${key} input ${k}`)
          for (const [k, s] of Object.entries(sig.outputs)) specEquals(ours!.outputs[k], s, `${key} output ${k}`)
        }
        for (const [key, fn] of Object.entries(e.signature_functions ?? {})) {
          assert.strictEqual(m.signatures[key]?.function?.name, fn, `signature ${key} function`)
        }
        for (const [path, f] of Object.entries(e.functions ?? {})) {
          const ours = m.functions[path]
          assert.isDefined(ours, `function ${path}`)
          assert.deepStrictEqual(ours!.concreteFunctions.map((c) => c.name), f.concrete_functions.map((c) => c.name), path)
          f.concrete_functions.forEach((cf, k) => {
            const caps = ours!.concreteFunctions[k]!.captures
            assert.deepStrictEqual(caps.map((c) => (c.kind === "captured-tensor" ? "captured_tensor" : c.kind)), cf.bound_inputs.map((b) => b.kind), `${path} captures`)
            cf.bound_inputs.forEach((b, j) => {
              const c = caps[j]!
              if (b.checkpoint_key && c.kind === "variable") assert.strictEqual(m.variables[c.variable]!.checkpointKey, b.checkpoint_key)
            })
          })
        }
        const byKey = new Map(Object.values(m.variables).map((v) => [v.checkpointKey, v]))
        for (const v of e.variables ?? []) {
          const ours = byKey.get(v.checkpoint_key)
          assert.isDefined(ours, `variable ${v.checkpoint_key}`)
          assert.strictEqual(ours!.dtype, dtypeOf(v.dtype), `${v.name} dtype`)
          assert.deepStrictEqual([...ours!.shape], [...v.shape], `${v.name} shape`)
          assert.strictEqual(ours!.trainable, v.trainable, `${v.name} trainable`)
          valueMatches(ours!.value, v.value, `variable ${v.name}`)
        }
        assert.strictEqual(Object.keys(m.variables).length, (e.variables ?? []).length, "variable count")

        const ops = Object.keys(describeModel(m).ops).sort()
        if (e.graph) {
          if (e.graph.node_count !== undefined) assert.strictEqual(m.graph.nodes.length, e.graph.node_count, "node count")
          if (e.graph.ops) assert.deepStrictEqual(ops, [...e.graph.ops].sort(), "ops")
          if (e.meta_graph) for (const op of ops) assert.include(e.meta_graph.ops, op)
          if (e.checkpoint) assert.deepStrictEqual(Object.values(m.variables).map((v) => v.checkpointKey).sort(), [...e.checkpoint.keys].sort())
          const sig = m.signatures["serving_default"]!
          for (const i of e.graph.inputs) {
            const ours = Object.values(sig.inputs).find((s) => s.name === i.name)
            specEquals(ours, i, `graph input ${i.name}`)
          }
          for (const o of e.graph.outputs) assert.isTrue(Object.values(sig.outputs).some((s) => s.name === o.name), `graph output ${o.name}`)
        } else if (e.meta_graphs?.[0]?.ops && e.format !== "tf1_checkpoint") {
          const chosen = e.meta_graphs.find((g) => [...g.tags].sort().join() === [...m.tags].sort().join())
          assert.isDefined(chosen, "meta graph")
          // TF lists the op types of the graph and its whole library; we count the reachable ones.
          for (const op of ops) assert.include(chosen!.ops, op)
        }
      }))
  }
})
