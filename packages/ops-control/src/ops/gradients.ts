/**
 * Gradient control: `StopGradient`, `PreventGradient`, and saved custom gradients
 * (`IdentityN` with `_gradient_op_type`). jax-js has no `custom_vjp` and no way to ask "am I
 * being differentiated?" (notes/jax-js.md §7, §8), so both are built from what it has.
 *
 * **PreventGradient** (`raiseOnPreventGradient`, read when converting; default true): the value
 * passes through with a zero-valued term computed through `eigvalsh` of a 1×1 matrix, a jax-js
 * primitive without a JVP rule. Eager, `jit` and `vmap` give the value unchanged;
 * differentiating through it throws — a `PreventGradientError` when the differentiation wraps
 * the converted function directly (`grad(f)`, `jit(grad(f))`, `vmap(grad(f))`), but jax-js's
 * own "JVP rule not implemented for jacobi_eigh" under `grad(jit(f))`, where the JVP runs
 * after our code has finished tracing. Caveats: it also fires when differentiating with
 * respect to another argument (jax-js lifts all arguments), and it stops working if jax-js
 * ever gives eigh a JVP rule. With the flag off: identity plus a warning when converting.
 *
 * **Custom gradients** (`convertCustomGradient`, read when converting; default true). TF's
 * `tf.custom_gradient` saves an `IdentityN` over (results…, inputs…) and, in
 * `FunctionDefLibrary.registered_gradients`, a gradient function taking one upstream gradient
 * per IdentityN output plus the forward tensors it captured (TF2 object graph: bound inputs of
 * kind `captured_tensor`, which the engine hands us as extra inputs of the IdentityN) and
 * returning one gradient per forward input. The number of results is the IdentityN's input
 * count minus the gradient function's output count. With L = the linear map whose transpose is
 * dy ↦ g(dy), `Tc(v)` = L(v) computed as `vjp(dy ↦ g(c, dy))(v)` with captures c, and
 * d = x − stop_gradient(x) (zero-valued), each result becomes
 *     stop_gradient(r) + ½·T_c(d) + ½·T_{stop_gradient c}(d)
 * (variant C of notes/jax-js.md §7): its value is r, its first derivative is exactly the saved
 * gradient, and its second derivative is the derivative of the gradient function with respect
 * to what it captured. The IdentityN outputs at input positions stop gradients, as TensorFlow
 * ignores the upstream gradients of those outputs.
 *
 * Limits:
 * - g must be linear in the upstream gradients (every true gradient is). An affine g such as
 *   `dy·sin(x) + exp(x)` contributes only its linear part (`dy·sin(x)`): reverse-mode AD can only
 *   transpose linear maps, while TF calls g with the actual cotangent.
 * - Inside a gradient function being transposed, nested custom gradients (saved or not) are
 *   differentiated as ordinary graphs: the transposition must see g's actual forward
 *   computation. So where TF raises LookupError for a higher-order gradient that was not saved
 *   (jax2tf's nested `CustomGradient`), a second derivative here is the ordinary derivative of
 *   the saved gradient function.
 * - A gradient that is referenced but not saved, or whose captured tensors cannot be bound
 *   (no object graph, captures from another function, a tensor not computed before the
 *   IdentityN), leaves the forward untouched and makes differentiation throw
 *   `PreventGradientError` (tf2jax raises LookupError), with the PreventGradient caveats above.
 * - Evaluated only when something may differentiate (the inputs are tracers); eager calls pass
 *   the values through. Under jit the extra terms are traced and computed (they are zero).
 */
import { lax, numpy as np, vjp } from "@jax-js/jax"
import type { BuildContext, Capture, CallableFunction, HostTensor, JaxArray, OpContext, Value } from "@tf2jax/core"
import {
  Attr,
  ConversionError,
  PreventGradientError,
  arrayValue,
  defineOp,
  disposeValue,
  hostToArray,
  jaxDtypeOf,
  utf8,
  zerosData
} from "@tf2jax/core"
import { Schema } from "effect"
import { isFloatValue, isTracer } from "../internal/values.js"

const stopValue = (v: Value): Value => (v.kind === "array" ? arrayValue(lax.stopGradient(v.array), v.dtype) : v)

export const stopGradient = defineOp({
  ops: ["StopGradient"],
  attrs: Schema.Struct({ T: Attr.type }),
  inputs: "value",
  run: (_ctx, [x]) => stopValue(x as Value)
})

const JVP_MISSING = /JVP rule not implemented/

/**
 * `x` plus a zero-valued term whose derivative does not exist in jax-js (a 1×1 `eigvalsh`):
 * the value is unchanged (also for inf/NaN), and differentiating throws. Consumes `x`.
 */
export const poison = (x: JaxArray, node: string, what: string): JaxArray => {
  let z: JaxArray
  try {
    const s = np.sum(x.ref)
    // isfinite of a stopped value: jax-js 0.1.25 leaks buffers under grad when isfinite gets a
    // traced intermediate (measured: 2 per call).
    const zero = np.where(np.isfinite(lax.stopGradient(s.ref)), s.mul(0), 0)
    z = np.linalg.eigvalsh(zero.reshape([1, 1]).astype(x.dtype))
  } catch (e) {
    x.dispose()
    if (e instanceof Error && JVP_MISSING.test(e.message)) throw new PreventGradientError({ node, what })
    throw e
  }
  return x.sub(z.reshape([]).mul(0))
}

/** Poisons a float array that something may differentiate (a tracer); plain arrays pass. */
const poisonValue = (v: Value, node: string, what: string): Value =>
  isFloatValue(v) && isTracer(v.array) ? arrayValue(poison(v.array, node, what), v.dtype) : v

/** `raiseOnPreventGradient` as it was when each node was converted (by decoded attrs). */
const preventRaises = new WeakMap<object, boolean>()

export const preventGradient = defineOp({
  ops: ["PreventGradient"],
  attrs: Schema.Struct({ T: Attr.type, message: Schema.optionalKey(Attr.string) }),
  inputs: "value",
  check: (a, ctx) => {
    preventRaises.set(a, ctx.config.raiseOnPreventGradient)
    if (!ctx.config.raiseOnPreventGradient) {
      console.warn(`tf2jax: ${ctx.where} is converted to identity (raiseOnPreventGradient is off): gradients through it are not prevented`)
    }
  },
  run: (ctx, [x], a) => {
    const v = x as Value
    if (preventRaises.get(a) === false) return v
    const message = a.message ? `: ${a.message}` : ""
    return poisonValue(v, ctx.node.name, `gradients are prevented here (PreventGradient${message})`)
  }
})

/** What converting an IdentityN with a custom gradient decided (by decoded attrs). */
type CustomGradientPlan =
  | { readonly kind: "none" }
  | { readonly kind: "missing"; readonly opType: string; readonly why: string }
  | {
      readonly kind: "custom"
      readonly opType: string
      readonly gradFn: string
      /** How many leading IdentityN inputs are forward results. */
      readonly results: number
      /** The gradient function's bound inputs, in argument order. */
      readonly captures: ReadonlyArray<Capture>
    }

const customPlans = new WeakMap<object, CustomGradientPlan>()

const stringAttr = (ctx: BuildContext, name: string): string | undefined => {
  const a = ctx.node.attrs[name]
  return a?.kind === "s" ? utf8.decode(a.value) : undefined
}

const planCustomGradient = (a: { readonly T: ReadonlyArray<string> }, ctx: BuildContext): CustomGradientPlan => {
  const known = customPlans.get(a)
  if (known) return known
  const plan = decidePlan(a.T.length, ctx)
  customPlans.set(a, plan)
  return plan
}

const decidePlan = (n: number, ctx: BuildContext): CustomGradientPlan => {
  const opType = stringAttr(ctx, "_gradient_op_type")
  if (opType === undefined) return { kind: "none" }
  if (!ctx.config.convertCustomGradient) {
    console.warn(`tf2jax: ${ctx.where} has custom gradient ${opType}; convertCustomGradient is off, so it is differentiated as an ordinary graph`)
    return { kind: "none" }
  }
  const missing = (why: string): CustomGradientPlan => ({ kind: "missing", opType, why })
  const gradFn = ctx.library.registeredGradients.get(opType)
  if (gradFn === undefined) {
    return missing(`its gradient ${opType} was not saved with the model (TF saves custom gradients with tf.saved_model.SaveOptions(experimental_custom_gradients=True); higher-order gradients of jax2tf exports are never saved)`)
  }
  const fn = ctx.library.functions.get(gradFn)
  if (!fn) return missing(`its gradient function ${gradFn} is not in the library`)
  const results = n - fn.signature.outputs.length
  const extra = fn.signature.inputs.length - n
  if (results < 0 || extra < 0) {
    return missing(`its gradient function ${gradFn} takes ${fn.signature.inputs.length} inputs and returns ${fn.signature.outputs.length}, which does not fit an IdentityN of ${n} tensors`)
  }
  const captures = extra === 0 ? [] : ctx.captures(gradFn)
  if (captures === undefined || captures.length !== extra) {
    return missing(`its gradient function ${gradFn} captures ${extra} forward tensors, which the model does not bind (no SavedModel object graph)`)
  }
  for (const c of captures) {
    if (c.kind === "captured-tensor" && c.function !== ctx.functionName) {
      return missing(`its gradient function ${gradFn} captures tensor ${c.tensor} of ${c.function}, not of ${ctx.functionName}`)
    }
    if (c.kind === "asset" || c.kind === "resource") return missing(`its gradient function ${gradFn} captures a ${c.kind}`)
  }
  return { kind: "custom", opType, gradFn, results, captures }
}

/**
 * Depth of gradient-function transpositions in progress. While > 0, custom-gradient IdentityN
 * nodes (inside the gradient function) are plain identities, so the transposition sees the
 * gradient function's actual computation. Safe because jax-js traces `vjp` synchronously.
 */
let transposing = 0

const zerosOf = (dtype: HostTensor["dtype"], shape: ReadonlyArray<number>): Value => ({
  kind: "static",
  tensor: { dtype, shape: [...shape], data: zerosData(dtype, shape.reduce((p, d) => p * d, 1)) }
})

const shapeOf = (v: Value): ReadonlyArray<number> => (v.kind === "static" ? v.tensor.shape : v.kind === "array" ? v.array.shape : [])
const dtypeOfV = (v: Value): HostTensor["dtype"] =>
  v.kind === "static" ? v.tensor.dtype : v.kind === "array" ? v.dtype : "float32"

export const identityN = defineOp({
  ops: ["IdentityN"],
  attrs: Schema.Struct({ T: Attr.types }),
  inputs: "value",
  calls: (a, _node, ctx) => {
    const p = planCustomGradient(a, ctx)
    return p.kind === "custom" ? [p.gradFn] : []
  },
  extraInputs: (a, ctx) => {
    const p = planCustomGradient(a, ctx)
    return p.kind === "custom" ? p.captures.flatMap((c) => (c.kind === "captured-tensor" ? [c.tensor] : [])) : []
  },
  run: (ctx, inputs, a) => {
    const n = a.T.length
    const values = inputs.slice(0, n) as Array<Value>
    const extras = inputs.slice(n) as Array<Value | undefined>
    const plan = customPlans.get(a) ?? { kind: "none" }
    const release = () => extras.forEach((e) => e && disposeValue(e))
    if (plan.kind === "none" || transposing > 0) {
      release()
      return values
    }
    const where = `${ctx.where}: custom gradient ${plan.opType}`
    if (plan.kind === "missing" || extras.some((e) => e === undefined)) {
      release()
      const why = plan.kind === "missing" ? plan.why : "a tensor its gradient function captured is not computed before it"
      return values.map((v) => poisonValue(v, ctx.node.name, `cannot differentiate through custom gradient ${plan.opType}: ${why}`))
    }
    if (!values.some((v) => v.kind === "array" && isTracer(v.array))) {
      release()
      return values
    }
    return customGradient(ctx, where, plan, values, extras as Array<Value>)
  }
})

interface Meta {
  readonly shape: ReadonlyArray<number>
  readonly dtype: HostTensor["dtype"]
}

const metaOf = (v: Value): Meta => ({ shape: shapeOf(v), dtype: dtypeOfV(v) })

/** The custom-gradient construction (see the module comment). Consumes values and extras. */
const customGradient = (
  ctx: OpContext,
  where: string,
  plan: Extract<CustomGradientPlan, { kind: "custom" }>,
  values: ReadonlyArray<Value>,
  extras: ReadonlyArray<Value>
): Array<Value> => {
  const g = ctx.fn(plan.gradFn)
  const k = plan.results
  const metas = values.map(metaOf)
  const diffR = values.slice(0, k).flatMap((v, i) => (isFloatValue(v) ? [i] : []))
  const diffA = values.slice(k).flatMap((v, j) => (isFloatValue(v) ? [k + j] : []))
  let next = 0
  const captured: Array<Value> = plan.captures.map((c): Value => {
    switch (c.kind) {
      case "captured-tensor":
        return extras[next++]!
      case "variable":
        return { kind: "resource", variable: c.variable, dtype: undefined }
      case "constant":
        return { kind: "static", tensor: c.value }
      default:
        return { kind: "static", tensor: { dtype: "float32", shape: [], data: new Float32Array(1) } }
    }
  })
  if (diffR.length === 0 || diffA.length === 0) {
    captured.forEach(disposeValue)
    return values.map(stopValue)
  }
  // d = x − stop_gradient(x): zero-valued (0 where x is not finite, so values stay finite).
  const ds = diffA.map((j) => {
    const x = (values[j] as Extract<Value, { kind: "array" }>).array
    return np.where(np.isfinite(lax.stopGradient(x.ref)), x.ref.sub(lax.stopGradient(x.ref)), 0)
  })
  const outs: Array<Value> = values.map(stopValue)
  const stopped = captured.map((c) => (c.kind === "array" ? arrayValue(lax.stopGradient(c.array.ref), c.dtype) : c))
  let t1: Array<JaxArray> = []
  try {
    t1 = transpose(g, where, metas, k, diffR, diffA, captured, ds.map((d) => d.ref))
    const t2 = transpose(g, where, metas, k, diffR, diffA, stopped, ds)
    diffR.forEach((i, q) => {
      const r = outs[i] as Extract<Value, { kind: "array" }>
      outs[i] = arrayValue(r.array.add(t1[q]!.add(t2[q]!).mul(0.5)), r.dtype)
    })
    return outs
  } catch (e) {
    outs.forEach(disposeValue)
    t1.forEach((t) => t.dispose())
    throw e
  } finally {
    captured.forEach(disposeValue)
    stopped.forEach(disposeValue)
  }
}

/**
 * The transpose of dy ↦ g(dy, captures) applied to `v` (one cotangent per differentiable
 * forward input), as one array per differentiable result. Consumes `v`; captures are shared.
 */
const transpose = (
  g: CallableFunction,
  where: string,
  metas: ReadonlyArray<Meta>,
  k: number,
  diffR: ReadonlyArray<number>,
  diffA: ReadonlyArray<number>,
  captures: ReadonlyArray<Value>,
  v: ReadonlyArray<JaxArray>
): Array<JaxArray> => {
  const primals = diffR.map((i) => np.zeros([...metas[i]!.shape], { dtype: jaxDtypeOf(metas[i]!.dtype, where) as np.DType }))
  transposing++
  try {
    const [out, pullback] = vjp((...dys: Array<JaxArray>) => {
      const args: Array<Value> = metas.map((m, i) => {
        const q = diffR.indexOf(i)
        return q >= 0 ? arrayValue(dys[q]!, m.dtype) : zerosOf(m.dtype, m.shape)
      })
      for (const c of captures) args.push(c.kind === "array" ? arrayValue(c.array.ref, c.dtype) : c)
      const grads = g.call(args)
      const picked: Array<JaxArray> = []
      try {
        diffA.forEach((j, q) => {
          const gv = grads[j - k]
          if (gv === undefined || (gv.kind !== "array" && gv.kind !== "static")) {
            throw new ConversionError({ where, what: `gradient function ${g.name} returned no gradient for input ${j - k}` })
          }
          grads[j - k] = { kind: "static", tensor: { dtype: "float32", shape: [], data: new Float32Array(1) } }
          const arr = gv.kind === "array" ? gv.array : hostToArray(gv.tensor, where)
          const want = v[q]!.shape
          if (arr.shape.length !== want.length || arr.shape.some((d, e) => d !== want[e])) {
            arr.dispose()
            throw new ConversionError({ where, what: `gradient function ${g.name} returned shape [${arr.shape}] for an input of shape [${want}]` })
          }
          picked.push(arr.dtype === v[q]!.dtype ? arr : arr.astype(v[q]!.dtype))
        })
      } finally {
        grads.forEach(disposeValue)
      }
      return picked
    }, primals)
    out.forEach((o) => o.dispose())
    try {
      return pullback([...v]) as Array<JaxArray>
    } finally {
      pullback.dispose()
    }
  } finally {
    transposing--
  }
}

export const gradientOps = [stopGradient, preventGradient, identityN]
