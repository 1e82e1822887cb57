/**
 * Loops: `While` / `StatelessWhile` (`cond`, `body`). jax-js has no while primitive, so the
 * loop is driven from JavaScript, one iteration at a time, deciding each predicate as well as
 * the context allows (DESIGN §9):
 *
 * (a) static predicate — the loop state that decides it is static (counters, shapes): the
 *     iteration runs unconditionally; the loop is unrolled while tracing and fully jit-able;
 * (b) concrete predicate — a traced value jax-js can read (eager, or `grad`/`jvp`/`vjp`
 *     without `jit`): a host-driven loop; gradients flow through the iterations that ran;
 * (c) abstract predicate (under `jit`, or per example under `vmap`) — a masked unroll: each
 *     iteration computes `state = where(running, body(state), state)`; under `jit` this needs a
 *     bound: TF2's `maximum_iterations` (the loop's second loop variable, when static) or the
 *     `whileLoopMaxIterations` flag (the caller promises the loop ends within that many
 *     iterations; it is cut there otherwise). Under eager `vmap` the loop runs until no example
 *     is running. Without a bound under `jit`: a `ConversionError` naming the loop and these
 *     options.
 *
 * Loop variables the body returns unchanged (loop invariants, variable handles, shape
 * constants) are never masked and stay static. Masking needs loop variables that keep their
 * shape (an uninitialised TensorList, of zero size, may grow once) and a body and predicate
 * that assign no variables. Random ops in the loop get a fresh key per iteration (the node's
 * key is split with jax-js's threefry `random.split`).
 *
 * Masked iterations evaluate the body after an example has finished; their results are
 * discarded by `where`, but a body that produces inf/NaN there can still turn gradients into
 * NaN (0·inf), as in JAX.
 */
import { lax, numpy as np } from "@jax-js/jax"
import type { BuildContext, JaxArray, OpContext, Value } from "@tf2jax/core"
import { Attr, ConversionError, arrayValue, defineOp, disposeValue, hostValues, splitWithJax } from "@tf2jax/core"
import { Schema } from "effect"
import { assignsVariables, passThroughOutputs } from "../internal/functions.js"
import { decide, readConcrete, select, share } from "../internal/values.js"

/** Iterations a loop without a bound may run on the host before we call it runaway. */
export const MAX_HOST_ITERATIONS = 1_000_000

interface LoopInfo {
  /** Per loop variable: the body returns it unchanged. */
  readonly invariant: ReadonlyArray<boolean>
  /** The loop variable holding TF2's `maximum_iterations`, if the loop has that layout. */
  readonly maxIterationsVar: number | undefined
  /** The body or the predicate assigns variables. */
  readonly assigns: boolean
}

/** Loop facts, keyed by the node's decoded attrs (fresh per conversion). */
const loopInfo = new WeakMap<object, LoopInfo>()

const analyse = (cond: string, body: string, T: ReadonlyArray<string>, ctx: BuildContext): LoopInfo => {
  const fn = ctx.library.functions.get(body)
  const through = fn ? passThroughOutputs(fn) : []
  const invariant = T.map((_, i) => through[i] === i)
  // TF2 while_v2 loops: (loop_counter, maximum_iterations, *user vars, *captures); the body
  // returns maximum_iterations unchanged. Its arg is named "<scope>maximum_iterations".
  const second = fn?.signature.inputs[1]?.name ?? ""
  const maxIterationsVar = second.endsWith("maximum_iterations") && invariant[1] && (T[1] === "int32" || T[1] === "int64") ? 1 : undefined
  return { invariant, maxIterationsVar, assigns: assignsVariables(body, ctx.library) || assignsVariables(cond, ctx.library) }
}

const staticScalar = (v: Value | undefined): number | undefined =>
  v?.kind === "static" && v.tensor.shape.length === 0 ? hostValues(v.tensor)[0] : undefined

export const whileOp = defineOp({
  ops: ["While", "StatelessWhile"],
  attrs: Schema.Struct({
    T: Attr.types,
    cond: Attr.func,
    body: Attr.func,
    output_shapes: Schema.optionalKey(Attr.shapes),
    parallel_iterations: Schema.optionalKey(Attr.int),
    shape_invariant: Schema.optionalKey(Attr.bool)
  }),
  inputs: "raw",
  calls: (a) => [a.cond.name, a.body.name],
  check: (a, ctx) => {
    loopInfo.set(a, analyse(a.cond.name, a.body.name, a.T, ctx))
  },
  run: (ctx, inputs, a) => runLoop(ctx, inputs as Array<Value>, a.cond.name, a.body.name, loopInfo.get(a)!)
})

const runLoop = (ctx: OpContext, initial: Array<Value>, condName: string, bodyName: string, info: LoopInfo): Array<Value> => {
  const condFn = ctx.fn(condName)
  const bodyFn = ctx.fn(bodyName)
  const random = condFn.needsRng || bodyFn.needsRng
  let key: JaxArray | undefined = random ? ctx.rng() : undefined
  let vars = initial
  /** Under masking: which examples (or whether the run) are still iterating. */
  let running: JaxArray | undefined
  let bound: number | undefined
  let iteration = 0
  try {
    if (bodyFn.outputCount !== vars.length) {
      throw new ConversionError({ where: ctx.where, what: `body ${bodyName} returns ${bodyFn.outputCount} values for ${vars.length} loop variables` })
    }
    for (;;) {
      if (bound !== undefined && iteration >= bound) break
      if (bound === undefined && iteration >= MAX_HOST_ITERATIONS) {
        throw new ConversionError({ where: ctx.where, what: `the loop did not end after ${MAX_HOST_ITERATIONS} iterations` })
      }
      let condKey: JaxArray | undefined
      let bodyKey: JaxArray | undefined
      if (key) {
        const [next, k1, k2] = splitWithJax(key, 3) as [JaxArray, JaxArray, JaxArray]
        key = next
        if (condFn.needsRng) condKey = k1
        else k1.dispose()
        if (bodyFn.needsRng) bodyKey = k2
        else k2.dispose()
      }
      const predicate = condFn.call(vars.map(share), condKey)
      const [p, ...rest] = predicate
      rest.forEach(disposeValue)
      if (p === undefined) throw new ConversionError({ where: ctx.where, what: `cond ${condName} returned no value` })
      const d = decide(p, ctx.where)
      let step: JaxArray | undefined
      if (d.kind === "known") {
        if (!d.value) {
          bodyKey?.dispose()
          break
        }
        step = running?.ref
      } else {
        if (d.concrete === undefined && bound === undefined) {
          bound = boundOf(ctx, vars, info)
          if (bound === undefined) {
            d.mask.dispose()
            bodyKey?.dispose()
            throw new ConversionError({
              where: ctx.where,
              what:
                `the loop's predicate (${condName}) depends on traced values and has no concrete value here (under jit); ` +
                "call the function without jit (eager or grad drive the loop from JavaScript), export the loop with " +
                "maximum_iterations, or set the whileLoopMaxIterations flag to unroll it masked (jit/vmap-able)"
            })
          }
          if (iteration >= bound) {
            d.mask.dispose()
            bodyKey?.dispose()
            break
          }
        }
        step = running === undefined ? d.mask : np.logicalAnd(running, d.mask)
        running = undefined
        if (d.concrete !== undefined) {
          const c = readConcrete(step)
          if (c !== undefined && !Array.prototype.some.call(c.values, (x: number) => x !== 0)) {
            running = step
            bodyKey?.dispose()
            break
          }
        }
      }
      // `vars` is emptied while the body owns it, so an error releases nothing twice.
      const current = vars
      vars = []
      if (step === undefined) {
        vars = bodyFn.call(current, bodyKey)
      } else {
        if (info.assigns) {
          vars = current
          step.dispose()
          bodyKey?.dispose()
          throw new ConversionError({
            where: ctx.where,
            what: `the loop assigns variables, so it cannot be unrolled masked (its predicate is traced); call the function without jit`
          })
        }
        running?.dispose()
        running = step
        vars = maskedStep(ctx, bodyFn.call(current.map(share), bodyKey), current, step, info)
      }
      iteration++
    }
    return vars
  } catch (e) {
    vars.forEach(disposeValue)
    throw e
  } finally {
    running?.dispose()
    key?.dispose()
  }
}

/**
 * `where(step, next, old)` per loop variable; invariants keep the old value. Consumes all but
 * `step`. Numeric results pass through `barrier`.
 */
const maskedStep = (ctx: OpContext, next: Array<Value>, old: Array<Value>, step: JaxArray, info: LoopInfo): Array<Value> =>
  next.map((n, i) => {
    if (info.invariant[i]) {
      disposeValue(n)
      return old[i]!
    }
    const v = select(step.ref, n, old[i]!, ctx.where, `loop variable ${i}`)
    return v.kind === "array" ? arrayValue(barrier(v.array), v.dtype) : v
  })

/**
 * The value unchanged, through a 1×1 matmul (exact: x·1). jax-js's jit fuses element-wise
 * chains by inlining them, and a masked unroll uses every loop variable twice per iteration
 * (in the body and in `where`), so without a kernel boundary the backward pass's fused
 * expressions double each iteration: measured, `jit(grad)` of a 16-iteration masked loop took
 * 19 s to compile, and 0.3 s with this boundary (a dot kernel materialises its operands).
 */
const barrier = (x: JaxArray): JaxArray => {
  if (x.dtype !== np.float32 && x.dtype !== np.float64 && x.dtype !== np.int32) return x
  // Integers carry no gradient; without the stop, the matmul gives an int32 counter a tangent
  // and jax-js then evaluates `remainder` on it wrongly (FloorMod flipped branches in jit(grad)).
  if (x.dtype === np.int32) x = lax.stopGradient(x)
  const shape = x.shape
  return np.matmul(x.reshape([...shape, 1]), np.ones([1, 1], { dtype: x.dtype })).reshape(shape)
}

/** The masked-unroll bound: a static `maximum_iterations` ≥ 0, else the flag, else none. */
const boundOf = (ctx: OpContext, vars: ReadonlyArray<Value>, info: LoopInfo): number | undefined => {
  if (info.maxIterationsVar !== undefined) {
    const m = staticScalar(vars[info.maxIterationsVar])
    if (m !== undefined && m >= 0) return m
  }
  const flag = ctx.config.whileLoopMaxIterations
  return flag > 0 ? flag : undefined
}

export const whileOps = [whileOp]
