/**
 * tf2jax for jax-js: TensorFlow models (SavedModel, GraphDef, Hub, TF.js, jax2tf) as jax-js
 * functions. This package bundles `@tf2jax/core` with every op pack and offers the Promise
 * API; Effect users can use `@tf2jax/core` and the packs' layers directly.
 *
 * @since 0.1.0
 */
export { loadModel } from "./load.js"
export {
  convert,
  convertFromRestored,
  convertFunctional,
  convertFunctionalFromRestored,
  registerOpPack
} from "./api.js"
export { allPacks, DefaultLayer } from "./layers.js"
export {
  getConfig,
  updateConfig,
  overrideConfig,
  DEFAULT_CONFIG,
  type TfConfig,
  type ConfigName
} from "@tf2jax/core"
export type {
  ConvertedFunction,
  ConvertedFunctional,
  Convertible,
  GraphFunction,
  Inputs,
  Outputs,
  Params,
  CallOptions,
  TfModel,
  Signature,
  ConcreteFunction,
  RestoredFunction,
  Variable,
  TensorSpec
} from "@tf2jax/core"
export {
  InvalidModelError,
  ModelFileNotFoundError,
  UnsupportedOpsError,
  InvalidAttrError,
  UnsupportedDtypeError,
  StaticValueRequiredError,
  ShapeMismatchError,
  DtypeMismatchError,
  MissingInputError,
  MissingRngKeyError,
  PreventGradientError,
  PlatformMismatchError,
  IncompatibleOpPackError,
  ConversionError,
  ConfigError
} from "@tf2jax/core"
export * as core from "@tf2jax/core"
