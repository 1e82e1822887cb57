/**
 * tf2jax's README examples, on models written by real TensorFlow (fixtures/models): the Sonnet
 * MLP with params in and out, `convertFunctional` of sin(cos(x)), SavedModel →
 * convertFromRestored, the strict shape check and its override, the dtype check, `grad` with
 * respect to a Keras CNN's params, and `vmap` over a batch axis. Expected values are TF's own
 * (expected.json), never computed here.
 */
import { grad, jit, numpy as np, vmap } from "@jax-js/jax"
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { fixturesDir } from "../../core/src/test-util/paths.js"
import {
  convert,
  convertFromRestored,
  convertFunctional,
  DtypeMismatchError,
  loadModel,
  overrideConfig,
  ShapeMismatchError,
  updateConfig
} from "./index.js"

interface Tensor {
  readonly dtype: string
  readonly shape: ReadonlyArray<number>
  readonly data_base64_le: string
}
interface Case {
  readonly target: { readonly kind: string; readonly name: string }
  readonly inputs: Record<string, Tensor> | ReadonlyArray<Tensor>
  readonly outputs: Record<string, Tensor> | ReadonlyArray<Tensor>
  readonly cotangents?: Record<string, Tensor> | ReadonlyArray<Tensor>
  readonly variable_gradients?: Record<string, Tensor>
}

const dir = (name: string) => join(fixturesDir, "models", name)
const cases = (name: string): ReadonlyArray<Case> =>
  (JSON.parse(readFileSync(join(dir(name), "expected.json"), "utf8")) as { cases: ReadonlyArray<Case> }).cases

const f32 = (t: Tensor): Float32Array => {
  const b = Buffer.from(t.data_base64_le, "base64")
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
}
const arr = (t: Tensor) => np.array(f32(t), { shape: [...t.shape] })
const first = <T>(x: Record<string, T> | ReadonlyArray<T>): T => (Array.isArray(x) ? x[0] : Object.values(x)[0]) as T

const assertClose = async (what: string, a: np.Array, t: Tensor, rtol = 2e-5) => {
  assert.deepStrictEqual(a.shape, [...t.shape], `${what} shape`)
  const got = (await a.data()) as Float32Array
  const want = f32(t)
  let diff = 0
  let scale = 1
  want.forEach((w, i) => {
    diff = Math.max(diff, Math.abs(got[i]! - w))
    scale = Math.max(scale, Math.abs(w))
  })
  assert.isAtMost(diff / scale, rtol, what)
}

const refs = (p: Record<string, np.Array>) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.ref]))
const release = (p: Record<string, np.Array>) => Object.values(p).forEach((v) => v.dispose())

describe("tf2jax README examples", () => {
  it("Sonnet MLP: params in, params out, jit", async () => {
    const model = await loadModel(dir("sonnet_mlp"))
    const c = cases("sonnet_mlp").find((x) => x.target.kind === "signature")!
    const { fn, params } = await convertFromRestored(model.signatures["serving_default"]!)
    assert.isAbove(Object.keys(params).length, 1)
    const [out, newParams] = jit(fn)(refs(params), { x: arr(first(c.inputs)) })
    await assertClose("output_0", (out as Record<string, np.Array>)["output_0"]!, first(c.outputs))
    assert.deepStrictEqual(Object.keys(newParams).sort(), Object.keys(params).sort())
    release(newParams)
    release(params)
  })

  it("convertFunctional of sin(cos(x)) with an example input, eager and jit", async () => {
    const model = await loadModel(dir("tf_sin_cos"))
    const c = cases("tf_sin_cos").find((x) => x.target.kind === "function")!
    const x = first(c.inputs)
    const f = await convertFunctional(model.functions["f"]!, np.zeros([...x.shape]))
    await assertClose("eager", f([arr(x)]) as np.Array, first(c.outputs))
    await assertClose("jit", jit(f)([arr(x)]) as np.Array, first(c.outputs))
  })

  it("strict shape check raises, and can be overridden; the dtype check when enabled", async () => {
    const model = await loadModel(dir("tf_sin_cos"))
    const f = await convertFunctional(model.signatures["serving_default"]!)
    assert.throws(() => f({ x: np.zeros([4, 16]) }), ShapeMismatchError)
    const out = overrideConfig("strictShapeCheck", false, () => f({ x: np.zeros([4, 16]) })) as Record<string, np.Array>
    assert.deepStrictEqual(out["output_0"]!.shape, [4, 16])
    out["output_0"]!.dispose()
    updateConfig("strictDtypeCheck", true)
    try {
      assert.throws(() => f({ x: np.zeros([128, 16], { dtype: np.int32 }) }), DtypeMismatchError)
    } finally {
      updateConfig("strictDtypeCheck", false)
    }
  })

  it("grad of a loss w.r.t. a Keras CNN's params matches TensorFlow's gradient", async () => {
    const model = await loadModel(dir("keras_cnn_bn"))
    const c = cases("keras_cnn_bn").find((x) => x.target.name === "serve" && x.variable_gradients)!
    const { fn, params: initial } = await convert(model.signatures["serve"]!, { images: { shape: [...first(c.inputs).shape] } })
    const images = first(c.inputs)
    const loss = (p: Record<string, np.Array>) => {
      const [out, after] = fn(p, { images: arr(images) })
      release(after)
      return np.sum((out as Record<string, np.Array>)["output_0"]!.mul(arr(first(c.cotangents!))))
    }
    const grads = jit(grad(loss))(initial) as Record<string, np.Array>
    for (const [key, t] of Object.entries(c.variable_gradients!)) {
      const name = Object.values(model.variables).find((v) => v.checkpointKey === key)!.name
      await assertClose(`d/d${name}`, grads[name]!, t, 1e-4)
    }
  })

  it("vmap over a batch axis matches TensorFlow's batched output", async () => {
    const model = await loadModel(dir("keras_cnn_bn"))
    const c = cases("keras_cnn_bn").find((x) => x.target.name === "serve" && first(x.inputs).shape[0] === 3)!
    const { fn, params } = await convertFromRestored(model.signatures["serve"]!)
    // Each example becomes a batch of one for the converted function; vmap adds the batch back.
    const perExample = (image: np.Array) => {
      const [out, after] = fn(refs(params), { images: np.expandDims(image, 0) })
      release(after)
      return (out as Record<string, np.Array>)["output_0"]!.reshape([-1])
    }
    await assertClose("vmap", vmap(perExample)(arr(first(c.inputs))), first(c.outputs))
    await assertClose("jit(vmap)", jit(vmap(perExample))(arr(first(c.inputs))), first(c.outputs))
    release(params)
  })
})
