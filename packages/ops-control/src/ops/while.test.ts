/**
 * While loops end to end through real TensorFlow SavedModels: fixtures/models/while_cond
 * (TF 2.21: StatelessWhile with a data-dependent trip count and a tf.cond; a bounded While that
 * reads a variable in its body) and fixtures/control/while_ops. Expected values come from TF
 * (the fixtures' expected.json files).
 */
import { assert, describe, it } from "@effect/vitest"
import { grad, jit, numpy as np, tree, vmap } from "@jax-js/jax"
import type { JaxArray, TfModel } from "@tf2jax/core"
import { ConversionError, overrideConfig } from "@tf2jax/core"
import { join } from "node:path"
import { installLiveBufferCounter } from "../../../core/src/test-util/liveBuffers.js"
import { close, decode, fixtures, loadModel, readJson, toJax, values, withParams } from "../test-util/harness.js"

// Installed before any array exists: the counter only tracks buffers allocated after it.
const counter = await installLiveBufferCounter()
const whileCond = readJson(join(fixtures, "models/while_cond/expected.json"))
const control = readJson(join(fixtures, "control/expected.json"))
const model: TfModel = await loadModel(join(fixtures, "models/while_cond"))
const whileOps: TfModel = await loadModel(join(fixtures, "control/while_ops"))

const casesOf = (name: string): Array<any> => whileCond.cases.filter((c: any) => c.target.kind === "signature" && c.target.name === name)
const GROWTH = "growth/.ATTRIBUTES/VARIABLE_VALUE"

describe("While: fixtures/models/while_cond serving_default (data-dependent trip count)", () => {
  const { fn, params } = withParams(model.signatures["serving_default"]!)
  const paramNames = Object.keys(params)
  const freshParams = () => Object.fromEntries(paramNames.map((k) => [k, params[k]!.ref]))

  it("has the variable as its only parameter", () => {
    assert.deepStrictEqual(paramNames, ["growth"])
  })

  it("eager: the host-driven loop matches TF", () => {
    for (const c of casesOf("serving_default")) {
      const [out, next] = fn(freshParams(), { x: toJax(c.inputs.x), limit: toJax(c.inputs.limit) })
      tree.dispose(next)
      assert.strictEqual(close("y", values(out.y), decode(c.outputs.y)), "")
      assert.deepStrictEqual(values(out.iterations), decode(c.outputs.iterations))
    }
  })

  it("grad without jit (host-driven, reading the primal): input and variable gradients match TF", () => {
    for (const c of casesOf("serving_default")) {
      const loss = (p: Record<string, JaxArray>, x: JaxArray, cot: JaxArray) => {
        const [out, next] = fn(p, { x, limit: toJax(c.inputs.limit) })
        tree.dispose(next)
        out.iterations.dispose()
        return np.sum(out.y.mul(cot))
      }
      const [gp, gx] = grad(loss, { argnums: [0, 1] })(freshParams(), toJax(c.inputs.x), toJax(c.cotangents.y)) as [Record<string, JaxArray>, JaxArray]
      assert.strictEqual(close("dx", values(gx), decode(c.input_gradients.x), 1e-4), "")
      assert.strictEqual(close("dgrowth", values(gp["growth"]!), decode(c.variable_gradients[GROWTH]), 1e-4), "")
    }
  })

  it("jit without a bound: a ConversionError naming the loop and the options", () => {
    const c = casesOf("serving_default")[0]
    const f = jit((p: Record<string, JaxArray>, x: JaxArray, limit: JaxArray) => {
      const [out, next] = fn(p, { x, limit })
      tree.dispose(next)
      return out.y
    })
    try {
      f(freshParams(), toJax(c.inputs.x), toJax(c.inputs.limit))
      assert.fail("expected a ConversionError")
    } catch (e) {
      assert.instanceOf(e, ConversionError)
      const m = (e as Error).message
      assert.include(m, `node "while"`)
      assert.include(m, "whileLoopMaxIterations")
      assert.include(m, "maximum_iterations")
    } finally {
      f.dispose()
    }
  })

  it("jit with whileLoopMaxIterations: the masked unroll matches TF (values and gradients)", () => {
    overrideConfig("whileLoopMaxIterations", 12, () => {
      const f = jit((p: Record<string, JaxArray>, x: JaxArray, limit: JaxArray) => {
        const [out, next] = fn(p, { x, limit })
        tree.dispose(next)
        return out
      })
      const g = jit(
        grad(
          (p: Record<string, JaxArray>, x: JaxArray, limit: JaxArray, cot: JaxArray) => {
            const [out, next] = fn(p, { x, limit })
            tree.dispose(next)
            out.iterations.dispose()
            return np.sum(out.y.mul(cot))
          },
          { argnums: [0, 1] }
        )
      )
      for (const c of casesOf("serving_default")) {
        const out = f(freshParams(), toJax(c.inputs.x), toJax(c.inputs.limit))
        assert.strictEqual(close("y", values(out.y), decode(c.outputs.y)), "")
        assert.deepStrictEqual(values(out.iterations), decode(c.outputs.iterations))
        const [gp, gx] = g(freshParams(), toJax(c.inputs.x), toJax(c.inputs.limit), toJax(c.cotangents.y)) as [Record<string, JaxArray>, JaxArray]
        assert.strictEqual(close("dx", values(gx), decode(c.input_gradients.x), 1e-4), "")
        assert.strictEqual(close("dgrowth", values(gp["growth"]!), decode(c.variable_gradients[GROWTH]), 1e-4), "")
      }
      f.dispose()
      g.dispose()
    })
  })

  const batch = control.existing.while_cond_batch
  const perExample = (p: Record<string, JaxArray>) => (x: JaxArray) => {
    const [out, next] = fn(tree.ref(p), { x, limit: toJax(batch.limit) })
    tree.dispose(next)
    return out
  }

  it("vmap (eager: runs until no example is running, masked per example) matches TF per example", () => {
    const p = freshParams()
    const out = vmap(perExample(p))(toJax(batch.x))
    tree.dispose(p)
    assert.strictEqual(close("y", values(out.y), batch.cases.flatMap((c: any) => decode(c.outputs.y))), "")
    assert.deepStrictEqual(values(out.iterations), batch.cases.flatMap((c: any) => decode(c.outputs.iterations)))
  })

  it("jit(vmap) with whileLoopMaxIterations matches TF per example", () => {
    const p = freshParams()
    const out = overrideConfig("whileLoopMaxIterations", 30, () => {
      const f = jit(vmap(perExample(p)))
      const r = f(toJax(batch.x))
      f.dispose()
      return r
    })
    tree.dispose(p)
    assert.strictEqual(close("y", values(out.y), batch.cases.flatMap((c: any) => decode(c.outputs.y))), "")
    assert.deepStrictEqual(values(out.iterations), batch.cases.flatMap((c: any) => decode(c.outputs.iterations)))
  })

  it("vmap(grad) (eager, masked per example) matches TF's per-example gradients", () => {
    const p = freshParams()
    const loss = (x: JaxArray, cot: JaxArray) => {
      const out = perExample(p)(x)
      out.iterations.dispose()
      return np.sum(out.y.mul(cot))
    }
    const cots = np.stack(batch.cases.map((c: any) => toJax(c.cotangents.y)))
    const gx = vmap(grad(loss))(toJax(batch.x), cots)
    tree.dispose(p)
    assert.strictEqual(close("dx", values(gx), batch.cases.flatMap((c: any) => decode(c.input_gradients.x)), 1e-4), "")
  })

  it("leaves no live buffers behind (eager, grad and jit with a bound)", () => {
    const c = casesOf("serving_default")[0]
    const run = () => {
      const [out, next] = fn(freshParams(), { x: toJax(c.inputs.x), limit: toJax(c.inputs.limit) })
      tree.dispose([out, next])
      const gx = grad((x: JaxArray) => {
        const [o, n] = fn(freshParams(), { x, limit: toJax(c.inputs.limit) })
        tree.dispose(n)
        o.iterations.dispose()
        return np.sum(o.y)
      })(toJax(c.inputs.x))
      gx.dispose()
      overrideConfig("whileLoopMaxIterations", 12, () => {
        const f = jit((p: Record<string, JaxArray>, x: JaxArray, limit: JaxArray) => {
          const [o, n] = fn(p, { x, limit })
          tree.dispose(n)
          return o
        })
        tree.dispose(f(freshParams(), toJax(c.inputs.x), toJax(c.inputs.limit)))
        f.dispose()
      })
    }
    run()
    const before = counter.live()
    run()
    run()
    assert.strictEqual(counter.live(), before)
  })
})

describe("While: fixtures/models/while_cond bounded (maximum_iterations = 4, variable read in the body)", () => {
  const { fn, params } = withParams(model.signatures["bounded"]!)
  const freshParams = () => Object.fromEntries(Object.keys(params).map((k) => [k, params[k]!.ref]))

  it("eager matches TF", () => {
    for (const c of casesOf("bounded")) {
      const [out, next] = fn(freshParams(), { x: toJax(c.inputs.x), limit: toJax(c.inputs.limit) })
      tree.dispose(next)
      assert.strictEqual(close("y", values(out.y), decode(c.outputs.y)), "")
      assert.deepStrictEqual(values(out.iterations), decode(c.outputs.iterations))
    }
  })

  it("jit with no flag: maximum_iterations bounds the masked unroll; matches TF", () => {
    const f = jit((p: Record<string, JaxArray>, x: JaxArray, limit: JaxArray) => {
      const [out, next] = fn(p, { x, limit })
      tree.dispose(next)
      return out
    })
    for (const c of casesOf("bounded")) {
      const out = f(freshParams(), toJax(c.inputs.x), toJax(c.inputs.limit))
      assert.strictEqual(close("y", values(out.y), decode(c.outputs.y)), "")
      assert.deepStrictEqual(values(out.iterations), decode(c.outputs.iterations))
    }
    f.dispose()
  })
})

describe("While: fixtures/control/while_ops", () => {
  const sig = (k: string) => whileOps.signatures[k]!
  const { fn: forRange } = withParams(sig("for_range"))

  it("for_range: a static trip count unrolls under jit with no bound; values and gradients match TF", () => {
    const c = control.while_ops.for_range[0]
    const f = (x: JaxArray) => forRange({}, { x })[0].y as JaxArray
    assert.strictEqual(close("eager", values(f(toJax(c.inputs.x))), decode(c.outputs.y)), "")
    const jf = jit(f)
    assert.strictEqual(close("jit", values(jf(toJax(c.inputs.x))), decode(c.outputs.y)), "")
    jf.dispose()
    const loss = (x: JaxArray, cot: JaxArray) => np.sum(f(x).mul(cot))
    const jg = jit(grad(loss))
    assert.strictEqual(close("jit(grad)", values(jg(toJax(c.inputs.x), toJax(c.cotangents.y))), decode(c.input_gradients.x)), "")
    jg.dispose()
  })

  it("data_dependent: eager, grad, and jit(grad) with a bound match TF", () => {
    const { fn } = withParams(sig("data_dependent"))
    const run = (x: JaxArray, limit: JaxArray) => fn({}, { x, limit })[0] as Record<string, JaxArray>
    for (const c of control.while_ops.data_dependent) {
      const out = run(toJax(c.inputs.x), toJax(c.inputs.limit))
      assert.strictEqual(close("y", values(out["y"]!), decode(c.outputs.y)), "")
      assert.deepStrictEqual(values(out["n"]!), decode(c.outputs.n))
      const loss = (x: JaxArray, limit: JaxArray, cot: JaxArray) => {
        const o = run(x, limit)
        o["n"]!.dispose()
        return np.sum(o["y"]!.mul(cot))
      }
      const [gx, gl] = grad(loss, { argnums: [0, 1] })(toJax(c.inputs.x), toJax(c.inputs.limit), toJax(c.cotangents.y)) as [JaxArray, JaxArray]
      assert.strictEqual(close("dx", values(gx), decode(c.input_gradients.x), 1e-4), "")
      assert.strictEqual(close("dlimit", values(gl), decode(c.input_gradients.limit)), "")
      overrideConfig("whileLoopMaxIterations", 40, () => {
        const jg = jit(grad(loss))
        assert.strictEqual(close("jit dx", values(jg(toJax(c.inputs.x), toJax(c.inputs.limit), toJax(c.cotangents.y))), decode(c.input_gradients.x), 1e-4), "")
        jg.dispose()
      })
    }
  })

  it("tensor_array: a TensorArray written in a static loop (TensorListReserve/SetItem/Stack) — eager, jit, jit(grad) match TF", () => {
    const { fn } = withParams(sig("tensor_array"))
    const c = control.while_ops.tensor_array[0]
    const run = (x: JaxArray) => fn({}, { x })[0].stacked as JaxArray
    assert.strictEqual(close("eager", values(run(toJax(c.inputs.x))), decode(c.outputs.stacked)), "")
    const jf = jit(run)
    assert.strictEqual(close("jit", values(jf(toJax(c.inputs.x))), decode(c.outputs.stacked)), "")
    jf.dispose()
    const jg = jit(grad((x: JaxArray, cot: JaxArray) => np.sum(run(x).mul(cot))))
    assert.strictEqual(close("jit(grad)", values(jg(toJax(c.inputs.x), toJax(c.cotangents.stacked))), decode(c.input_gradients.x)), "")
    jg.dispose()
  })

  it("list_read: TensorListFromTensor + TensorListGetItem at a traced index — eager, jit, grad, vmap over the index match TF", () => {
    const { fn } = withParams(sig("list_read"))
    const run = (x: JaxArray, i: JaxArray) => {
      const out = fn({}, { x, i })[0] as Record<string, JaxArray>
      out["size"]!.dispose()
      return out["item"]!
    }
    const jf = jit(run)
    const jg = jit(grad((x: JaxArray, i: JaxArray, cot: JaxArray) => np.sum(run(x, i).mul(cot))))
    const cases = control.while_ops.list_read
    for (const c of cases) {
      assert.strictEqual(close("eager", values(run(toJax(c.inputs.x), toJax(c.inputs.i))), decode(c.outputs.item)), "")
      assert.strictEqual(close("jit", values(jf(toJax(c.inputs.x), toJax(c.inputs.i))), decode(c.outputs.item)), "")
      assert.strictEqual(close("jit(grad)", values(jg(toJax(c.inputs.x), toJax(c.inputs.i), toJax(c.cotangents.item))), decode(c.input_gradients.x)), "")
    }
    jf.dispose()
    jg.dispose()
    const xs = np.stack(cases.map((c: any) => toJax(c.inputs.x)))
    const is = np.stack(cases.map((c: any) => toJax(c.inputs.i)))
    assert.strictEqual(close("vmap", values(vmap(run)(xs, is)), cases.flatMap((c: any) => decode(c.outputs.item))), "")
  })

  it("map_fn: TensorListFromTensor/GetItem/SetItem/Stack in a loop — eager, jit, jit(grad) match TF", () => {
    const { fn } = withParams(sig("map_fn"))
    const c = control.while_ops.map_fn[0]
    const run = (x: JaxArray) => fn({}, { x })[0].y as JaxArray
    assert.strictEqual(close("eager", values(run(toJax(c.inputs.x))), decode(c.outputs.y)), "")
    const jf = jit(run)
    assert.strictEqual(close("jit", values(jf(toJax(c.inputs.x))), decode(c.outputs.y)), "")
    jf.dispose()
    const jg = jit(grad((x: JaxArray, cot: JaxArray) => np.sum(run(x).mul(cot))))
    assert.strictEqual(close("jit(grad)", values(jg(toJax(c.inputs.x), toJax(c.cotangents.y))), decode(c.input_gradients.x)), "")
    jg.dispose()
  })

  it("unknown_shape_list: a TensorArray of unknown element shape in a data-dependent loop (maximum_iterations = 6) — eager, grad, jit and jit(grad) (masked) match TF", () => {
    const { fn } = withParams(sig("unknown_shape_list"))
    const run = (x: JaxArray, limit: JaxArray) => fn({}, { x, limit })[0] as Record<string, JaxArray>
    const loss = (x: JaxArray, limit: JaxArray, cot: JaxArray) => {
      const o = run(x, limit)
      o["n"]!.dispose()
      return np.sum(o["stacked"]!.mul(cot))
    }
    const jf = jit(run)
    const jg = jit(grad(loss))
    for (const c of control.while_ops.unknown_shape_list) {
      for (const [label, out] of [["eager", run(toJax(c.inputs.x), toJax(c.inputs.limit))], ["jit", jf(toJax(c.inputs.x), toJax(c.inputs.limit))]] as const) {
        assert.strictEqual(close(label, values(out["stacked"]!), decode(c.outputs.stacked)), "")
        assert.deepStrictEqual(values(out["n"]!), decode(c.outputs.n), label)
      }
      const want = decode(c.input_gradients.x)
      assert.strictEqual(close("grad", values(grad(loss)(toJax(c.inputs.x), toJax(c.inputs.limit), toJax(c.cotangents.stacked))), want), "")
      assert.strictEqual(close("jit(grad)", values(jg(toJax(c.inputs.x), toJax(c.inputs.limit), toJax(c.cotangents.stacked))), want), "")
    }
    jf.dispose()
    jg.dispose()
  })

  it("data_dependent: eager vmap and jit(vmap) with a bound match TF per example", () => {
    const { fn } = withParams(sig("data_dependent"))
    const b = control.while_ops.data_dependent_batch
    const f = (x: JaxArray) => fn({}, { x, limit: toJax(b.limit) })[0] as Record<string, JaxArray>
    const eager = vmap(f)(toJax(b.x))
    assert.strictEqual(close("y", values(eager["y"]!), decode(b.y)), "")
    assert.deepStrictEqual(values(eager["n"]!), decode(b.n))
    overrideConfig("whileLoopMaxIterations", 40, () => {
      const jf = jit(vmap(f))
      const out = jf(toJax(b.x))
      jf.dispose()
      assert.strictEqual(close("y", values(out["y"]!), decode(b.y)), "")
      assert.deepStrictEqual(values(out["n"]!), decode(b.n))
    })
  })
})
