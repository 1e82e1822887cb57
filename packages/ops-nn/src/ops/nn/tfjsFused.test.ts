/**
 * The TF.js-converter fused forms no TensorFlow kernel runs — `FusedDepthwiseConv2dNative` and
 * the `Prelu` activation of `_FusedConv2D` / `_FusedMatMul` — against TF.js 4.22's CPU backend
 * (the oracle for TF.js graph-models), on graphs shaped like the converter's: Const weights,
 * NHWC, base64-free IR attrs as the TF.js reader produces them (`FusedDepthwiseConv2dNative`
 * carries no TF defaults). Tolerance |Δ| ≤ 1e-5·max|TF.js| + 1e-6, eager and under jit.
 */
import { assert, beforeAll, describe, it } from "@effect/vitest"
import { jit, numpy as np } from "@jax-js/jax"
import type { AttrValue, GraphDef, HostTensor, NodeDef } from "@tf2jax/core"
import { emptyLibrary } from "@tf2jax/core"
import * as tf from "@tensorflow/tfjs-core"
import "@tensorflow/tfjs-backend-cpu"
import { convertGraph } from "../../../../core/src/test-util/graphCase.js"
import { maxDiff } from "../../lowering/goldenCases.js"
import { nnPack } from "../../pack.js"

const enc = new TextEncoder()
const emptyList = { s: [], i: [], f: [], b: [], type: [], shape: [], tensor: [], func: [] }
const A = {
  s: (v: string): AttrValue => ({ kind: "s", value: enc.encode(v) }),
  i: (v: number): AttrValue => ({ kind: "i", value: v }),
  f: (v: number): AttrValue => ({ kind: "f", value: v }),
  float: { kind: "type", value: "float32" } as AttrValue,
  ints: (v: ReadonlyArray<number>): AttrValue => ({ kind: "list", value: { ...emptyList, i: v } }),
  strs: (v: ReadonlyArray<string>): AttrValue => ({ kind: "list", value: { ...emptyList, s: v.map((x) => enc.encode(x)) } })
}
const node = (name: string, op: string, inputs: ReadonlyArray<string>, attrs: Record<string, AttrValue>): NodeDef => ({ name, op, inputs, device: "", attrs })
const constNode = (name: string, t: HostTensor) => node(name, "Const", [], { value: { kind: "tensor", value: t }, dtype: A.float })

let seed = 1
const random = (shape: ReadonlyArray<number>, scale = 1): HostTensor => {
  const n = shape.reduce((a, b) => a * b, 1)
  const data = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    data[i] = (seed / 2 ** 31 - 0.5) * 2 * scale
  }
  return { dtype: "float32", shape: [...shape], data }
}

/** x → op(x, w, args…) → Identity, weights as Consts; returns the converted function. */
const graphOf = (op: string, consts: ReadonlyArray<[string, HostTensor]>, attrs: Record<string, AttrValue>) => {
  const nodes = [
    node("x", "Placeholder", [], { dtype: A.float }),
    ...consts.map(([n, t]) => constNode(n, t)),
    node("fused", op, ["x", ...consts.map(([n]) => n)], attrs),
    node("Identity", "Identity", ["fused"], { T: A.float })
  ]
  const graph: GraphDef = { nodes, library: emptyLibrary, producer: 0, minConsumer: 0 }
  return convertGraph({ kind: "graph-function", graph, inputs: ["x:0"], outputs: ["Identity:0"] }, [nnPack])
}

const check = (f: ReturnType<typeof graphOf>, x: HostTensor, expected: tf.Tensor) => {
  const want = expected.dataSync()
  const run = (a: np.Array): np.Array => (f([a]) as Record<string, np.Array>)["Identity:0"]!
  const jf = jit(run)
  for (const [mode, g] of [["eager", run], ["jit", jf]] as const) {
    const out = g(np.array(x.data as Float32Array, { shape: [...x.shape] }))
    assert.deepStrictEqual(out.shape, expected.shape, mode)
    const { diff, scale } = maxDiff(out.dataSync(), want)
    assert.isAtMost(diff, 1e-5 * scale + 1e-6, `${mode}: max |Δ| ${diff} (scale ${scale})`)
  }
  jf.dispose()
}

const t4 = (h: HostTensor) => tf.tensor(h.data as Float32Array, [...h.shape])
type TfjsActivation = "linear" | "relu" | "relu6" | "prelu" | "elu" | "leakyrelu" | "sigmoid"

describe("TF.js fused forms vs TF.js's CPU backend", () => {
  beforeAll(async () => {
    tf.env().set("PROD", true) // no "install tfjs-node" banner
    await tf.setBackend("cpu")
  })

  const depthwise: ReadonlyArray<{
    name: string
    x: Array<number>
    w: Array<number>
    stride: number
    pad: "same" | "valid"
    dilation?: number
    fused: Array<string>
    act: TfjsActivation
  }> = [
    { name: "bias", x: [1, 7, 8, 4], w: [3, 3, 4, 1], stride: 1, pad: "same", fused: ["BiasAdd"], act: "linear" },
    { name: "bias_relu_s2", x: [2, 9, 9, 3], w: [3, 3, 3, 1], stride: 2, pad: "same", fused: ["BiasAdd", "Relu"], act: "relu" },
    { name: "bias_relu6_valid_m2", x: [1, 8, 7, 3], w: [3, 3, 3, 2], stride: 1, pad: "valid", fused: ["BiasAdd", "Relu6"], act: "relu6" },
    { name: "bias_relu6_k5_s2", x: [1, 11, 10, 8], w: [5, 5, 8, 1], stride: 2, pad: "same", fused: ["BiasAdd", "Relu6"], act: "relu6" },
    { name: "bias_relu_d2", x: [1, 9, 9, 4], w: [3, 3, 4, 1], stride: 1, pad: "same", dilation: 2, fused: ["BiasAdd", "Relu"], act: "relu" },
    { name: "bias_prelu", x: [1, 6, 6, 4], w: [3, 3, 4, 1], stride: 1, pad: "same", fused: ["BiasAdd", "Prelu"], act: "prelu" },
    { name: "bias_sigmoid", x: [1, 6, 5, 2], w: [3, 3, 2, 1], stride: 1, pad: "same", fused: ["BiasAdd", "Sigmoid"], act: "sigmoid" }
  ]
  for (const c of depthwise) {
    it(`FusedDepthwiseConv2dNative ${c.name} [${c.fused.join(",")}]`, () => {
      const x = random(c.x, 4)
      const w = random(c.w)
      const cm = c.w[2]! * c.w[3]!
      const b = random([cm])
      const alpha = random([1, 1, cm], 0.5)
      const prelu = c.act === "prelu"
      const d = c.dilation ?? 1
      // As the TF.js converter writes it: no TF defaults, only what it set.
      const f = graphOf("FusedDepthwiseConv2dNative", [["w", w], ["b", b], ...(prelu ? [["alpha", alpha] as [string, HostTensor]] : [])], {
        T: A.float,
        strides: A.ints([1, c.stride, c.stride, 1]),
        padding: A.s(c.pad.toUpperCase()),
        data_format: A.s("NHWC"),
        dilations: A.ints([1, d, d, 1]),
        explicit_paddings: A.ints([]),
        fused_ops: A.strs(c.fused),
        num_args: A.i(prelu ? 2 : 1)
      })
      const expected = tf.fused.depthwiseConv2d({
        x: t4(x) as tf.Tensor4D,
        filter: t4(w) as tf.Tensor4D,
        strides: c.stride,
        pad: c.pad,
        dilations: d,
        bias: t4(b),
        activation: c.act,
        ...(prelu ? { preluActivationWeights: t4(alpha) } : {})
      })
      check(f, x, expected)
    })
  }

  for (const act of ["prelu", "leakyrelu", "elu"] as const) {
    it(`_FusedConv2D [BiasAdd,${act}] (facemesh/iris form)`, () => {
      const x = random([1, 8, 8, 3], 2)
      const w = random([3, 3, 3, 16])
      const b = random([16])
      const alpha = random([1, 1, 16], 0.5)
      const name = act === "prelu" ? "Prelu" : act === "leakyrelu" ? "LeakyRelu" : "Elu"
      const f = graphOf("_FusedConv2D", [["w", w], ["b", b], ...(act === "prelu" ? [["alpha", alpha] as [string, HostTensor]] : [])], {
        T: A.float,
        strides: A.ints([1, 2, 2, 1]),
        padding: A.s("SAME"),
        data_format: A.s("NHWC"),
        dilations: A.ints([1, 1, 1, 1]),
        explicit_paddings: A.ints([]),
        use_cudnn_on_gpu: { kind: "b", value: true },
        fused_ops: A.strs(["BiasAdd", name]),
        num_args: A.i(act === "prelu" ? 2 : 1),
        epsilon: A.f(0),
        ...(act === "leakyrelu" ? { leakyrelu_alpha: A.f(0.15) } : {})
      })
      const expected = tf.fused.conv2d({
        x: t4(x) as tf.Tensor4D,
        filter: t4(w) as tf.Tensor4D,
        strides: 2,
        pad: "same",
        bias: t4(b),
        activation: act,
        ...(act === "prelu" ? { preluActivationWeights: t4(alpha) } : {}),
        ...(act === "leakyrelu" ? { leakyreluAlpha: 0.15 } : {})
      })
      check(f, x, expected)
    })
  }

  it("_FusedMatMul [BiasAdd,Prelu]", () => {
    const x = random([3, 6], 2)
    const w = random([6, 5])
    const b = random([5])
    const alpha = random([5], 0.5)
    const f = graphOf("_FusedMatMul", [["w", w], ["b", b], ["alpha", alpha]], {
      T: A.float,
      transpose_a: { kind: "b", value: false },
      transpose_b: { kind: "b", value: false },
      fused_ops: A.strs(["BiasAdd", "Prelu"]),
      num_args: A.i(2),
      epsilon: A.f(0)
    })
    const expected = tf.fused.matMul({ a: t4(x) as tf.Tensor2D, b: t4(w) as tf.Tensor2D, bias: t4(b), activation: "prelu", preluActivationWeights: t4(alpha) })
    check(f, x, expected)
  })
})
