/**
 * Runs an Effect as a Promise that rejects with our tagged error itself (not a wrapper), so
 * Promise users can `catch (e) { if (e instanceof ShapeMismatchError) … }`.
 */
import { Cause, Effect, Exit } from "effect"

export const runPromise = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
  Effect.runPromiseExit(effect).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  })
