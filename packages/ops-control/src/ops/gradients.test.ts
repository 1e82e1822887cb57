/**
 * Gradient control end to end: saved custom gradients (fixtures/models/custom_gradient, TF 2.21;
 * tf2jax's jax2tf custom_gradient_cubed, TF 2.15), StopGradient, PreventGradient, CheckNumerics
 * and Assert (fixtures/control/gradient_ops). Expected values come from TF.
 */
import { assert, describe, it } from "@effect/vitest"
import { grad, jit, numpy as np, tree, vmap } from "@jax-js/jax"
import type { JaxArray, TfModel } from "@tf2jax/core"
import { ConversionError, PreventGradientError, overrideConfig } from "@tf2jax/core"
import { join } from "node:path"
import { installLiveBufferCounter } from "../../../core/src/test-util/liveBuffers.js"
import { close, decode, fixtures, functional, loadModel, readJson, sharedTestdata, toJax, values, withParams } from "../test-util/harness.js"

/** `thunk` must fail with a PreventGradientError whose message includes `message`. */
const throwsPreventGradient = (label: string, thunk: () => unknown, message: string) => {
  try {
    thunk()
  } catch (e) {
    assert.instanceOf(e, PreventGradientError, label)
    assert.include((e as Error).message, message, label)
    return
  }
  assert.fail(`${label}: expected PreventGradientError`)
}

const counter = await installLiveBufferCounter()
const cgExpected = readJson(join(fixtures, "models/custom_gradient/expected.json"))
const control = readJson(join(fixtures, "control/expected.json"))
const cgModel: TfModel = await loadModel(join(fixtures, "models/custom_gradient"))
const gradModel: TfModel = await loadModel(join(fixtures, "control/gradient_ops"))
const casesOf = (name: string): Array<any> => cgExpected.cases.filter((c: any) => c.target.kind === "signature" && c.target.name === name)

describe("custom gradients: fixtures/models/custom_gradient (tf.custom_gradient, experimental_custom_gradients=True)", () => {
  it("with_variable: Σ square_wrong(x·w) whose saved gradient is 3·dy — values and x/w gradients match TF (eager, grad, jit(grad), vmap(grad))", () => {
    const { fn, params } = withParams(cgModel.signatures["with_variable"]!)
    const run = (p: Record<string, JaxArray>, x: JaxArray) => {
      const [out, next] = fn(p, { x })
      tree.dispose(next)
      return out.output_0 as JaxArray
    }
    const loss = (p: Record<string, JaxArray>, x: JaxArray, cot: JaxArray) => np.sum(run(p, x).mul(cot))
    const jg = jit(grad(loss, { argnums: [0, 1] }))
    for (const c of casesOf("with_variable")) {
      const w = () => ({ w: params["w"]!.ref })
      assert.strictEqual(close("y", values(run(w(), toJax(c.inputs.x))), decode(c.outputs.output_0)), "")
      for (const [label, g] of [["grad", grad(loss, { argnums: [0, 1] })], ["jit(grad)", jg]] as const) {
        const [gp, gx] = g(w(), toJax(c.inputs.x), toJax(c.cotangents.output_0)) as [Record<string, JaxArray>, JaxArray]
        assert.strictEqual(close(`${label} dx`, values(gx), decode(c.input_gradients.x)), "")
        assert.strictEqual(close(`${label} dw`, values(gp["w"]!), decode(c.variable_gradients["w/.ATTRIBUTES/VARIABLE_VALUE"])), "")
      }
    }
    jg.dispose()
    // vmap(grad): one example per row, each with TF's gradient for that row
    const c = casesOf("with_variable")[1]
    const x = toJax(c.inputs.x)
    const rows = x.shape[0]!
    const cot = decode(c.cotangents.output_0)
    const perRow = (xr: JaxArray, cr: JaxArray) => np.sum(run({ w: params["w"]!.ref }, xr.reshape([1, 3])).mul(cr))
    const gx = vmap(grad(perRow))(x, np.array(cot))
    assert.strictEqual(close("vmap(grad) dx", values(gx), decode(c.input_gradients.x)), "")
    assert.strictEqual(rows, 4)
  })

  it("serving_default: the affine gradient dy·sin(x) + exp(x) contributes its linear part (TF's gradient minus TF's gradient at a zero cotangent)", () => {
    const f = functional(cgModel.signatures["serving_default"]!)
    const zero = control.existing.custom_gradient_zero_cotangent
    casesOf("serving_default").forEach((c, k) => {
      const run = (x: JaxArray) => f({ x }).output_0 as JaxArray
      assert.strictEqual(close("y", values(run(toJax(c.inputs.x))), decode(c.outputs.output_0)), "")
      const tfGrad = decode(c.input_gradients.x)
      const atZero = decode(zero[k].gradient_at_zero_cotangent)
      const want = tfGrad.map((g, i) => g - atZero[i]!)
      for (const [label, g] of [["grad", grad((x: JaxArray, ct: JaxArray) => np.sum(run(x).mul(ct)))], ["jit(grad)", jit(grad((x: JaxArray, ct: JaxArray) => np.sum(run(x).mul(ct))))]] as const) {
        assert.strictEqual(close(label, values(g(toJax(c.inputs.x), toJax(c.cotangents.output_0))), want, 1e-5), "")
      }
    })
  })

  it("autodiff (no custom gradient): ordinary differentiation matches TF", () => {
    const f = functional(cgModel.signatures["autodiff"]!)
    for (const c of casesOf("autodiff")) {
      const g = grad((x: JaxArray, ct: JaxArray) => np.sum((f({ x }).output_0 as JaxArray).mul(ct)))
      assert.strictEqual(close("grad", values(g(toJax(c.inputs.x), toJax(c.cotangents.output_0))), decode(c.input_gradients.x)), "")
    }
  })

  it("convertCustomGradient off (at conversion): the forward graph is differentiated instead (the true gradient exp(x))", () => {
    const f = overrideConfig("convertCustomGradient", false, () => functional(cgModel.signatures["serving_default"]!))
    const c = casesOf("serving_default")[0]
    const g = grad((x: JaxArray) => f({ x }).output_0 as JaxArray)(toJax(c.inputs.x))
    const want = decode(c.inputs.x).map(Math.exp)
    assert.strictEqual(close("grad", values(g), want), "")
  })

  it("leaves no live buffers behind (eager, grad, jit(grad))", () => {
    const { fn, params } = withParams(cgModel.signatures["with_variable"]!)
    const c = casesOf("with_variable")[0]
    const loss = (p: Record<string, JaxArray>, x: JaxArray) => {
      const [out, next] = fn(p, { x })
      tree.dispose(next)
      return np.sum(out.output_0 as JaxArray)
    }
    const once = () => {
      loss({ w: params["w"]!.ref }, toJax(c.inputs.x)).dispose()
      tree.dispose(grad(loss, { argnums: [0, 1] })({ w: params["w"]!.ref }, toJax(c.inputs.x)))
      const jg = jit(grad(loss, { argnums: [0, 1] }))
      tree.dispose(jg({ w: params["w"]!.ref }, toJax(c.inputs.x)))
      jg.dispose()
    }
    once()
    const before = counter.live()
    once()
    once()
    assert.strictEqual(counter.live(), before)
  })
})

describe.skipIf(sharedTestdata === undefined)("custom gradients: tf2jax's jax2tf custom_gradient_cubed (TF 2.15)", () => {
  const cubed = control.existing.custom_gradient_cubed

  it("y(42) and the saved first-order gradient (×100) match TF; the nested unsaved gradient does not block it", async () => {
    const model = await loadModel(join(sharedTestdata!, "tf2jax/custom_gradient_cubed"))
    const f = functional(model.functions["f"]!)
    const run = (x: JaxArray) => f([x]) as JaxArray
    assert.strictEqual(close("y", values(run(toJax(cubed.x))), decode(cubed.y)), "")
    assert.strictEqual(close("grad", values(grad(run)(toJax(cubed.x))), decode(cubed.dy_dx)), "")
    const jg = jit(grad(run))
    assert.strictEqual(close("jit(grad)", values(jg(toJax(cubed.x))), decode(cubed.dy_dx)), "")
    jg.dispose()
    // TF raises LookupError for the second derivative (the nested CustomGradient was not saved);
    // here the saved gradient function is differentiated as an ordinary graph: d/dx (100·dy) = 0.
    assert.strictEqual(cubed.second_order_error.type, "LookupError")
    assert.deepStrictEqual(values(grad(grad(run))(toJax(cubed.x))), [0])
  })
})

describe("custom gradients: fixtures/control/custom_unsaved (saved with experimental_custom_gradients=False)", () => {
  it("the forward runs (eager, jit); differentiating throws PreventGradientError where TF raises LookupError", async () => {
    const model = await loadModel(join(fixtures, "control/custom_unsaved"))
    const f = functional(model.signatures["cube"]!)
    const want = control.gradient_ops.custom_unsaved
    assert.strictEqual(want.fresh_process_gradient.type, "LookupError")
    const run = (x: JaxArray) => f({ x }).y as JaxArray
    const x = () => toJax(want.forward.inputs.x)
    assert.strictEqual(close("eager", values(run(x())), decode(want.forward.outputs.y)), "")
    const jf = jit(run)
    assert.strictEqual(close("jit", values(jf(x())), decode(want.forward.outputs.y)), "")
    jf.dispose()
    for (const [label, thunk] of [
      ["grad", () => grad((t: JaxArray) => np.sum(run(t)))(x())],
      ["jit(grad)", () => jit(grad((t: JaxArray) => np.sum(run(t))))(x())]
    ] as const) {
      throwsPreventGradient(label, thunk, "was not saved with the model")
    }
  })
})

describe("StopGradient, PreventGradient, CheckNumerics, Assert: fixtures/control/gradient_ops", () => {
  const sig = (k: string) => gradModel.signatures[k]!
  const g = control.gradient_ops

  it("StopGradient: values and gradients match TF (eager, jit(grad))", () => {
    const f = functional(sig("stop_gradient"))
    const c = g.stop_gradient[0]
    const run = (x: JaxArray) => f({ x }).y as JaxArray
    assert.strictEqual(close("y", values(run(toJax(c.inputs.x))), decode(c.outputs.y)), "")
    const loss = (x: JaxArray, ct: JaxArray) => np.sum(run(x).mul(ct))
    assert.strictEqual(close("grad", values(grad(loss)(toJax(c.inputs.x), toJax(c.cotangents.y))), decode(c.input_gradients.x)), "")
    const jg = jit(grad(loss))
    assert.strictEqual(close("jit(grad)", values(jg(toJax(c.inputs.x), toJax(c.cotangents.y))), decode(c.input_gradients.x)), "")
    jg.dispose()
  })

  it("PreventGradient: the value passes (eager, jit, vmap); differentiating throws PreventGradientError where TF raises LookupError", () => {
    const f = functional(sig("prevent_gradient"))
    const c = g.prevent_gradient.forward
    const run = (x: JaxArray) => f({ x }).y as JaxArray
    assert.strictEqual(g.prevent_gradient.gradient_error.type, "LookupError")
    assert.strictEqual(close("eager", values(run(toJax(c.inputs.x))), decode(c.outputs.y)), "")
    const jf = jit(run)
    assert.strictEqual(close("jit", values(jf(toJax(c.inputs.x))), decode(c.outputs.y)), "")
    jf.dispose()
    const xs = np.stack([toJax(c.inputs.x), toJax(c.inputs.x)])
    assert.strictEqual(close("vmap", values(vmap(run)(xs)), [...decode(c.outputs.y), ...decode(c.outputs.y)]), "")
    const loss = (x: JaxArray) => np.sum(run(x))
    for (const [label, thunk] of [
      ["grad", () => grad(loss)(toJax(c.inputs.x))],
      ["jit(grad)", () => jit(grad(loss))(toJax(c.inputs.x))],
      ["vmap(grad)", () => vmap(grad(loss))(np.stack([toJax(c.inputs.x)]))]
    ] as const) {
      throwsPreventGradient(label, thunk, "no gradients here")
    }
    // grad(jit(f)): jax-js differentiates the traced jaxpr after our code ran: its own error.
    assert.throws(() => grad(jit(loss))(toJax(c.inputs.x)), /JVP rule not implemented/)
  })

  it("PreventGradient with raiseOnPreventGradient off: identity (with a warning), gradients flow", () => {
    const f = overrideConfig("raiseOnPreventGradient", false, () => functional(sig("prevent_gradient")))
    const x = toJax(g.prevent_gradient.forward.inputs.x)
    // y = 2x + x → dy/dx = 3
    assert.deepStrictEqual(values(grad((x: JaxArray) => np.sum(f({ x }).y as JaxArray))(x)), [3, 3, 3])
  })

  it("CheckNumerics: identity by default; with enableCheckifyForAsserts a NaN throws eagerly (TF: InvalidArgumentError)", () => {
    const f = functional(sig("check_numerics"))
    const ok = g.check_numerics.ok
    const run = (x: JaxArray) => f({ x }).y as JaxArray
    assert.strictEqual(close("ok", values(run(toJax(ok.inputs.x))), decode(ok.outputs.y)), "")
    const bad = () => np.array([1, -1, 2])
    assert.isTrue(Number.isNaN(values(run(bad()))[1]!))
    assert.strictEqual(g.check_numerics.nan_error.type, "InvalidArgumentError")
    overrideConfig("enableCheckifyForAsserts", true, () => {
      assert.throws(() => run(bad()), ConversionError, /log of x/)
      assert.strictEqual(close("ok", values(run(toJax(ok.inputs.x))), decode(ok.outputs.y)), "")
      const jf = jit(run)
      assert.isTrue(Number.isNaN(values(jf(bad()))[1]!), "under jit the check cannot run")
      jf.dispose()
    })
  })

  it("Assert: a no-op (eager and jit) with TF's values and gradients", () => {
    const f = functional(sig("asserted"))
    const c = g.asserted[0]
    const run = (x: JaxArray) => f({ x }).y as JaxArray
    const jf = jit(run)
    assert.strictEqual(close("jit", values(jf(toJax(c.inputs.x))), decode(c.outputs.y)), "")
    jf.dispose()
    const gx = grad((x: JaxArray, ct: JaxArray) => np.sum(run(x).mul(ct)))(toJax(c.inputs.x), toJax(c.cotangents.y))
    assert.strictEqual(close("grad", values(gx), decode(c.input_gradients.x)), "")
  })
})
