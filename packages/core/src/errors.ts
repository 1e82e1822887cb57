/**
 * Typed errors: one class per failure kind, each carrying what a user needs to act
 * (DESIGN §6). Every error is a `Schema.TaggedError`, so it is yieldable in Effect code,
 * matchable with `Effect.catchTag`, and a real `Error` with a one-line `message` when thrown
 * from a converted (plain) function.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A model file is malformed, truncated, inconsistent or of an unsupported kind.
 * `file` names the file (relative to the model root), `where` the byte offset or field
 * path, `what` what was expected or found.
 */
export class InvalidModelError extends Schema.TaggedError<InvalidModelError>()("InvalidModelError", {
  file: Schema.String,
  where: Schema.String,
  what: Schema.String
}) {
  override get message(): string {
    return this.where === "" ? `${this.file}: ${this.what}` : `${this.file}: ${this.where}: ${this.what}`
  }
}

/** A file the model needs is not there (or cannot be read). */
export class ModelFileNotFoundError extends Schema.TaggedError<ModelFileNotFoundError>()("ModelFileNotFoundError", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.file}: ${this.reason}`
  }
}

/** One op type that no registered converter handles, with how often it occurs and one node using it. */
export const UnsupportedOp = Schema.Struct({
  op: Schema.String,
  count: Schema.Number,
  exampleNode: Schema.String,
  /** The function the example node lives in ("" = top-level graph). */
  exampleFunction: Schema.String
})
export type UnsupportedOp = typeof UnsupportedOp.Type

/** Conversion found op types without a converter. Lists all of them at once. */
export class UnsupportedOpsError extends Schema.TaggedError<UnsupportedOpsError>()("UnsupportedOpsError", {
  ops: Schema.Array(UnsupportedOp)
}) {
  override get message(): string {
    const list = this.ops
      .map((o) => `${o.op} (×${o.count}, e.g. node "${o.exampleNode}"${o.exampleFunction ? ` in ${o.exampleFunction}` : ""})`)
      .join(", ")
    return `Unsupported operations in graph: ${list}`
  }
}

/** A node's attribute is missing, unknown to its op, or has a value the op does not handle. */
export class InvalidAttrError extends Schema.TaggedError<InvalidAttrError>()("InvalidAttrError", {
  node: Schema.String,
  op: Schema.String,
  attr: Schema.String,
  what: Schema.String
}) {
  override get message(): string {
    return `node "${this.node}" (${this.op}): attr "${this.attr}": ${this.what}`
  }
}

/** A TensorFlow dtype that jax-js cannot represent for this use. */
export class UnsupportedDtypeError extends Schema.TaggedError<UnsupportedDtypeError>()("UnsupportedDtypeError", {
  dtype: Schema.String,
  where: Schema.String,
  what: Schema.String
}) {
  override get message(): string {
    return `${this.where}: dtype ${this.dtype}: ${this.what}`
  }
}

/** An op needs a value at conversion/trace time (a shape, an axis…) but got a traced array. */
export class StaticValueRequiredError extends Schema.TaggedError<StaticValueRequiredError>()(
  "StaticValueRequiredError",
  { node: Schema.String, op: Schema.String, input: Schema.String, what: Schema.String }
) {
  override get message(): string {
    return `node "${this.node}" (${this.op}) needs input ${this.input} to be static: ${this.what}`
  }
}

/** A call-time input does not have the shape the function was converted for. */
export class ShapeMismatchError extends Schema.TaggedError<ShapeMismatchError>()("ShapeMismatchError", {
  input: Schema.String,
  expected: Schema.String,
  actual: Schema.String
}) {
  override get message(): string {
    return `input "${this.input}": expected shape ${this.expected}, got ${this.actual} (disable with strictShapeCheck=false)`
  }
}

/** A call-time input does not have the dtype the function was converted for. */
export class DtypeMismatchError extends Schema.TaggedError<DtypeMismatchError>()("DtypeMismatchError", {
  input: Schema.String,
  expected: Schema.String,
  actual: Schema.String
}) {
  override get message(): string {
    return `input "${this.input}": expected dtype ${this.expected}, got ${this.actual}`
  }
}

/** A converted function was called without one of its inputs (or params). */
export class MissingInputError extends Schema.TaggedError<MissingInputError>()("MissingInputError", {
  missing: Schema.Array(Schema.String),
  expected: Schema.String
}) {
  override get message(): string {
    return `missing input(s) ${this.missing.map((m) => `"${m}"`).join(", ")}; expected ${this.expected}`
  }
}

/** A function that contains random ops was called without an `rng` key. */
export class MissingRngKeyError extends Schema.TaggedError<MissingRngKeyError>()("MissingRngKeyError", {
  function: Schema.String,
  randomNodes: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `${this.function} uses random ops (${this.randomNodes.slice(0, 3).join(", ")}${
      this.randomNodes.length > 3 ? ", …" : ""
    }); pass { rng: key } when calling it`
  }
}

/** A PreventGradient op was differentiated (tf2jax raises LookupError). */
export class PreventGradientError extends Schema.TaggedError<PreventGradientError>()("PreventGradientError", {
  node: Schema.String,
  what: Schema.String
}) {
  override get message(): string {
    return `gradient requested through PreventGradient node "${this.node}": ${this.what}`
  }
}

/** An XlaCallModule was lowered for platforms that do not include ours. */
export class PlatformMismatchError extends Schema.TaggedError<PlatformMismatchError>()("PlatformMismatchError", {
  node: Schema.String,
  platforms: Schema.Array(Schema.String),
  current: Schema.String
}) {
  override get message(): string {
    return `XlaCallModule "${this.node}" was lowered for [${this.platforms.join(", ")}], not ${this.current} (set xlacallmoduleStrictChecks=false to try anyway)`
  }
}

/** An op pack implements a core contract version this core does not accept. */
export class IncompatibleOpPackError extends Schema.TaggedError<IncompatibleOpPackError>()(
  "IncompatibleOpPackError",
  { pack: Schema.String, packContract: Schema.String, coreContract: Schema.String }
) {
  override get message(): string {
    return `op pack ${this.pack} implements core contract ${this.packContract}, but this core provides ${this.coreContract}`
  }
}

/** Something the converter does not support in this model (with the reason and what to do). */
export class ConversionError extends Schema.TaggedError<ConversionError>()("ConversionError", {
  where: Schema.String,
  what: Schema.String
}) {
  override get message(): string {
    return `${this.where}: ${this.what}`
  }
}

/** Every error a model reader can fail with. */
export type ReadError = InvalidModelError | ModelFileNotFoundError
