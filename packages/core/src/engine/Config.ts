/**
 * Configuration: tf2jax's 13 flags, camelCased, with the same defaults, plus our own.
 *
 * Two ways to set them, sharing one store:
 * - plain code: `getConfig`, `updateConfig`, `overrideConfig(name, value, thunk)` (scoped,
 *   restored even when the thunk throws) — like tf2jax's `override_config`;
 * - Effect code: `withConfig(name, value)(effect)` overrides for that effect only.
 *
 * Flags tf2jax reads when converting are read when converting here (and the Effect-scoped
 * overrides in force then are kept with the converted function); flags tf2jax reads when the
 * function runs (strict shape/dtype checks, resize precision …) are read at each call.
 *
 * @since 0.1.0
 */
import { Context, Effect, Schema } from "effect"

export interface TfConfig {
  /** Call time: inputs must match the converted shapes (unknown dims are wildcards). */
  readonly strictShapeCheck: boolean
  /** Call time: inputs must have the converted dtypes. */
  readonly strictDtypeCheck: boolean
  /** Conversion time: float32 constants become bfloat16-rounded. */
  readonly forceConstFloat32ToBfloat16: boolean
  /** Conversion time: float64 constants become bfloat16-rounded. */
  readonly forceConstFloat64ToBfloat16: boolean
  /** Conversion time: use saved custom gradients (IdentityN `_gradient_op_type`). */
  readonly convertCustomGradient: boolean
  /** Conversion time: jax2tf's `Maximum(x, 0)` relu pattern becomes Relu. */
  readonly inferReluFromJax2tf: boolean
  /** Call time: jax2tf reduce_window patterns become cumulative reductions. */
  readonly inferCumulativeReductionFromJax2tf: boolean
  /** Conversion time: differentiating through PreventGradient throws (else identity + warning). */
  readonly raiseOnPreventGradient: boolean
  /** Call time: ResizeBilinear precision ("highest" in tf2jax; kept for API parity). */
  readonly resizeBilinearPrecision: string
  /** Call time: CheckNumerics checks values (jax-js has no checkify; we check eagerly only). */
  readonly enableCheckifyForAsserts: boolean
  /** Call time: XlaCallModule platforms must include ours. */
  readonly xlacallmoduleStrictChecks: boolean
  /** Call time: TensorListGetItem skips its element-dtype assert. */
  readonly disableAssertInTensorListGetItem: boolean
  /** tf2jax: skip reading variables inside a TF trace (no TF here; kept for API parity). */
  readonly skipVariablesEvaluationInsideTfTracing: boolean
  /** Ours: bound for While loops whose trip count is not static (masked unroll); 0 = none. */
  readonly whileLoopMaxIterations: number
}

export const DEFAULT_CONFIG: TfConfig = {
  strictShapeCheck: true,
  strictDtypeCheck: false,
  forceConstFloat32ToBfloat16: false,
  forceConstFloat64ToBfloat16: false,
  convertCustomGradient: true,
  inferReluFromJax2tf: true,
  inferCumulativeReductionFromJax2tf: true,
  raiseOnPreventGradient: true,
  resizeBilinearPrecision: "highest",
  enableCheckifyForAsserts: false,
  xlacallmoduleStrictChecks: true,
  disableAssertInTensorListGetItem: false,
  skipVariablesEvaluationInsideTfTracing: false,
  whileLoopMaxIterations: 0
}

export type ConfigName = keyof TfConfig

/** An unknown flag name or a value of the wrong type. */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  name: Schema.String,
  what: Schema.String
}) {
  override get message(): string {
    return `config "${this.name}": ${this.what}`
  }
}

let global: TfConfig = { ...DEFAULT_CONFIG }

const check = (name: string, value: unknown): void => {
  if (!Object.prototype.hasOwnProperty.call(DEFAULT_CONFIG, name)) {
    throw new ConfigError({ name, what: `unknown flag; known flags: ${Object.keys(DEFAULT_CONFIG).join(", ")}` })
  }
  const expected = typeof DEFAULT_CONFIG[name as ConfigName]
  if (typeof value !== expected) throw new ConfigError({ name, what: `expected a ${expected}, got ${typeof value}` })
}

/** Reads a flag (plain API). */
export const getConfig = <K extends ConfigName>(name: K): TfConfig[K] => {
  check(name, global[name])
  return global[name]
}

/** Sets a flag globally (plain API). */
export const updateConfig = <K extends ConfigName>(name: K, value: TfConfig[K]): void => {
  check(name, value)
  global = { ...global, [name]: value }
}

/**
 * Runs `thunk` with a flag set, restoring the previous value afterwards — also when it throws,
 * and, for a thunk returning a Promise, when that promise settles.
 */
export const overrideConfig = <K extends ConfigName, R>(name: K, value: TfConfig[K], thunk: () => R): R => {
  check(name, value)
  const previous = global[name]
  global = { ...global, [name]: value }
  let restoreNow = true
  try {
    const result = thunk()
    if (result instanceof Promise) {
      restoreNow = false
      return result.finally(() => {
        global = { ...global, [name]: previous }
      }) as R
    }
    return result
  } finally {
    if (restoreNow) global = { ...global, [name]: previous }
  }
}

/** The whole global configuration (plain API). */
export const currentGlobalConfig = (): TfConfig => global

/** Effect-scoped overrides on top of the global configuration. */
export const ConfigOverrides = Context.Reference<Partial<TfConfig>>("@tf2jax/core/engine/ConfigOverrides", {
  defaultValue: () => ({})
})

/** The configuration in force in an Effect: global values with the scoped overrides applied. */
export const currentConfig: Effect.Effect<TfConfig> = Effect.gen(function* () {
  const overrides = yield* ConfigOverrides
  return { ...global, ...overrides }
})

/** Overrides one flag for `self` only (the Effect counterpart of `overrideConfig`). */
export const withConfig =
  <K extends ConfigName>(name: K, value: TfConfig[K]) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | ConfigError, R> =>
    Effect.gen(function* () {
      try {
        check(name, value)
      } catch (e) {
        return yield* Effect.fail(e as ConfigError)
      }
      return yield* Effect.updateService(self, ConfigOverrides, (o) => ({ ...o, [name]: value }))
    })
