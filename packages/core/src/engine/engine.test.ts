/**
 * Engine mechanics on real TensorFlow files: op resolution (all unsupported ops listed at once),
 * attr validation, pack contracts, params in/out, call-time checks and the config flags, and
 * ownership (no live buffer left behind, eagerly, under jit, and when a call fails).
 *
 * The numbers these tests check are the models' own (TF wrote the variable values); the ops
 * used here are tiny test converters, so only the engine is under test.
 */
import { assert, describe, it } from "@effect/vitest"
import { jit, numpy as np } from "@jax-js/jax"
import { Effect, Layer, Schema } from "effect"
import { basename, dirname, join } from "node:path"
import {
  DtypeMismatchError,
  IncompatibleOpPackError,
  InvalidAttrError,
  MissingInputError,
  ShapeMismatchError,
  UnsupportedOpsError
} from "../errors.js"
import type { TfModel } from "../model/TfModel.js"
import { installLiveBufferCounter } from "../test-util/liveBuffers.js"
import { sharedTestdata } from "../test-util/paths.js"
import { memorySource } from "../test-util/tree.js"
import { loadModelFrom } from "../formats/loadModel.js"
import { Attr } from "./attrs.js"
import { overrideConfig, withConfig } from "./Config.js"
import { convert, convertFromRestored, convertFunctional, convertFunctionalFromRestored } from "./convert.js"
import { CORE_CONTRACT_VERSION, defineOp, definePack } from "./OpConverter.js"
import type { OpPack } from "./OpConverter.js"
import { OpRegistry } from "./OpRegistry.js"
import { Prng } from "./Prng.js"
import { arrayValue, toArray } from "./Value.js"
import type { Value } from "./Value.js"

/** Test-only converters for the few ops these models use. */
const binary = (ops: ReadonlyArray<string>, f: (a: np.Array, b: np.Array) => np.Array) =>
  defineOp({
    ops,
    attrs: Schema.Struct({ T: Attr.type }),
    inputs: "value",
    run: (ctx, [a, b], attrs) => arrayValue(f(toArray(a as Value, ctx.where), toArray(b as Value, ctx.where)), attrs.T)
  })

const call = defineOp({
  ops: ["StatefulPartitionedCall", "PartitionedCall"],
  attrs: Schema.Struct({
    f: Attr.func,
    Tin: Attr.types,
    Tout: Attr.types,
    config: Schema.optionalKey(Attr.string),
    config_proto: Schema.optionalKey(Attr.string),
    executor_type: Schema.optionalKey(Attr.string)
  }),
  inputs: "raw",
  calls: (a) => [a.f.name],
  run: (ctx, inputs, a) => ctx.fn(a.f.name).call(inputs as ReadonlyArray<Value>)
})

const testPack: OpPack = definePack({
  name: "test",
  version: "0.0.0",
  contract: CORE_CONTRACT_VERSION,
  converters: [binary(["AddV2", "Add"], np.add), binary(["Mul"], np.multiply), call]
})

const layer = (packs: ReadonlyArray<OpPack> = [testPack]) => Layer.mergeAll(OpRegistry.layer(packs), Prng.layer)
const run = <A, E>(e: Effect.Effect<A, E, OpRegistry | Prng>, packs?: ReadonlyArray<OpPack>) => e.pipe(Effect.provide(layer(packs)))

const load = (rel: string): Effect.Effect<TfModel, unknown> =>
  rel.endsWith(".pb")
    ? loadModelFrom(memorySource(join(sharedTestdata!, dirname(rel))), basename(rel))
    : loadModelFrom(memorySource(join(sharedTestdata!, rel)))

const scalar = (x: number) => np.array([x]).reshape([])

describe.skipIf(sharedTestdata === undefined)("conversion engine", () => {
  it.effect("lists every unsupported op at once, with counts and an example node", () =>
    Effect.gen(function* () {
      const model = yield* load("tf2onnx-models/gru")
      const err = yield* Effect.flip(run(convertFunctionalFromRestored(model.signatures["serving_default"]!)))
      assert.instanceOf(err, UnsupportedOpsError)
      const ops = (err as UnsupportedOpsError).ops
      assert.isAbove(ops.length, 3)
      assert.isTrue(ops.every((o) => o.count >= 1 && o.exampleNode !== ""))
      assert.include(err.message, "Unsupported operations in graph")
    }))

  it.effect("refuses a pack built for another contract version", () =>
    Effect.gen(function* () {
      const model = yield* load("tensorflow-rust/addition/model.pb")
      const old = { ...testPack, contract: "0.9" }
      const err = yield* Effect.flip(run(convertFunctionalFromRestored(model.signatures["serving_default"]!), [old]))
      assert.instanceOf(err, IncompatibleOpPackError)
    }))

  it.effect("refuses attrs a converter does not know (like tf2jax)", () =>
    Effect.gen(function* () {
      const model = yield* load("tensorflow-rust/addition/model.pb")
      const strict = definePack({
        ...testPack,
        converters: [defineOp({ ops: ["AddV2"], attrs: Schema.Struct({}), inputs: "array", run: () => [] })]
      })
      const err = yield* Effect.flip(run(convertFunctionalFromRestored(model.signatures["serving_default"]!), [strict]))
      assert.instanceOf(err, InvalidAttrError)
      assert.include(err.message, `attr "T"`)
    }))

  it.effect("params in, new params out; functional conversion refuses captured variables", () =>
    Effect.gen(function* () {
      const model = yield* load("tfjs-node-saved-models/times_three_float")
      const sig = model.signatures["serving_default"]!
      const { fn, params } = yield* run(convertFromRestored(sig))
      assert.deepStrictEqual(fn.paramSpecs, { Variable: { dtype: "float32", shape: [], trainable: true } })
      assert.strictEqual(params["Variable"]!.ref.item(), model.variables["Variable"]!.value.data[0])
      const [out, newParams] = fn(params, { x: scalar(2) })
      assert.deepStrictEqual(Object.keys(out), ["output_0"])
      out.output_0.dispose()
      assert.deepStrictEqual(Object.keys(newParams), ["Variable"])
      newParams["Variable"]!.dispose()
      const err = yield* Effect.flip(run(convertFunctionalFromRestored(sig)))
      assert.include(err.message, "captures variables (Variable)")
    }))

  it.effect("missing inputs and params are MissingInputError naming them", () =>
    Effect.gen(function* () {
      const model = yield* load("tfjs-node-saved-models/model_multi_output")
      const { fn, params } = yield* run(convertFromRestored(model.signatures["serving_default"]!))
      const e1 = (() => {
        try {
          fn(tree(params), { x: scalar(1) })
        } catch (e) {
          return e
        }
      })()
      assert.instanceOf(e1, MissingInputError)
      assert.deepStrictEqual((e1 as MissingInputError).missing, ["y"])
      const e2 = (() => {
        try {
          fn({}, { x: scalar(1), y: scalar(2) })
        } catch (e) {
          return e
        }
      })()
      assert.instanceOf(e2, MissingInputError)
      for (const p of Object.values(params)) p.dispose()
    }))

  it.effect("strict shape check at call time (default on), and its override; dtype check when asked", () =>
    Effect.gen(function* () {
      const model = yield* load("tfjs-node-saved-models/int64_multiply")
      const { fn, params } = yield* run(convertFromRestored(model.signatures["serving_default"]!))
      const wrong = () => fn(tree(params), { x: np.array([1, 2, 3], { dtype: np.int32 }) })
      assert.throws(wrong, ShapeMismatchError)
      const [out, newParams] = overrideConfig("strictShapeCheck", false, () => fn(tree(params), { x: np.array([1, 2, 3], { dtype: np.int32 }) }))
      assert.deepStrictEqual(out.output_0.shape, [3])
      out.output_0.dispose()
      disposeAll(newParams)
      const strictDtype = yield* run(convertFromRestored(model.signatures["serving_default"]!).pipe(withConfig("strictDtypeCheck", true)))
      assert.throws(() => strictDtype.fn(tree(params), { x: np.array([1, 2]) }), DtypeMismatchError)
      disposeAll(strictDtype.params)
      disposeAll(params)
    }))

  it.effect("convert() with example inputs fixes the traced shapes", () =>
    Effect.gen(function* () {
      const model = yield* load("tensorflow-rust/addition/model.pb")
      const f = yield* run(convertFunctional(model.signatures["serving_default"]!, { x: { shape: [] }, y: { shape: [] } }))
      assert.deepStrictEqual(f.inputSpecs.map((s) => s.shape), [[], []])
      assert.throws(() => f({ x: np.array([1], { dtype: np.int32 }), y: np.array([2], { dtype: np.int32 }) }), ShapeMismatchError)
      const g = yield* run(convert(model.signatures["serving_default"]!))
      assert.strictEqual(g.fn.requiresRng, false)
      assert.deepStrictEqual(g.params, {})
    }))

  it.effect("no live buffer left behind: eager, jit, and a failing call", () =>
    Effect.gen(function* () {
      const counter = yield* Effect.promise(() => installLiveBufferCounter())
      const model = yield* load("tfjs-node-saved-models/times_three_float")
      const sig = model.signatures["serving_default"]!
      // Parameters are realised on the device lazily, so the baseline is taken before they exist.
      const base = counter.live()
      const { fn, params } = yield* run(convertFromRestored(sig))
      const step = (f: typeof fn) => {
        const [out, next] = f(tree(params), { x: scalar(2) })
        // Reading realises every buffer the call computed (jax-js is lazy), then releases it.
        assert.isNumber(out.output_0.js())
        for (const p of Object.values(next)) p.js()
      }
      for (let i = 0; i < 3; i++) step(fn)
      // jit keeps the call shape; its typing loses the attached specs.
      const jf = jit(fn)
      for (let i = 0; i < 3; i++) step(jf as unknown as typeof fn)
      jf.dispose()
      try {
        fn(tree(params), { x: np.array([1, 2]) })
      } catch {
        // refused by the shape check; the arguments it took are released
      }
      disposeAll(params)
      assert.strictEqual(counter.live(), base)
    }))
})

/** New references to every param (the converted function consumes its arguments). */
const tree = (params: Record<string, np.Array>): Record<string, np.Array> =>
  Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.ref]))

const disposeAll = (xs: Record<string, np.Array>) => {
  for (const v of Object.values(xs)) v.dispose()
}

describe.skipIf(sharedTestdata === undefined)("converter build context and extra inputs", () => {
  it.effect("extraInputs hands a converter other tensors of its body (kept alive for it); unavailable ones arrive as undefined", () =>
    Effect.gen(function* () {
      const model = yield* load("tensorflow-rust/addition/model.pb")
      const seen: Array<string> = []
      // AddV2 that also reads its body's input "x" (graph-style name) and a tensor that does not exist.
      const addWithExtras = defineOp({
        ops: ["AddV2", "Add"],
        attrs: Schema.Struct({ T: Attr.type }),
        inputs: "value",
        calls: (_a, _node, ctx) => {
          seen.push(`calls in ${ctx.functionName}, captures ${String(ctx.captures("nope"))}`)
          return []
        },
        extraInputs: () => ["x:0", "no_such_node:0"],
        run: (ctx, inputs, attrs) => {
          const [a, b, x, missing] = inputs as Array<Value | undefined>
          assert.strictEqual(inputs.length, 4)
          assert.isUndefined(missing)
          const sum = np.add(toArray(a!, ctx.where), toArray(b!, ctx.where))
          return arrayValue(np.add(sum, np.multiply(toArray(x!, ctx.where), 10)), attrs.T)
        }
      })
      const pack = definePack({ ...testPack, converters: [addWithExtras, call] })
      const sig = model.signatures["serving_default"]!
      const f = yield* run(convertFunctionalFromRestored(sig), [pack])
      assert.deepStrictEqual(seen, ["calls in graph, captures undefined"])
      const int = (v: number) => np.array([v], { dtype: np.int32 }).reshape([])
      const counter = yield* Effect.promise(() => installLiveBufferCounter())
      const once = () => f({ x: int(3), y: int(4) }).z.item()
      assert.strictEqual(once(), 3 + 4 + 30)
      const before = counter.live()
      once()
      assert.strictEqual(counter.live(), before)
    }))
})
