/**
 * If / Case end to end through fixtures/control/cond_ops (a TF 2.21 SavedModel written by
 * fixtures/control/generate_control.py; expected values from TF).
 */
import { assert, describe, it } from "@effect/vitest"
import { grad, jit, makeJaxpr, numpy as np, tree, vmap } from "@jax-js/jax"
import type { JaxArray, TfModel } from "@tf2jax/core"
import { ConversionError } from "@tf2jax/core"
import { join } from "node:path"
import { installLiveBufferCounter } from "../../../core/src/test-util/liveBuffers.js"
import { close, decode, fixtures, loadModel, readJson, toJax, values, withParams } from "../test-util/harness.js"

const counter = await installLiveBufferCounter()
const expected = readJson(join(fixtures, "control/expected.json")).cond_ops
const model: TfModel = await loadModel(join(fixtures, "control/cond_ops"))
const fnOf = (k: string) => withParams(model.signatures[k]!)

describe("If: if_traced (predicate from an input)", () => {
  const { fn } = fnOf("if_traced")
  const run = (x: JaxArray, p: JaxArray) => {
    const [out, next] = fn({}, { x, p })
    tree.dispose(next)
    return out.y as JaxArray
  }
  const loss = (x: JaxArray, p: JaxArray, cot: JaxArray) => np.sum(run(x, p).mul(cot))

  it("eager (the concrete predicate picks one branch), jit (both branches, where) and vmap match TF", () => {
    const jf = jit(run)
    for (const c of expected.if_traced) {
      assert.strictEqual(close("eager", values(run(toJax(c.inputs.x), toJax(c.inputs.p))), decode(c.outputs.y)), "")
      assert.strictEqual(close("jit", values(jf(toJax(c.inputs.x), toJax(c.inputs.p))), decode(c.outputs.y)), "")
    }
    jf.dispose()
    const b = expected.if_traced_batch
    assert.strictEqual(close("vmap", values(vmap(run)(toJax(b.x), toJax(b.p))), decode(b.y)), "")
    const jv = jit(vmap(run))
    assert.strictEqual(close("jit(vmap)", values(jv(toJax(b.x), toJax(b.p))), decode(b.y)), "")
    jv.dispose()
  })

  it("grad and jit(grad) match TF's gradients (w.r.t. x and the predicate's input)", () => {
    const jg = jit(grad(loss, { argnums: [0, 1] }))
    for (const c of expected.if_traced) {
      for (const [label, g] of [["grad", grad(loss, { argnums: [0, 1] })], ["jit(grad)", jg]] as const) {
        const [gx, gp] = g(toJax(c.inputs.x), toJax(c.inputs.p), toJax(c.cotangents.y)) as [JaxArray, JaxArray]
        assert.strictEqual(close(`${label} dx`, values(gx), decode(c.input_gradients.x)), "")
        assert.strictEqual(close(`${label} dp`, values(gp), decode(c.input_gradients.p)), "")
      }
    }
    jg.dispose()
  })
})

describe("If: if_static (a constant predicate)", () => {
  const { fn } = fnOf("if_static")
  const run = (x: JaxArray) => {
    const [out, next] = fn({}, { x })
    tree.dispose(next)
    return out.y as JaxArray
  }

  it("runs only the chosen branch, also under jit; values and gradients match TF", () => {
    const c = expected.if_static[0]
    const jaxpr = makeJaxpr(run)(toJax(c.inputs.x)).jaxpr.toString()
    assert.notInclude(jaxpr, "where", "a static predicate selects nothing at run time")
    assert.notInclude(jaxpr, " 10", "the untaken branch (x·10) is not traced")
    const jf = jit(run)
    assert.strictEqual(close("jit", values(jf(toJax(c.inputs.x))), decode(c.outputs.y)), "")
    jf.dispose()
    const g = grad((x: JaxArray, cot: JaxArray) => np.sum(run(x).mul(cot)))
    assert.strictEqual(close("grad", values(g(toJax(c.inputs.x), toJax(c.cotangents.y))), decode(c.input_gradients.x)), "")
  })
})

describe("Case: case_traced (switch_case on an int input, out-of-range → last branch)", () => {
  const { fn } = fnOf("case_traced")
  const run = (x: JaxArray, i: JaxArray) => {
    const [out, next] = fn({}, { x, i })
    tree.dispose(next)
    return out.y as JaxArray
  }
  const loss = (x: JaxArray, i: JaxArray, cot: JaxArray) => np.sum(run(x, i).mul(cot))

  it("eager and jit match TF for indices 0, 1, 2, -1, 3, 7", () => {
    const jf = jit(run)
    for (const c of expected.case_traced) {
      const i = () => toJax(c.inputs.i)
      assert.strictEqual(close(`eager i=${decode(c.inputs.i)}`, values(run(toJax(c.inputs.x), i())), decode(c.outputs.y)), "")
      assert.strictEqual(close(`jit i=${decode(c.inputs.i)}`, values(jf(toJax(c.inputs.x), i())), decode(c.outputs.y)), "")
    }
    jf.dispose()
  })

  it("grad and jit(grad) match TF", () => {
    const jg = jit(grad(loss))
    for (const c of expected.case_traced) {
      const want = decode(c.input_gradients.x)
      assert.strictEqual(close("grad", values(grad(loss)(toJax(c.inputs.x), toJax(c.inputs.i), toJax(c.cotangents.y))), want), "")
      assert.strictEqual(close("jit(grad)", values(jg(toJax(c.inputs.x), toJax(c.inputs.i), toJax(c.cotangents.y))), want), "")
    }
    jg.dispose()
  })

  it("vmap over the index selects per example", () => {
    const cs = expected.case_traced
    const xs = np.stack(cs.map((c: any) => toJax(c.inputs.x)))
    const is = np.stack(cs.map((c: any) => toJax(c.inputs.i)))
    const jv = jit(vmap(run))
    assert.strictEqual(close("jit(vmap)", values(jv(xs, is)), cs.flatMap((c: any) => decode(c.outputs.y))), "")
    jv.dispose()
  })
})

describe("If: if_assign (a branch assigns a variable)", () => {
  const { fn, params } = fnOf("if_assign")
  const fresh = () => ({ v: params["v"]!.ref })

  it("eager: the chosen branch runs alone, its assignment updates the parameter as in TF", () => {
    for (const c of expected.if_assign) {
      const [out, next] = fn(fresh(), { x: toJax(c.inputs.x), p: toJax(c.inputs.p) })
      assert.strictEqual(close("y", values(out.y), decode(c.outputs.y)), "")
      assert.strictEqual(close("v after", values(next["v"]!), decode(c.variables_after.v)), "")
    }
  })

  it("under jit (traced predicate): a ConversionError saying the branch assigns variables", () => {
    const c = expected.if_assign[0]
    const jf = jit((p: Record<string, JaxArray>, x: JaxArray, pr: JaxArray) => fn(p, { x, p: pr }))
    try {
      jf(fresh(), toJax(c.inputs.x), toJax(c.inputs.p))
      assert.fail("expected a ConversionError")
    } catch (e) {
      assert.instanceOf(e, ConversionError)
      assert.include((e as Error).message, "assigns variables")
    } finally {
      jf.dispose()
    }
  })
})

describe("If/Case ownership", () => {
  it("leaves no live buffers behind (eager, jit, grad)", () => {
    const { fn } = fnOf("case_traced")
    const c = expected.case_traced[1]
    const run = (x: JaxArray, i: JaxArray) => {
      const [out, next] = fn({}, { x, i })
      tree.dispose(next)
      return out.y as JaxArray
    }
    const once = () => {
      run(toJax(c.inputs.x), toJax(c.inputs.i)).dispose()
      const jf = jit(run)
      jf(toJax(c.inputs.x), toJax(c.inputs.i)).dispose()
      jf.dispose()
      grad((x: JaxArray) => np.sum(run(x, toJax(c.inputs.i))))(toJax(c.inputs.x)).dispose()
    }
    once()
    const before = counter.live()
    once()
    once()
    assert.strictEqual(counter.live(), before)
  })
})
