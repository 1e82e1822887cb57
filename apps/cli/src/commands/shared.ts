/**
 * Pieces shared by the commands.
 */
import type { Signature, TfModel } from "@tf2jax/core"
import { Effect, Schema } from "effect"

/** A command-line usage mistake the parser cannot see (e.g. a malformed --input). */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", { what: Schema.String }) {
  override get message(): string {
    return this.what
  }
}

/** `tf2jax check` found unsupported ops (already listed on stdout). */
export class UnsupportedFound extends Schema.TaggedError<UnsupportedFound>()("UnsupportedFound", { count: Schema.Number }) {
  override get message(): string {
    return `${this.count} unsupported op type(s)`
  }
}

/** The named signature, else `serving_default`, else the only one. */
export const pickSignature = (model: TfModel, key: string | undefined): Effect.Effect<Signature, UsageError> => {
  const keys = Object.keys(model.signatures)
  const chosen = key ?? (keys.includes("serving_default") ? "serving_default" : keys.length === 1 ? keys[0] : undefined)
  const sig = chosen === undefined ? undefined : model.signatures[chosen]
  return sig
    ? Effect.succeed(sig)
    : Effect.fail(new UsageError({ what: `choose a signature with --signature (available: ${keys.join(", ") || "none"})` }))
}
