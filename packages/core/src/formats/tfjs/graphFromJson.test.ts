/**
 * proto3-JSON GraphDef → IR. Checked three ways: against what the JSON text of the 11 real
 * human@3.3.6 graphs visibly says (decoded here independently, with Node's base64); against the
 * binary path on real TensorFlow GraphDefs (shared testdata) rendered as proto3-JSON; and on a
 * synthetic function library.
 */
import { assert, describe, it } from "@effect/vitest"
import Long from "long"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import { dtypeFromEnum, dtypeJsonName, isRefEnum } from "../../dtype.js"
import { InvalidModelError } from "../../errors.js"
import type { AttrValue, GraphDef } from "../../graph/ir.js"
import { attrString } from "../../graph/ir.js"
import { decodeMessage, pb } from "../../proto/decode.js"
import { graphFromProto } from "../../proto/graphFromProto.js"
import { HUMAN_MODELS, humanModelsDir, sharedTestdata } from "../../test-util/paths.js"
import { graphFromJson } from "./graphFromJson.js"
import { decodeJsonWith, GraphDefJson } from "./modelJson.js"

type Json = any // eslint-disable-line @typescript-eslint/no-explicit-any

const decodeGraph = (json: unknown, options: Parameters<typeof graphFromJson>[2] = {}): GraphDef =>
  graphFromJson(decodeJsonWith(GraphDefJson, json, "test.json", ["modelTopology"]), "test.json", options)

const b64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"))
const text = (a: AttrValue | undefined) => (a?.kind === "s" ? Buffer.from(a.value).toString() : undefined)

const fails = (f: () => unknown): InvalidModelError => {
  try {
    f()
  } catch (e) {
    if (e instanceof InvalidModelError) return e
    throw e
  }
  throw new Error("expected an InvalidModelError")
}

/** Compares one IR attr with the JSON it came from, reading the JSON text independently. */
const checkAttr = (json: Json, ir: AttrValue, where: string): void => {
  const keys = Object.keys(json)
  assert.isAtMost(keys.length, 1, where)
  const key = keys[0]
  const shapeOf = (s: Json) => (s.unknownRank ? null : (s.dim ?? []).map((d: Json) => Number(d.size ?? 0)))
  switch (key) {
    case undefined:
      assert.strictEqual(ir.kind, "list", where)
      return
    case "s":
      assert.strictEqual(ir.kind, "s", where)
      assert.deepStrictEqual(ir.value, b64(json.s), where)
      return
    case "i":
      assert.deepStrictEqual(ir, { kind: "i", value: Number(json.i) }, where)
      return
    case "f":
      assert.deepStrictEqual(ir, { kind: "f", value: Math.fround(Number(json.f)) }, where)
      return
    case "b":
      assert.deepStrictEqual(ir, { kind: "b", value: json.b }, where)
      return
    case "type":
      assert.strictEqual(ir.kind, "type", where)
      assert.strictEqual(dtypeJsonName(ir.value as never), json.type, where)
      return
    case "shape":
      assert.deepStrictEqual(ir, { kind: "shape", value: shapeOf(json.shape) }, where)
      return
    case "tensor": {
      assert.strictEqual(ir.kind, "tensor", where)
      const t = ir.value as Extract<AttrValue, { kind: "tensor" }>["value"]
      assert.strictEqual(dtypeJsonName(t.dtype), json.tensor.dtype, where)
      assert.deepStrictEqual(t.shape, shapeOf(json.tensor.tensorShape ?? {}), where)
      return
    }
    case "list": {
      assert.strictEqual(ir.kind, "list", where)
      const l = ir.value as Extract<AttrValue, { kind: "list" }>["value"]
      const j = json.list
      assert.deepStrictEqual(l.i, (j.i ?? []).map(Number), where)
      assert.deepStrictEqual(l.s, (j.s ?? []).map(b64), where)
      assert.deepStrictEqual(l.f, (j.f ?? []).map((x: Json) => Math.fround(Number(x))), where)
      assert.deepStrictEqual(l.b, j.b ?? [], where)
      assert.deepStrictEqual(l.type.map((d) => dtypeJsonName(d)), j.type ?? [], where)
      assert.deepStrictEqual(l.shape, (j.shape ?? []).map(shapeOf), where)
      return
    }
    default:
      assert.fail(`${where}: unexpected attr kind ${key}`)
  }
}

describe("graphFromJson on the 11 human@3.3.6 graphs", () => {
  for (const name of HUMAN_MODELS) {
    it(`${name}: every node and attr as the JSON text states it`, () => {
      const json = JSON.parse(readFileSync(join(humanModelsDir, `${name}.json`), "utf8"))
      const g = decodeGraph(json.modelTopology)
      const nodes: Array<Json> = json.modelTopology.node
      assert.strictEqual(g.nodes.length, nodes.length)
      nodes.forEach((n, k) => {
        const ir = g.nodes[k]!
        assert.strictEqual(ir.name, n.name)
        assert.strictEqual(ir.op, n.op)
        assert.deepStrictEqual(ir.inputs, n.input ?? [])
        assert.strictEqual(ir.device, n.device ?? "")
        assert.deepStrictEqual(Object.keys(ir.attrs), Object.keys(n.attr ?? {}))
        for (const [a, v] of Object.entries(n.attr ?? {})) checkAttr(v, ir.attrs[a]!, `${n.name}.${a}`)
      })
      assert.strictEqual(g.library.functions.size, 0)
      assert.strictEqual(g.producer, json.modelTopology.versions?.producer ?? 0)
    })
  }

  it("blazeface's first _FusedConv2D: padding SAME, strides [1,2,2,1], NHWC, fused BiasAdd+Relu", () => {
    const json = JSON.parse(readFileSync(join(humanModelsDir, "blazeface.json"), "utf8"))
    const conv = decodeGraph(json.modelTopology).nodes.find((n) => n.name === "StatefulPartitionedCall/functional_1/conv2d/Relu")!
    assert.strictEqual(conv.op, "_FusedConv2D")
    assert.strictEqual(attrString(conv.attrs, "padding"), "SAME")
    assert.strictEqual(attrString(conv.attrs, "data_format"), "NHWC")
    assert.deepStrictEqual(conv.attrs["strides"], { kind: "list", value: { s: [], i: [1, 2, 2, 1], f: [], b: [], type: [], shape: [], tensor: [], func: [] } })
    const fused = conv.attrs["fused_ops"]
    assert.deepStrictEqual(fused?.kind === "list" ? fused.value.s.map((s) => Buffer.from(s).toString()) : [], ["BiasAdd", "Relu"])
    assert.deepStrictEqual(conv.attrs["num_args"], { kind: "i", value: 1 })
    assert.deepStrictEqual(conv.attrs["epsilon"], { kind: "f", value: 0 })
    assert.deepStrictEqual(conv.attrs["use_cudnn_on_gpu"], { kind: "b", value: true })
    assert.deepStrictEqual(conv.attrs["T"], { kind: "type", value: "float32" })
    assert.strictEqual(conv.device, "/device:CPU:0")
    assert.deepStrictEqual(conv.inputs, ["input", "unknown", "unknown_0"])
  })

  it("facemesh's _FusedConv2D with Prelu has 2 args; handtrack's input placeholder is uint8 [1,-1,-1,3]", () => {
    const fm = JSON.parse(readFileSync(join(humanModelsDir, "facemesh.json"), "utf8"))
    const prelu = decodeGraph(fm.modelTopology).nodes.filter((n) => {
      const f = n.attrs["fused_ops"]
      return f?.kind === "list" && f.value.s.some((s) => Buffer.from(s).toString() === "Prelu")
    })
    assert.strictEqual(prelu.length, 4)
    for (const n of prelu) assert.deepStrictEqual(n.attrs["num_args"], { kind: "i", value: 2 })
    const ht = JSON.parse(readFileSync(join(humanModelsDir, "handtrack.json"), "utf8"))
    const input = decodeGraph(ht.modelTopology).nodes.find((n) => n.op === "Placeholder")!
    assert.deepStrictEqual(input.attrs["dtype"], { kind: "type", value: "uint8" })
    assert.deepStrictEqual(input.attrs["shape"], { kind: "shape", value: [1, -1, -1, 3] })
  })
})

// ---------------------------------------------------------------------------------------------
// Parity with the binary path on real TensorFlow GraphDefs

/** Protobuf's JSON writer prints `float` fields in the shortest form that round-trips as float32 (0.001). */
const shortestFloat32 = (v: number): number => {
  for (let p = 1; p <= 9; p++) {
    const x = Number(v.toPrecision(p))
    if (Math.fround(x) === v) return x
  }
  return v
}
const FLOAT_FIELDS = new Set(["f", "floatVal", "scomplexVal"])

/** A decoded protobuf message rendered as proto3-JSON (what a TF.js converter writes). */
const toProto3Json = (v: unknown, key = ""): unknown => {
  if (Long.isLong(v)) return v.toString()
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64")
  if (Array.isArray(v)) return v.map((x) => toProto3Json(x, key))
  if (typeof v === "number") {
    if ((key === "dtype" || key === "type") && Number.isInteger(v)) {
      const d = dtypeFromEnum(v)
      return d === undefined ? "DT_INVALID" : dtypeJsonName(d) + (isRefEnum(v) ? "_REF" : "")
    }
    if (Number.isNaN(v)) return "NaN"
    if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity"
    return FLOAT_FIELDS.has(key) ? shortestFloat32(v) : v
  }
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v)) if (k !== "$unknowns") out[k] = toProto3Json((v as Record<string, unknown>)[k], k)
    return out
  }
  return v
}

/** Comparable form: typed arrays (Buffer included) by kind and elements, maps as entries. */
const canon = (v: unknown): unknown => {
  if (ArrayBuffer.isView(v)) {
    const kind = v instanceof Uint8Array ? "Uint8Array" : v.constructor.name
    return { [kind]: Array.from(v as unknown as ArrayLike<number | bigint>, (x) => (typeof x === "bigint" ? `${x}n` : x)) }
  }
  if (v instanceof Map) return { map: [...v.entries()].map(([k, x]) => [k, canon(x)]) }
  if (Array.isArray(v)) return v.map(canon)
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]))
  }
  return v
}

const graphDefsIn = (root: string): Array<[string, pb.GraphDef.$Properties]> => {
  const out: Array<[string, pb.GraphDef.$Properties]> = []
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (name === "saved_model.pb") {
        const sm = decodeMessage(pb.SavedModel, readFileSync(p), p, "SavedModel")
        sm.metaGraphs.forEach((m, k) => m.graphDef && out.push([`${relative(root, p)}#${k}`, m.graphDef]))
      } else if (name === "frozen.pb" || name === "model.pb") {
        out.push([relative(root, p), decodeMessage(pb.GraphDef, readFileSync(p), p, "GraphDef")])
      }
    }
  }
  walk(root)
  return out
}

describe.skipIf(sharedTestdata === undefined)("graphFromJson = graphFromProto on real TensorFlow GraphDefs", () => {
  it("every GraphDef of shared/testdata, rendered as proto3-JSON, decodes to the same IR", () => {
    const graphs = graphDefsIn(sharedTestdata!)
    assert.isAtLeast(graphs.length, 20)
    let functions = 0
    for (const [name, gd] of graphs) {
      const fromBinary = graphFromProto(gd, name)
      const json = JSON.parse(JSON.stringify(toProto3Json(gd)))
      const fromJson = decodeGraph(json)
      functions += fromJson.library.functions.size
      assert.deepStrictEqual(canon(fromJson), canon(fromBinary), name)
    }
    assert.isAtLeast(functions, 20, "the corpus exercises function libraries")
  })
})

/** Minimal protobuf writer, to put float attrs (none in the corpus above) through both paths. */
const varint = (n: number): Array<number> => {
  const out: Array<number> = []
  for (; n > 127; n = Math.floor(n / 128)) out.push((n % 128) | 128)
  return [...out, n]
}
const field = (no: number, body: Array<number>): Array<number> => [...varint((no << 3) | 2), ...varint(body.length), ...body]
const str = (s: string): Array<number> => Array.from(Buffer.from(s))
const float32Field = (no: number, v: number): Array<number> => [(no << 3) | 5, ...new Uint8Array(new Float32Array([v]).buffer)]

describe("graphFromJson = graphFromProto for float attrs written as protobuf's JSON writer does", () => {
  it("f and list(f) are float32 values (0.001 in JSON is the float32 nearest 0.001)", () => {
    const attr = (key: string, value: Array<number>) => field(5, [...field(1, str(key)), ...field(2, value)])
    const node = field(1, [
      ...field(1, str("n")),
      ...field(2, str("X")),
      ...attr("epsilon", float32Field(4, 0.001)),
      ...attr("alpha", float32Field(4, 0.2)),
      ...attr("list", field(1, field(4, [...new Uint8Array(new Float32Array([0.1, 1e-8]).buffer)])))
    ])
    const fromBinary = graphFromProto(decodeMessage(pb.GraphDef, new Uint8Array(node), "g.pb", "GraphDef"), "g.pb")
    const fromJson = decodeGraph({ node: [{ name: "n", op: "X", attr: { epsilon: { f: 0.001 }, alpha: { f: "0.2" }, list: { list: { f: [0.1, 1e-8] } } } }] })
    assert.deepStrictEqual(canon(fromJson), canon(fromBinary))
    assert.deepStrictEqual(fromJson.nodes[0]!.attrs["epsilon"], { kind: "f", value: Math.fround(0.001) })
  })
})

// ---------------------------------------------------------------------------------------------
// Synthetic: function library, resolver, errors

const fnLibrary = {
  node: [
    { name: "x", op: "Placeholder", attr: { dtype: { type: "DT_FLOAT" }, shape: { shape: { unknownRank: true } } } },
    {
      name: "call",
      op: "StatefulPartitionedCall",
      input: ["x"],
      attr: {
        f: { func: { name: "__inference_f_1", attr: { k: { i: "3" } } } },
        Tin: { list: { type: ["DT_FLOAT"] } },
        Tout: { list: { type: ["DT_FLOAT"] } },
        branches: { list: { func: [{ name: "__inference_f_1" }] } },
        shapes: { list: { shape: [{ dim: [{ size: "-1" }, {}] }, { unknownRank: true }] } }
      }
    }
  ],
  library: {
    function: [
      {
        signature: {
          name: "__inference_f_1",
          inputArg: [{ name: "a", type: "DT_FLOAT" }, { name: "r", type: "DT_RESOURCE", handleData: [{ dtype: "DT_FLOAT", shape: { dim: [{ size: "2" }] } }] }],
          outputArg: [{ name: "out", typeAttr: "T" }, { name: "many", numberAttr: "N", type: "DT_INT32" }, { name: "ref", type: "DT_FLOAT_REF" }],
          controlOutput: ["side"],
          isStateful: true
        },
        attr: { _noinline: { b: true } },
        argAttr: { "0": { attr: { _user_specified_name: { s: "YQ==" } } } },
        nodeDef: [
          { name: "__inference_f_1/c", op: "Const", attr: { dtype: { type: "DT_FLOAT" }, value: { tensor: { dtype: "DT_FLOAT", tensorShape: { dim: [{ size: "2" }] } } } } },
          { name: "mul", op: "Mul", input: ["a", "__inference_f_1/c:output:0"], attr: { T: { placeholder: "T" } } }
        ],
        ret: { out: "mul:z:0" },
        controlRet: { side: "mul" }
      }
    ],
    gradient: [{ functionName: "__inference_f_1", gradientFunc: "g" }]
  },
  versions: { producer: 1234, minConsumer: "12" }
}

describe("graphFromJson: functions, constants, errors", () => {
  it("decodes a function library: signature args, attrs, argAttr, ret, controlRet, func attrs", () => {
    const values = new Map([["__inference_f_1/c", { dtype: "float32" as const, shape: [2], data: new Float32Array([1, 2]) }]])
    const seen: Array<string> = []
    const g = decodeGraph(fnLibrary, {
      constValue: (node, fn, declared) => {
        seen.push(`${fn}:${node}:${declared.dtype}[${declared.shape.join(",")}]`)
        return values.get(node)
      }
    })
    assert.deepStrictEqual(seen, ["__inference_f_1:__inference_f_1/c:float32[2]"])
    assert.strictEqual(g.producer, 1234)
    assert.strictEqual(g.minConsumer, 12)
    const f = g.library.functions.get("__inference_f_1")!
    assert.deepStrictEqual(f.signature.inputs[1], { name: "r", type: "resource", typeAttr: "", numberAttr: "", typeListAttr: "", handleData: [{ dtype: "float32", shape: [2] }], isRef: false })
    assert.deepStrictEqual(f.signature.outputs.map((o) => [o.name, o.type, o.typeAttr, o.numberAttr, o.isRef]), [
      ["out", undefined, "T", "", false],
      ["many", "int32", "", "N", false],
      ["ref", "float32", "", "", true]
    ])
    assert.deepStrictEqual(f.signature.controlOutputs, ["side"])
    assert.isTrue(f.signature.isStateful)
    assert.deepStrictEqual(f.attrs, { _noinline: { kind: "b", value: true } })
    assert.deepStrictEqual(text(f.argAttrs[0]!["_user_specified_name"]), "a")
    assert.deepStrictEqual(f.ret, { out: "mul:z:0" })
    assert.deepStrictEqual(f.controlRet, { side: "mul" })
    assert.strictEqual(f.nodes[0]!.attrs["value"]?.value, values.get("__inference_f_1/c"))
    assert.deepStrictEqual(f.nodes[1]!.attrs["T"], { kind: "placeholder", value: "T" })
    assert.deepStrictEqual(g.library.gradients, new Map([["__inference_f_1", "g"]]))
    const call = g.nodes[1]!
    assert.deepStrictEqual(call.attrs["f"], { kind: "func", value: { name: "__inference_f_1", attrs: { k: { kind: "i", value: 3 } } } })
    const shapes = call.attrs["shapes"]
    assert.deepStrictEqual(shapes?.kind === "list" ? shapes.value.shape : undefined, [[-1, 0], null])
    assert.deepStrictEqual(g.nodes[0]!.attrs["shape"], { kind: "shape", value: null })
  })

  it("a Const without data and without a weight is an error naming it; without a resolver it decodes as TF would (zeros)", () => {
    const e = fails(() => decodeGraph(fnLibrary, { constValue: () => undefined }))
    assert.strictEqual(e.where, "modelTopology.library.function[0].nodeDef[0].attr.value.tensor")
    assert.include(e.what, '"__inference_f_1/c"')
    const c = decodeGraph(fnLibrary).library.functions.get("__inference_f_1")!.nodes[0]!.attrs["value"]
    assert.deepStrictEqual(c?.kind === "tensor" ? Array.from(c.value.data as Float32Array) : [], [0, 0])
  })

  it("inline tensor data: tensorContent, typed values with TF's fill rule, float strings, int64 beyond 2^53", () => {
    const t = (tensor: Json) => {
      const a = decodeGraph({ node: [{ name: "c", op: "Const", attr: { value: { tensor } } }] }).nodes[0]!.attrs["value"]
      return a?.kind === "tensor" ? a.value : assert.fail("not a tensor")
    }
    const shape = (...d: Array<number>) => ({ dim: d.map((s) => ({ size: String(s) })) })
    assert.deepStrictEqual(Array.from(t({ dtype: "DT_FLOAT", tensorShape: shape(2), tensorContent: Buffer.from(new Float32Array([1.5, -2]).buffer).toString("base64") }).data as Float32Array), [1.5, -2])
    assert.deepStrictEqual(Array.from(t({ dtype: "DT_FLOAT", tensorShape: shape(3), floatVal: [1, "NaN"] }).data as Float32Array), [1, NaN, NaN])
    assert.deepStrictEqual(Array.from(t({ dtype: "DT_INT64", tensorShape: shape(2), int64Val: ["9007199254740993", "-1"] }).data as BigInt64Array), [9007199254740993n, -1n])
    assert.deepStrictEqual(Array.from(t({ dtype: "DT_UINT64", tensorShape: shape(1), uint64Val: ["18446744073709551615"] }).data as BigUint64Array), [2n ** 64n - 1n])
    assert.deepStrictEqual(Array.from(t({ dtype: "DT_HALF", tensorShape: shape(1), halfVal: [0x3c00] }).data as Float32Array), [1])
    assert.deepStrictEqual(Array.from(t({ dtype: "DT_BOOL", tensorShape: shape(2), boolVal: [true] }).data as Uint8Array), [1, 1])
    assert.deepStrictEqual((t({ dtype: "DT_STRING", tensorShape: shape(2), stringVal: ["YQ==", "YmM="] }).data as Array<Uint8Array>).map((s) => Buffer.from(s).toString()), ["a", "bc"])
    assert.deepStrictEqual(t({ dtype: "DT_FLOAT" }).shape, [])
  })

  it("errors name the JSON path: nameless node, no op, duplicate function, bad argAttr key, bad sizes", () => {
    assert.strictEqual(fails(() => decodeGraph({ node: [{ op: "X" }] })).where, "modelTopology.node[0].name")
    assert.strictEqual(fails(() => decodeGraph({ node: [{ name: "n" }] })).where, "modelTopology.node[0].op")
    const dup = { library: { function: [fnLibrary.library.function[0], fnLibrary.library.function[0]] } }
    assert.include(fails(() => decodeGraph(dup)).what, "defined twice")
    const argKey = { library: { function: [{ signature: { name: "f" }, argAttr: { x: {} } }] } }
    assert.strictEqual(fails(() => decodeGraph(argKey)).where, "modelTopology.library.function[0].argAttr.x")
    assert.include(fails(() => decodeGraph({ library: { function: [{}] } })).what, "signature name")
    const content = { node: [{ name: "c", op: "Const", attr: { value: { tensor: { dtype: "DT_FLOAT", tensorShape: { dim: [{ size: "3" }] }, tensorContent: "AAAA" } } } }] }
    assert.strictEqual(fails(() => decodeGraph(content)).where, "modelTopology.node[0].attr.value.tensor")
    const neg = { node: [{ name: "c", op: "Const", attr: { value: { tensor: { dtype: "DT_FLOAT", tensorShape: { dim: [{ size: "-3" }] } } } } }] }
    assert.include(fails(() => decodeGraph(neg, { constValue: () => undefined })).what, "fully known shape")
    const badType = { node: [{ name: "n", op: "X", attr: { T: { type: "DT_INVALID" } } }] }
    assert.strictEqual(fails(() => decodeGraph(badType)).where, "modelTopology.node[0].attr.T.type")
  })

  it("splatted tensors share one budget per file: many 2^25-element fills are refused, not allocated", () => {
    const big = { tensor: { dtype: "DT_FLOAT", tensorShape: { dim: [{ size: String(2 ** 25) }] }, floatVal: [1] } }
    const node = (k: number) => ({ name: `n${k}`, op: "X", attr: { v: big } })
    const before = process.memoryUsage().arrayBuffers
    const e = fails(() => decodeGraph({ node: [node(0), node(1), node(2), node(3)] }))
    assert.strictEqual(e.where, "modelTopology.node[2].attr.v.tensor")
    assert.isBelow(process.memoryUsage().arrayBuffers - before, 2 ** 29 + 2 ** 20)
  })

  it("attr keys such as __proto__ stay ordinary own keys", () => {
    const g = decodeGraph(JSON.parse('{"node":[{"name":"n","op":"X","attr":{"__proto__":{"i":"1"},"constructor":{"b":true}}}]}'))
    const attrs = g.nodes[0]!.attrs
    assert.deepStrictEqual(Object.keys(attrs), ["__proto__", "constructor"])
    assert.deepStrictEqual(Object.getOwnPropertyDescriptor(attrs, "__proto__")?.value, { kind: "i", value: 1 })
    assert.strictEqual(Object.getPrototypeOf(attrs), Object.prototype)
  })
})
