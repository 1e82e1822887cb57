/**
 * Convolution converters end to end through the engine on TF's golden GraphDefs:
 * fixtures/ops/{conv2d,depthwiseConv2d,conv2dBackpropInput}.json (plain ops, traced filter; and
 * the same graphs with the filter turned into a Const: the prepared-once path) and
 * fixtures/ops/nn/fusedConv.json (`_FusedConv2D` from Grappler's remapper and hand-made fused
 * nodes, `_FusedDepthwiseConv2dNative`). Tolerance: |Δ| ≤ 1e-5·max|TF| + 1e-7, outputs and
 * gradients, eager and under jit.
 */
import { assert, describe, it } from "@effect/vitest"
import { jit, numpy as np } from "@jax-js/jax"
import type { GraphDef, NodeDef } from "@tf2jax/core"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { convertGraph, decodeGraphDef, graphCaseFunction } from "../../../../core/src/test-util/graphCase.js"
import { installLiveBufferCounter } from "../../../../core/src/test-util/liveBuffers.js"
import { fixturesDir } from "../../../../core/src/test-util/paths.js"
import { checkCase, checkVmapHalf, decodeTensor, dynamicInputs, type GoldenCase, leftoverBuffers, parseGoldenFamily } from "../../lowering/goldenCases.js"
import { nnPack } from "../../pack.js"
import { weightPrep } from "./prepare.js"

const RTOL = 1e-5
const family = (rel: string) => parseGoldenFamily(readFileSync(join(fixturesDir, "ops", rel), "utf8")).cases

/**
 * The case with its placeholders `names` replaced by Consts of the case's values (what frozen
 * graphs and TF.js models look like), as [case with those inputs static, converted function].
 */
const withConsts = (c: GoldenCase, names: ReadonlyArray<string>): [GoldenCase, (...xs: Array<np.Array>) => Array<np.Array>] => {
  const graph = decodeGraphDef(c.graph.graph_def_base64, c.name)
  const constNode = (n: NodeDef): NodeDef => {
    const t = decodeTensor(c.inputs.find((i) => i.name === n.name)!)
    const tensor = { dtype: "float32" as const, shape: [...t.shape], data: t.data }
    return { ...n, op: "Const", attrs: { value: { kind: "tensor", value: tensor }, dtype: { kind: "type", value: "float32" } } }
  }
  const nodes = graph.nodes.map((n) => (n.op === "Placeholder" && names.includes(n.name) ? constNode(n) : n))
  const g: GraphDef = { ...graph, nodes }
  const inputs = c.graph.inputs.filter((i) => !names.includes(i.split(":")[0]!))
  const f = convertGraph({ kind: "graph-function", graph: g, inputs, outputs: c.graph.outputs }, [nnPack])
  const staticCase: GoldenCase = { ...c, inputs: c.inputs.map((i) => (names.includes(i.name) ? { ...i, static: true } : i)) }
  return [
    staticCase,
    (...xs) => {
      const out = f(xs) as Record<string, np.Array>
      return c.graph.outputs.map((k) => out[k]!)
    }
  ]
}

const check = (c: GoldenCase, f: (...xs: Array<np.Array>) => Array<np.Array>) =>
  assert.deepStrictEqual(checkCase(c, f, { rtol: RTOL }), [])

describe("Conv2D, DepthwiseConv2dNative, Conv2DBackpropInput vs TensorFlow (engine)", () => {
  for (const [file, filter] of [["conv2d.json", "filter"], ["depthwiseConv2d.json", "filter"], ["conv2dBackpropInput.json", "filter"]] as const) {
    for (const c of family(file)) {
      it(`${file} ${c.name}: traced filter`, () => check(c, graphCaseFunction(c, [nnPack])))
      it(`${file} ${c.name}: Const filter (prepared once)`, () => {
        const [sc, f] = withConsts(c, [filter])
        check(sc, f)
      })
    }
  }
})

describe("_FusedConv2D, _FusedDepthwiseConv2dNative vs TensorFlow (engine)", () => {
  for (const c of family("nn/fusedConv.json")) {
    it(`${c.name} [${(c.attrs["fused_ops"] as Array<string>).join(",")}] (${c.tf_runtime})`, () => check(c, graphCaseFunction(c, [nnPack])))
  }
})

describe("attr checks", () => {
  it("refuses unsupported attr values at conversion time, naming the node", () => {
    const c = family("conv2d.json")[0]!
    const graph = decodeGraphDef(c.graph.graph_def_base64, c.name)
    const enc = new TextEncoder()
    for (const [attr, value, message] of [
      ["data_format", "NDHWC", /node "Conv2D" \(Conv2D\): attr "data_format": NDHWC is not supported/],
      ["padding", "FULL", /attr "padding": FULL is not supported/]
    ] as const) {
      const nodes = graph.nodes.map((n) => (n.op === "Conv2D" ? { ...n, attrs: { ...n.attrs, [attr]: { kind: "s" as const, value: enc.encode(value) } } } : n))
      const fn = { kind: "graph-function" as const, graph: { ...graph, nodes }, inputs: c.graph.inputs, outputs: c.graph.outputs }
      assert.throws(() => convertGraph(fn, [nnPack]), message)
    }
  })
})

describe("transformations", () => {
  it("vmap over an extra batch axis (and jit(vmap)) of converted convs with Const filters", () => {
    for (const [file, name] of [["conv2d.json", "k3_s2_d2_explicit"], ["conv2d.json", "nchw_k3_s2_same"], ["depthwiseConv2d.json", "k3_explicit_m3"], ["conv2dBackpropInput.json", "k3_s2_same_odd"]] as const) {
      const [sc, f] = withConsts(family(file).find((x) => x.name === name)!, ["filter"])
      assert.deepStrictEqual(checkVmapHalf(sc, (x) => f(x!)[0]!, RTOL), [], `${file} ${name}`)
    }
  })
})

describe("weight preparation", () => {
  it("prepares a static filter once per node, not per call (eager and jit)", () => {
    for (const [file, name] of [["conv2d.json", "grouped_g2"], ["depthwiseConv2d.json", "k3_s1_same_m2"], ["conv2dBackpropInput.json", "k3_s2_same_odd"]] as const) {
      const c = family(file).find((x) => x.name === name)!
      const [sc, f] = withConsts(c, ["filter"])
      const before = weightPrep.made
      for (let i = 0; i < 3; i++) for (const y of f(...dynamicInputs(sc))) y.dispose()
      const jf = jit((...xs: Array<np.Array>) => f(...xs))
      for (let i = 0; i < 2; i++) for (const y of jf(...dynamicInputs(sc))) y.dispose()
      jf.dispose()
      assert.strictEqual(weightPrep.made - before, 1, `${file} ${name}`)
    }
  })

  it("folds a static batch norm into a static filter once", () => {
    const c = family("nn/fusedConv.json").find((x) => x.name === "g_bn_relu_k3_s2")!
    const f = graphCaseFunction(c, [nnPack])
    const before = weightPrep.made
    for (let i = 0; i < 3; i++) for (const y of f(...dynamicInputs(c))) y.dispose()
    // factor, shift, scaled filter, its matrix layout — once.
    assert.strictEqual(weightPrep.made - before, 4)
    for (let i = 0; i < 3; i++) for (const y of f(...dynamicInputs(c))) y.dispose()
    assert.strictEqual(weightPrep.made - before, 4)
  })
})

describe("ownership", () => {
  it("leaves no live buffers behind (traced and Const filters, fused, eager and jit, and on errors)", async () => {
    const counter = await installLiveBufferCounter()
    const fused = family("nn/fusedConv.json")
    const fns = [
      ...["g_bn_leakyrelu_dynamic", "g_bias_relu_explicit", "h_bias_add_relu", "h_dw_m2_bias_s2"].map((n) => {
        const c = fused.find((x) => x.name === n)!
        return [c, graphCaseFunction(c, [nnPack])] as const
      }),
      (() => {
        const c = family("conv2d.json").find((x) => x.name === "k3_s2_d2_explicit")!
        return withConsts(c, ["filter"])
      })()
    ]
    assert.deepStrictEqual(leftoverBuffers(counter.live, fns), { eager: 0, jit: 0 })
    const base = counter.live()
    // A shape error inside a fused conv releases every input.
    const [c, f] = fns[2]!
    const [x, addend] = dynamicInputs(c) as [np.Array, np.Array]
    assert.throws(() => f(x, addend.slice([], [0, 2])))
    assert.strictEqual(counter.live(), base, "throw")
  })
})
