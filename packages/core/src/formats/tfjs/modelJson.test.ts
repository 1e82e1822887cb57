/**
 * model.json schema: wrong fields become InvalidModelError naming the JSON path; real-world
 * variations (extra keys, int64 as numbers, float strings, older signature place) pass.
 */
import { assert, describe, it } from "@effect/vitest"
import { InvalidModelError } from "../../errors.js"
import { decodeBase64, isBase64 } from "./base64.js"
import { decodeModelJson, jsonPath } from "./modelJson.js"

const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v))

const minimal = (over: Record<string, unknown> = {}) => ({
  format: "graph-model",
  modelTopology: { node: [{ name: "x", op: "Placeholder", attr: { dtype: { type: "DT_FLOAT" } } }] },
  weightsManifest: [],
  ...over
})

const failure = (v: unknown): InvalidModelError => {
  try {
    decodeModelJson(enc(v), "model.json")
  } catch (e) {
    if (e instanceof InvalidModelError) return e
    throw e
  }
  throw new Error("expected an InvalidModelError")
}

describe("modelJson", () => {
  it("accepts a minimal graph model, extra keys and both signature places", () => {
    const m = decodeModelJson(enc(minimal({ extra: 1, signature: { inputs: {}, extraKey: true } })), "model.json")
    assert.strictEqual(m.modelTopology.node?.[0]?.op, "Placeholder")
    const old = decodeModelJson(enc(minimal({ userDefinedMetadata: { signature: { inputs: { "x:0": { name: "x:0" } } }, note: "free" } })), "m.json")
    assert.strictEqual(old.userDefinedMetadata?.signature?.inputs?.["x:0"]?.name, "x:0")
    // convertedBy may be null (TF.js types say so); no format is fine.
    decodeModelJson(enc({ ...minimal(), format: undefined, convertedBy: null }), "m.json")
  })

  it("accepts proto3-JSON spellings: int64 as number or string, float strings, enum numbers, URL-safe base64", () => {
    const attr = {
      a: { i: 3 },
      b: { i: "-9223372036854775808" },
      c: { f: "NaN" },
      d: { f: "-Infinity" },
      e: { type: 1 },
      g: { s: "U0FNRQ" },
      h: { list: { i: ["1", 2], f: [0.5, "Infinity"], s: ["-_8="] } },
      t: { tensor: { dtype: "DT_INT64", tensorShape: { dim: [{ size: "2" }] }, int64Val: ["1", "-2"] } }
    }
    decodeModelJson(enc(minimal({ modelTopology: { node: [{ name: "n", op: "X", attr }] } })), "m.json")
  })

  it("names the JSON path of a wrong field and what was found", () => {
    const e = failure(minimal({ weightsManifest: [{ paths: ["a.bin"], weights: [{ name: "w", shape: [2, -1], dtype: "float32" }] }] }))
    assert.strictEqual(e.where, "weightsManifest[0].weights[0].shape[1]")
    assert.include(e.what, "found -1")
    const d = failure(minimal({ weightsManifest: [{ paths: ["a.bin"], weights: [{ name: "w", shape: [2], dtype: "float64" }] }] }))
    assert.strictEqual(d.where, "weightsManifest[0].weights[0].dtype")
    const a = failure(minimal({ modelTopology: { node: [{ name: "n", op: "X", attr: { "a:b": { i: "1.5" } } }] } }))
    assert.strictEqual(a.where, 'modelTopology.node[0].attr["a:b"].i')
    const t = failure(minimal({ modelTopology: { node: [{ name: "n", op: "X", attr: { dtype: { type: "DT_BOGUS" } } }] } }))
    assert.strictEqual(t.where, "modelTopology.node[0].attr.dtype.type")
    const s = failure(minimal({ modelTopology: { node: [{ name: "n", op: "X", attr: { padding: { s: "not base64!" } } }] } }))
    assert.strictEqual(s.where, "modelTopology.node[0].attr.padding.s")
    const q = failure(minimal({ weightsManifest: [{ paths: [], weights: [{ name: "w", shape: [], dtype: "float32", quantization: { dtype: "int4" } }] }] }))
    assert.strictEqual(q.where, "weightsManifest[0].weights[0].quantization.dtype")
    const m = failure({ format: "graph-model", weightsManifest: [] })
    assert.strictEqual(m.where, "modelTopology")
  })

  it("refuses non-JSON, non-UTF-8, non-objects and other formats with a clear message", () => {
    assert.include(failure("{\"format\": ").what, "not valid JSON")
    const notUtf8 = (() => {
      try {
        decodeModelJson(new Uint8Array([0x7b, 0xff, 0x7d]), "m.json")
      } catch (e) {
        return e as InvalidModelError
      }
      return undefined
    })()
    assert.include(notUtf8?.what, "UTF-8")
    assert.include(failure([1, 2]).what, "expected a JSON object")
    const keras = failure({ format: "layers-model", modelTopology: { class_name: "Sequential" }, weightsManifest: [] })
    assert.strictEqual(keras.where, "format")
    assert.include(keras.what, "layers-model")
    assert.include(failure({ modelTopology: { model_config: {} } }).what, "layers-model")
    assert.include(failure(minimal({ format: "saved-model" })).what, "expected \"graph-model\"")
  })

  it("attr values nested thousands deep are an InvalidModelError, not a stack overflow", () => {
    const nested = (depth: number) => {
      let attr = '{"i":"1"}'
      for (let k = 0; k < depth; k++) attr = `{"func":{"name":"f","attr":{"a":${attr}}}}`
      return enc(`{"format":"graph-model","modelTopology":{"node":[{"name":"n","op":"X","attr":{"a":${attr}}}]}}`)
    }
    decodeModelJson(nested(20), "m.json")
    for (const depth of [100, 20000]) assert.include(failure(new TextDecoder().decode(nested(depth))).what, "nested too deeply")
  })

  it("jsonPath quotes keys that are not identifiers", () => {
    assert.strictEqual(jsonPath(["signature", "inputs", "input:0", "tensorShape", "dim", 0]), 'signature.inputs["input:0"].tensorShape.dim[0]')
  })

  it("base64: standard and URL-safe alphabets, optional padding; rejects the rest", () => {
    assert.deepStrictEqual(Array.from(decodeBase64("TkhXQw==")!), [78, 72, 87, 67])
    assert.deepStrictEqual(Array.from(decodeBase64("TkhXQw")!), [78, 72, 87, 67])
    assert.deepStrictEqual(Array.from(decodeBase64("-_8=")!), [251, 255])
    assert.deepStrictEqual(Array.from(decodeBase64("")!), [])
    for (const bad of ["a", "abcde", "ab=c", "ab==c", "a b", "é", "abc==="]) assert.isFalse(isBase64(bad), bad)
  })
})
