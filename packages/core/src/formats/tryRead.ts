/**
 * Runs synchronous parsing code inside an Effect. Parsers throw `InvalidModelError`; anything
 * else thrown is a bug in the reader, reported as an `InvalidModelError` that says so (the
 * fuzz tests look for "unexpected" to catch such bugs rather than let them pass silently).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { InvalidModelError, ModelFileNotFoundError } from "../errors.js"

/** Wraps an unknown thrown value as a read error. */
export const asReadError = (file: string, where: string) => (e: unknown): InvalidModelError | ModelFileNotFoundError =>
  e instanceof InvalidModelError || e instanceof ModelFileNotFoundError
    ? e
    : new InvalidModelError({ file, where, what: `unexpected error while reading: ${e instanceof Error ? e.message : String(e)}` })

/** `Effect.try` for parser code. */
export const tryRead = <A>(file: string, where: string, thunk: () => A): Effect.Effect<A, InvalidModelError | ModelFileNotFoundError> =>
  Effect.try({ try: thunk, catch: asReadError(file, where) })
