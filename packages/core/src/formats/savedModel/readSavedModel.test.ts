/**
 * SavedModels written by real TensorFlow (1.0 … 2.15, in ../shared/testdata). The expected
 * facts are the ones TensorFlow recorded in these files, as listed in testdata/README.md.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { join } from "node:path"
import { toNumbers } from "../../HostTensor.js"
import type { TfModel } from "../../model/TfModel.js"
import { memorySource } from "../../test-util/tree.js"
import { sharedTestdata } from "../../test-util/paths.js"
import { readSavedModel } from "./readSavedModel.js"

const read = (rel: string, tags?: ReadonlyArray<string>) =>
  readSavedModel(memorySource(join(sharedTestdata!, rel)), tags ? { tags } : {})

const value = (m: TfModel, name: string): Array<number> => toNumbers(m.variables[name]!.value)

describe.skipIf(sharedTestdata === undefined)("readSavedModel on real TF2 SavedModels", () => {
  it.effect("times_three_float (TF 2.0.0-beta1): signature, variable, object-graph functions", () =>
    Effect.gen(function* () {
      const m = yield* read("tfjs-node-saved-models/times_three_float")
      assert.strictEqual(m.format, "saved-model-v2")
      assert.strictEqual(m.producer.tensorflowVersion, "2.0.0-beta1")
      assert.strictEqual(m.producer.graphProducer, 55)
      assert.deepStrictEqual(m.tags, ["serve"])
      const sig = m.signatures["serving_default"]!
      assert.deepStrictEqual(sig.inputs["x"], { name: "serving_default_x:0", dtype: "float32", shape: [] })
      assert.deepStrictEqual(sig.outputs["output_0"], { name: "StatefulPartitionedCall:0", dtype: "float32", shape: [] })
      assert.strictEqual(sig.function?.name, "__inference_signature_wrapper_32")
      assert.deepStrictEqual(sig.function?.captures, [{ kind: "variable", variable: "Variable" }])
      assert.deepStrictEqual(sig.function?.flatInputs.map((i) => i.path), ["x"])
      assert.deepStrictEqual(value(m, "Variable"), [3])
      assert.deepStrictEqual(Object.keys(m.functions).sort(), ["__call__", "mutate"])
      assert.strictEqual(m.functions["mutate"]!.concreteFunctions[0]!.name, "__inference_mutate_22")
      assert.isTrue(m.graph.library.functions.has("__inference___call___15"))
      assert.strictEqual(sig.model, m)
    }))

  it.effect("module_with_multiple_signatures: two signatures on two variables", () =>
    Effect.gen(function* () {
      const m = yield* read("tfjs-node-saved-models/module_with_multiple_signatures")
      assert.deepStrictEqual(Object.keys(m.signatures).sort(), ["serving_default", "timestwo"])
      assert.deepStrictEqual(m.signatures["timestwo"]!.inputs["x"]!.name, "timestwo_x:0")
      const byCapture = (key: string) =>
        m.signatures[key]!.function!.captures.map((c) => (c.kind === "variable" ? value(m, c.variable)[0] : NaN))
      assert.deepStrictEqual(byCapture("serving_default"), [3])
      assert.deepStrictEqual(byCapture("timestwo"), [2])
    }))

  it.effect("int64_multiply and uint8_multiply: int64 variables and a uint8 input", () =>
    Effect.gen(function* () {
      const i64 = yield* read("tfjs-node-saved-models/int64_multiply")
      const vars = Object.values(i64.variables)
      assert.deepStrictEqual(vars.map((v) => v.dtype), ["int64", "int64"])
      assert.deepStrictEqual(vars.map((v) => Array.from(v.value.data as BigInt64Array)).sort(), [[2n], [3n]])
      assert.deepStrictEqual(i64.signatures["serving_default"]!.inputs["x"]!.shape, [2])
      const u8 = yield* read("tfjs-node-saved-models/uint8_multiply")
      assert.strictEqual(u8.signatures["serving_default"]!.inputs["x"]!.dtype, "uint8")
      assert.strictEqual(u8.signatures["serving_default"]!.outputs["output_0"]!.dtype, "int32")
    }))

  it.effect("model_multi_output: two int32 inputs in signature order", () =>
    Effect.gen(function* () {
      const m = yield* read("tfjs-node-saved-models/model_multi_output")
      const fn = m.signatures["serving_default"]!.function!
      assert.deepStrictEqual(fn.flatInputs.map((i) => [i.path, i.spec.dtype]), [["x", "int32"], ["y", "int32"]])
      assert.deepStrictEqual(Object.keys(m.signatures["serving_default"]!.outputs), ["output_0", "output_1"])
    }))

  it.effect("half_plus_two_tf2_cpu (TF 2.14, Snappy index): six signatures, asset, a/b/c", () =>
    Effect.gen(function* () {
      const m = yield* read("serving/saved_model_half_plus_two_tf2_cpu/00000123")
      assert.strictEqual(m.producer.tensorflowVersion, "2.14.0")
      assert.strictEqual(Object.keys(m.signatures).length, 6)
      assert.deepStrictEqual([value(m, "a"), value(m, "b"), value(m, "c")], [[0.5], [2], [3]])
      assert.deepStrictEqual(Object.keys(m.assets), ["assets/foo.txt"])
      assert.strictEqual(m.assets["assets/foo.txt"]!.size, 19)
      assert.strictEqual(m.signatures["regress_x_to_y"]!.inputs["inputs"]!.dtype, "string")
      assert.deepStrictEqual(m.signatures["regress_x_to_y"]!.outputs["outputs"]!.shape, [-1, 1])
      const predict = m.signatures["serving_default"]!.function!
      assert.deepStrictEqual(predict.captures, [{ kind: "variable", variable: "a" }, { kind: "variable", variable: "b" }])
      assert.deepStrictEqual(Object.keys(m.variables).sort(), ["a", "b", "c"])
    }))

  it.effect("custom_gradient_cubed (TF 2.15, jax2tf): registered gradient and a captured tensor", () =>
    Effect.gen(function* () {
      const m = yield* read("tf2jax/custom_gradient_cubed")
      assert.deepStrictEqual(Object.keys(m.signatures), [])
      assert.deepStrictEqual(Object.keys(m.variables), [])
      const f = m.functions["f"]!
      assert.deepStrictEqual(f.concreteFunctions.map((c) => c.name), ["__inference_converted_fun_tf_142"])
      assert.deepStrictEqual(f.concreteFunctions[0]!.flatInputs.map((i) => [i.path, i.spec.dtype]), [["args_tf_0", "float32"]])
      const grad = m.concreteFunctions["__inference_internal_grad_fn_161"]!
      assert.deepStrictEqual(grad.captures, [
        { kind: "captured-tensor", function: "__inference_converted_fun_tf_142", tensor: "jax2tf_arg_0:0" }
      ])
      const registered = [...m.graph.library.registeredGradients]
      assert.isTrue(registered.some(([op, fn]) => op === "CustomGradient-134" && fn === "__inference_internal_grad_fn_161"))
    }))

  it.effect("regression_savedmodel (TF 2.5): optimizer variables and a train signature", () =>
    Effect.gen(function* () {
      const m = yield* read("tensorflow-rust/regression_savedmodel")
      assert.deepStrictEqual(Object.keys(m.signatures).sort(), ["b", "train", "w"])
      assert.strictEqual(value(m, "w")[0]!.toFixed(8), "0.20429754")
      assert.deepStrictEqual(value(m, "b"), [0])
      assert.strictEqual(m.variables["SGD/iter"]!.dtype, "int64")
      assert.isFalse(m.variables["SGD/iter"]!.trainable)
      assert.deepStrictEqual(
        m.signatures["train"]!.function!.flatInputs.map((i) => i.path),
        ["x", "y"]
      )
    }))

  it.effect("tf_call_tf_function (jax2tf native): an XlaCallModule in the library", () =>
    Effect.gen(function* () {
      const m = yield* read("jax2tf-xla-call-module/tf_call_tf_function/saved_model")
      const ops = [...m.graph.library.functions.values()].flatMap((f) => f.nodes.map((n) => n.op))
      assert.include(ops, "XlaCallModule")
      assert.deepStrictEqual(m.signatures["serving_default"]!.inputs["the_input"]!.shape, [2])
    }))
})

describe.skipIf(sharedTestdata === undefined)("readSavedModel on real TF1 SavedModels and Hub modules", () => {
  it.effect("half_plus_two_cpu (TF 1.14): VariableV2 restored by the saver, unsaved variable noted", () =>
    Effect.gen(function* () {
      const m = yield* read("serving/saved_model_half_plus_two_cpu/00000123")
      assert.strictEqual(m.format, "saved-model-v1")
      assert.deepStrictEqual(Object.keys(m.variables).sort(), ["a", "a2", "b", "c", "c2"])
      assert.deepStrictEqual([value(m, "a"), value(m, "b"), value(m, "c")], [[0.5], [2], [3]])
      assert.isTrue(m.notes.some((n) => n.includes("filename_tensor")))
      assert.deepStrictEqual(m.signatures["serving_default"]!.inputs["x"], { name: "x:0", dtype: "float32", shape: [-1, 1] })
      assert.strictEqual(m.signatures["serving_default"]!.function, undefined)
    }))

  it.effect("half_plus_three (TF 1.0): signatures without shapes", () =>
    Effect.gen(function* () {
      const m = yield* read("serving/saved_model_half_plus_three/00000123")
      assert.strictEqual(m.producer.tensorflowVersion, "1.0.0-rc2")
      assert.strictEqual(m.signatures["serving_default"]!.inputs["x"]!.shape, null)
      assert.deepStrictEqual([value(m, "a"), value(m, "b")], [[0.5], [3]])
    }))

  it.effect("saved_model_counter (TF 1.5): reference dtypes in signatures are value dtypes", () =>
    Effect.gen(function* () {
      const m = yield* read("serving/saved_model_counter/00000123")
      assert.strictEqual(m.signatures["get_counter"]!.outputs["output"]!.dtype, "float32")
      assert.deepStrictEqual(value(m, "counter"), [0])
    }))

  it.effect("regression-model (TF 1.2): tags train+serve; asking for other tags fails clearly", () =>
    Effect.gen(function* () {
      const m = yield* read("tensorflow-rust/regression-model")
      assert.deepStrictEqual([...m.tags].sort(), ["serve", "train"])
      assert.strictEqual(value(m, "w")[0]!.toFixed(8), "-0.85786223")
      const err = yield* Effect.flip(read("tensorflow-rust/regression-model", ["gpu"]))
      assert.strictEqual(err._tag, "InvalidModelError")
      assert.include(err.message, "available: [train, serve]")
    }))

  it.effect("half_plus_two_v1 Hub module (TF 1.12): empty tag set, signature `default`", () =>
    Effect.gen(function* () {
      const m = yield* read("hub/half_plus_two_v1")
      assert.strictEqual(m.format, "hub-module-v1")
      assert.deepStrictEqual(m.tags, [])
      assert.deepStrictEqual(Object.keys(m.signatures), ["default"])
      assert.deepStrictEqual([value(m, "a"), value(m, "b")], [[0.5], [2]])
    }))
})
