/**
 * Engine-level behaviour of the math family, across all its golden files:
 * - static stays static: each golden case re-run with its inputs as Consts must hand a *static*
 *   value (host-folded) to a consumer that demands one, equal to TF's output — for every op that
 *   takes part in shape arithmetic; and a shape computation chain converts and runs under `jit`;
 * - vmap: the lowerings built from selects, bit casts, scans and stop-gradient terms batch;
 * - no leaks: live buffers return to the baseline after eager calls (errors included);
 * - typed errors for what TF refuses.
 */
import { assert, describe, it } from "@effect/vitest"
import { jit, numpy as np, vmap } from "@jax-js/jax"
import type { DType, GraphDef, HostTensor, JaxArray, NodeDef, OpPack } from "@tf2jax/core"
import { arrayValue, CORE_CONTRACT_VERSION, defineOp, definePack, fromLittleEndianBytes, hostValues, toNumbers } from "@tf2jax/core"
import { Schema } from "effect"
import { convertGraph, decodeGraphDef } from "../../../../core/src/test-util/graphCase.js"
import { installLiveBufferCounter } from "../../../../core/src/test-util/liveBuffers.js"
import type { GoldenCase } from "../../lowering/goldenCases.js"
import { compare, decodeTensor, dynamicInputs } from "../../lowering/goldenCases.js"
import { nnPack } from "../../pack.js"
import { widenCase, widenTensor } from "./goldenMath.js"
import { convertWithNnPack, loadMathFamily } from "../../test-util/mathGoldenFiles.js"

const FAMILIES = [
  "arithmetic", "pow", "minmax", "nonan", "biasAdd", "bitwise", "compare", "logical", "select", "unary", "cast",
  "activations", "reductions", "argReduce", "cumulative"
]
const byFamily = FAMILIES.map((f) => [f, loadMathFamily(f).cases] as const)
const cases = byFamily.flatMap(([, cs]) => cs)
const familyOf = new Map(byFamily.flatMap(([f, cs]) => cs.map((c) => [c.name, f] as const)))

// ---------------------------------------------------------------------------------------------
// Test-only consumers: one that records the static value it is given, one that reshapes by it.

let seen: HostTensor | undefined
const staticSink = defineOp({
  ops: ["TestStaticSink"],
  attrs: Schema.Struct({}),
  inputs: ["array", "static"],
  outputs: [{ name: "output" }],
  run: (_ctx, [x, t]) => {
    seen = t as HostTensor
    return arrayValue(x as JaxArray, "float32")
  }
})
const reshapeSink = defineOp({
  ops: ["TestReshape"],
  attrs: Schema.Struct({}),
  inputs: ["array", "static"],
  outputs: [{ name: "output" }],
  run: (_ctx, [x, shape]) => arrayValue((x as JaxArray).reshape(toNumbers(shape as HostTensor)), "float32")
})
const testPack: OpPack = definePack({ name: "test", version: "0.0.0", contract: CORE_CONTRACT_VERSION, converters: [staticSink, reshapeSink] })
const packs = [nnPack, testPack]

const node = (name: string, op: string, inputs: ReadonlyArray<string>, attrs: NodeDef["attrs"] = {}): NodeDef => ({ name, op, inputs, device: "", attrs })
const constNode = (name: string, t: HostTensor): NodeDef =>
  node(name, "Const", [], { dtype: { kind: "type", value: t.dtype }, value: { kind: "tensor", value: t } })
const placeholder = (name: string, dtype: DType, shape: ReadonlyArray<number>): NodeDef =>
  node(name, "Placeholder", [], { dtype: { kind: "type", value: dtype }, shape: { kind: "shape", value: shape } })
const graphOf = (nodes: ReadonlyArray<NodeDef>): GraphDef => ({ nodes, library: { functions: new Map(), gradients: new Map(), registeredGradients: new Map() }, producer: 1882, minConsumer: 0 })

const hostTensorOf = (t: GoldenCase["inputs"][number]): HostTensor => {
  const bytes = Uint8Array.from(atob(t.data_base64_le), (c) => c.charCodeAt(0))
  return fromLittleEndianBytes(t.dtype as DType, t.shape, bytes, { file: "golden", where: t.name })
}

/** The case's TF graph with every placeholder replaced by a Const of the case's data, feeding TestStaticSink. */
const foldedGraph = (c: GoldenCase): GraphDef => {
  const g = decodeGraphDef(c.graph.graph_def_base64, c.name)
  const data = new Map(c.inputs.map((i) => [i.name, i]))
  const nodes = g.nodes.map((n) => (n.op === "Placeholder" && data.has(n.name) ? constNode(n.name, hostTensorOf(data.get(n.name)!)) : n))
  const out = c.graph.outputs[0]!
  return graphOf([...nodes, placeholder("probe", "float32", [1]), node("sink", "TestStaticSink", ["probe", out])])
}

/** Ops that take part in shape arithmetic and must fold when their inputs are static. */
const FOLDING = new Set([
  "Add", "AddV2", "Sub", "Mul", "Div", "RealDiv", "TruncateDiv", "FloorDiv", "FloorMod", "Mod", "TruncateMod",
  "SquaredDifference", "AddN", "Pow", "Maximum", "Minimum", "ClipByValue", "DivNoNan", "MulNoNan", "Xdivy",
  "BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift", "Invert", "PopulationCount",
  "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "ApproximateEqual",
  "LogicalAnd", "LogicalOr", "LogicalNot", "Select", "SelectV2",
  "Abs", "Neg", "Sign", "Square", "Sqrt", "Reciprocal", "Inv", "Floor", "Ceil", "Round", "Rint", "IsNan", "IsInf", "IsFinite",
  "Cast", "Sum", "Mean", "Max", "Min", "Prod", "All", "Any", "ArgMax", "ArgMin", "Cumsum", "Cumprod"
])
// JS bit operators are 32-bit: 64-bit integer bit ops go to the device.
const folds = (c: GoldenCase) => FOLDING.has(c.op) && !(c.op.includes("Shift") && c.inputs[0]!.dtype === "int64")

/** Host values vs TF's: integers and bools exactly, floats within 1e-6 of the scale (2e-3 for half precision), NaN = NaN. */
const sameValues = (got: HostTensor, want: GoldenCase["outputs"][number]): string | undefined => {
  if (got.dtype !== want.dtype) return `dtype ${got.dtype} ≠ TF ${want.dtype}`
  if (got.shape.join(",") !== want.shape.join(",")) return `shape [${got.shape}] ≠ TF [${want.shape}]`
  const e = decodeTensor(widenTensor(want)).data
  const a = hostValues(got)
  const half = want.dtype === "float16" || want.dtype === "bfloat16"
  let scale = 0
  for (const v of e) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v))
  const tol = want.dtype.startsWith("float") || half ? (half ? 2e-3 : 1e-6) * scale + 1e-7 : 0
  for (let i = 0; i < e.length; i++) {
    const ok = Number.isNaN(e[i]!) ? Number.isNaN(a[i]!) : Number.isFinite(e[i]!) ? Math.abs(a[i]! - e[i]!) <= tol : a[i] === e[i]
    if (!ok) return `at ${i}: got ${a[i]}, TF ${e[i]}`
  }
  return undefined
}

describe("static stays static: golden cases with Const inputs fold on the host, equal to TF", () => {
  for (const c of cases.filter(folds)) {
    it(`${c.op}: ${c.name}`, () => {
      const f = convertGraph({ kind: "graph-function", graph: foldedGraph(c), inputs: ["probe:0"], outputs: ["sink:0"] }, packs)
      seen = undefined
      const out = f([np.zeros([1])]) as Record<string, JaxArray>
      for (const a of Object.values(out)) a.dispose()
      assert.isDefined(seen, "the consumer got no static value")
      assert.strictEqual(sameValues(seen!, c.outputs[0]!), undefined)
    })
  }
})

describe("static stays static under jit", () => {
  const i64 = (values: ReadonlyArray<number>): HostTensor => ({ dtype: "int64", shape: [values.length], data: BigInt64Array.from(values.map(BigInt)) })
  const f32 = (values: ReadonlyArray<number>): HostTensor => ({ dtype: "float32", shape: [values.length], data: Float32Array.from(values) })
  const i32s = (values: ReadonlyArray<number>): HostTensor => ({ dtype: "int32", shape: [values.length], data: Int32Array.from(values) })
  const type = (value: DType) => ({ kind: "type", value }) as const

  // Shape [2,3,4] → Cast float → ·[2, 1, 0.5] → Round → Cast int32 → Maximum 1 → FloorDiv 1 →
  // Select(dims > 2, ·, ·) → [4, 3, 2]; the input is reshaped by it (the consumer needs it static).
  const chain = graphOf([
    placeholder("x", "float32", [2, 3, 4]),
    constNode("dims", i64([2, 3, 4])),
    constNode("scale", f32([2, 1, 0.5])),
    constNode("one", i32s([1])),
    constNode("two", { dtype: "int64", shape: [], data: BigInt64Array.from([2n]) }),
    node("dims_f", "Cast", ["dims"], { SrcT: type("int64"), DstT: type("float32"), Truncate: { kind: "b", value: false } }),
    node("scaled", "Mul", ["dims_f", "scale"], { T: type("float32") }),
    node("rounded", "Round", ["scaled"], { T: type("float32") }),
    node("as_int", "Cast", ["rounded"], { SrcT: type("float32"), DstT: type("int32"), Truncate: { kind: "b", value: false } }),
    node("at_least_one", "Maximum", ["as_int", "one"], { T: type("int32") }),
    node("same", "FloorDiv", ["at_least_one", "one"], { T: type("int32") }),
    node("big", "Greater", ["dims", "two"], { T: type("int64") }),
    node("target", "SelectV2", ["big", "same", "at_least_one"], { T: type("int32") }),
    node("y", "TestReshape", ["x", "target"])
  ])

  it("a shape computation chain converts and runs under jit", () => {
    const f = convertGraph({ kind: "graph-function", graph: chain, inputs: ["x:0"], outputs: ["y:0"] }, packs)
    const g = jit((x: JaxArray) => (f([x]) as Record<string, JaxArray>)["y:0"]!)
    const y = g(np.arange(24).astype(np.float32).reshape([2, 3, 4]))
    assert.deepStrictEqual(y.shape, [4, 3, 2])
    y.dispose()
    g.dispose()
  })

  it("a value derived from a traced input is refused by the static consumer (typed error)", () => {
    const graph = graphOf([
      placeholder("x", "float32", [2, 3, 4]),
      placeholder("n", "int32", [3]),
      constNode("one", i32s([1])),
      node("target", "Mul", ["n", "one"], { T: type("int32") }),
      node("y", "TestReshape", ["x", "target"])
    ])
    const f = convertGraph({ kind: "graph-function", graph, inputs: ["x:0", "n:0"], outputs: ["y:0"] }, packs)
    assert.throws(() => f([np.zeros([2, 3, 4]), np.array([4, 3, 2], { dtype: np.int32 })]), /needs input 1 to be static/)
  })
})

describe("no leaks", () => {
  it("live buffers return to the baseline after eager calls of every golden graph", async () => {
    const counter = await installLiveBufferCounter()
    const fns = cases.map((raw) => {
      const c = widenCase(raw)
      return { c, f: convertWithNnPack(c) }
    })
    const runAll = () => {
      for (const { c, f } of fns) for (const y of f(...dynamicInputs(c))) y.dispose()
    }
    runAll()
    const base = counter.live()
    runAll()
    assert.strictEqual(counter.live(), base, "eager")
    // Under jit too (one graph per family; jit consumes its arguments, the caller owns outputs).
    for (const family of FAMILIES) {
      const { c, f } = fns.find(({ c }) => c.name === cases.find((x) => familyOf.get(x.name) === family)!.name)!
      const jf = jit((...xs: JaxArray[]) => f(...xs))
      for (let k = 0; k < 2; k++) for (const y of jf(...dynamicInputs(c))) y.dispose()
      jf.dispose()
    }
    assert.strictEqual(counter.live(), base, "jit")
  })

  it("and after a converter refuses its inputs", async () => {
    const counter = await installLiveBufferCounter()
    const type = (value: DType) => ({ kind: "type", value }) as const
    const graph = graphOf([
      placeholder("c", "bool", [2]),
      placeholder("t", "float32", [3, 2]),
      placeholder("e", "float32", [3, 2]),
      node("s", "Select", ["c", "t", "e"], { T: type("float32") })
    ])
    const f = convertGraph({ kind: "graph-function", graph, inputs: ["c:0", "t:0", "e:0"], outputs: ["s:0"] }, [nnPack])
    const call = () => f([np.array([true, false], { dtype: np.bool }), np.zeros([3, 2]), np.zeros([3, 2])])
    assert.throws(call, /do not fit Select/)
    const base = counter.live()
    assert.throws(call, /do not fit Select/)
    assert.strictEqual(counter.live(), base)
  })
})

describe("vmap over converted graphs (first input batched, each row equal to TF)", () => {
  const names = [
    "f32_to_float16_random", "f32_to_bfloat16_random", "pow_f32_positive_base", "prod_with_zeros", "cumsum_axis1_ex1_rev1",
    "cumprod_negative_axis_exclusive", "softplus_f32_random", "relu6_f32_kinks", "rightshift_int32", "abs_f32_zeros",
    "select_vector_rows", "maximum_f32_ties", "argmax_ties_axis1", "floormod_int32", "logsoftmax_2d", "log_f32"
  ]
  for (const name of names) {
    it(name, () => {
      const c = widenCase(cases.find((x) => x.name === name)!)
      const f = convertWithNnPack(c)
      const [first, ...rest] = dynamicInputs(c)
      const batched = vmap((x: JaxArray, ...others: JaxArray[]) => f(x, ...others)[0]!, [0, ...rest.map(() => null)])
      const y = batched(np.stack([first!.ref, first!]), ...rest)
      const rows = [y.ref.slice(0), y.slice(1)]
      for (const row of rows) assert.deepStrictEqual(compare("vmap row", row, c.outputs[0]!, 2e-6), [])
    })
  }
})

/** The `_tag` of the typed error `f` throws. */
const tagOf = (f: () => void): string | undefined => {
  try {
    f()
  } catch (e) {
    return (e as { _tag?: string })._tag ?? `untyped: ${String(e)}`
  }
  return undefined
}

describe("typed errors", () => {
  const type = (value: DType) => ({ kind: "type", value }) as const
  const i32 = (values: ReadonlyArray<number>): HostTensor => ({ dtype: "int32", shape: [values.length], data: Int32Array.from(values) })
  const run = (nodes: ReadonlyArray<NodeDef>, inputs: ReadonlyArray<string>, args: ReadonlyArray<JaxArray>, output: string) => {
    const f = convertGraph({ kind: "graph-function", graph: graphOf(nodes), inputs, outputs: [output] }, [nnPack])
    const out = f([...args]) as Record<string, JaxArray>
    for (const a of Object.values(out)) a.dispose()
  }

  it("integer division by zero on static values is TF's error", () => {
    const nodes = [constNode("a", i32([7, 1])), constNode("b", i32([2, 0])), node("q", "FloorDiv", ["a", "b"], { T: type("int32") })]
    assert.strictEqual(tagOf(() => run(nodes, [], [], "q:0")), "ConversionError")
    assert.throws(() => run(nodes, [], [], "q:0"), /integer division by zero/)
  })

  it("an op given a dtype TF has no kernel for raises UnsupportedDtypeError", () => {
    const nodes = [placeholder("x", "int32", [2]), node("s", "Sqrt", ["x"], { T: type("int32") })]
    assert.strictEqual(tagOf(() => run(nodes, ["x:0"], [np.array([1, 4], { dtype: np.int32 })], "s:0")), "UnsupportedDtypeError")
  })

  it("Equal on shapes that do not broadcast fails unless incompatible_shape_error is false", () => {
    const nodes = (flag: boolean) => [
      placeholder("x", "float32", [2]),
      placeholder("y", "float32", [3]),
      node("e", "Equal", ["x", "y"], { T: type("float32"), incompatible_shape_error: { kind: "b", value: flag } })
    ]
    assert.throws(() => run(nodes(true), ["x:0", "y:0"], [np.zeros([2]), np.zeros([3])], "e:0"), /do not broadcast/)
    run(nodes(false), ["x:0", "y:0"], [np.zeros([2]), np.zeros([3])], "e:0")
  })

  it("reductions refuse duplicate and out-of-range axes; a traced axis is StaticValueRequiredError", () => {
    const withAxes = (axes: ReadonlyArray<number>) => [
      placeholder("x", "float32", [2, 3]),
      constNode("axes", i32(axes)),
      node("s", "Sum", ["x", "axes"], { T: type("float32"), Tidx: type("int32"), keep_dims: { kind: "b", value: false } })
    ]
    assert.throws(() => run(withAxes([1, -1]), ["x:0"], [np.zeros([2, 3])], "s:0"), /duplicate/)
    assert.throws(() => run(withAxes([2]), ["x:0"], [np.zeros([2, 3])], "s:0"), /out of range/)
    const traced = [
      placeholder("x", "float32", [2, 3]),
      placeholder("axes", "int32", [1]),
      node("s", "Sum", ["x", "axes"], { T: type("float32"), Tidx: type("int32"), keep_dims: { kind: "b", value: false } })
    ]
    assert.throws(() => run(traced, ["x:0", "axes:0"], [np.zeros([2, 3]), np.array([1], { dtype: np.int32 })], "s:0"), /needs input 1 to be static/)
  })

  it("BiasAdd checks the bias length and the data format", () => {
    const nodes = (fmt: string, channels: number) => [
      placeholder("v", "float32", [2, 3, 4]),
      placeholder("b", "float32", [channels]),
      node("y", "BiasAdd", ["v", "b"], { T: type("float32"), data_format: { kind: "s", value: new TextEncoder().encode(fmt) } })
    ]
    assert.throws(() => run(nodes("NHWC", 3), ["v:0", "b:0"], [np.zeros([2, 3, 4]), np.zeros([3])], "y:0"), /does not match/)
    // (At conversion; the engine here is core's source, the converters use its build, so its
    // instanceof check re-wraps the typed error as a ConversionError carrying the same message.)
    assert.throws(() => run(nodes("NDHWC", 4), ["v:0", "b:0"], [np.zeros([2, 3, 4]), np.zeros([4])], "y:0"), /attr "data_format": NDHWC is not NHWC or NCHW/)
  })

  it("an attr the op does not know is refused at conversion", () => {
    const nodes = [placeholder("x", "float32", [2]), node("r", "Relu", ["x"], { T: type("float32"), fancy: { kind: "b", value: true } })]
    assert.strictEqual(tagOf(() => run(nodes, ["x:0"], [np.zeros([2])], "r:0")), "InvalidAttrError")
  })

  it("Cast to a dtype jax-js cannot compute is refused at conversion", () => {
    const nodes = [placeholder("x", "float32", [2]), node("c", "Cast", ["x"], { SrcT: type("float32"), DstT: type("complex64") })]
    assert.throws(() => run(nodes, ["x:0"], [np.zeros([2])], "c:0"), /dtype complex64: Cast supports real and bool types only/)
  })
})
