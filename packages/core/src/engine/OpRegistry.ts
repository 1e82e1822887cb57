/**
 * The op registry service: TensorFlow op type → converter, built from op packs. Each pack
 * states the core contract version it implements; a pack whose major version differs is
 * refused with `IncompatibleOpPackError`. Later packs override earlier ones for the same op,
 * so users can replace or add converters (tf2jax users had to patch a private registry).
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import { IncompatibleOpPackError } from "../errors.js"
import { builtinPack } from "./builtinOps.js"
import type { OpConverter, OpPack } from "./OpConverter.js"
import { CORE_CONTRACT_VERSION } from "./OpConverter.js"

export interface OpRegistryShape {
  readonly get: (op: string) => OpConverter<unknown> | undefined
  /** Every registered op type, sorted. */
  readonly ops: ReadonlyArray<string>
  /** The packs in registration order. */
  readonly packs: ReadonlyArray<{ readonly name: string; readonly version: string }>
}

const major = (v: string): string => v.split(".")[0] ?? v

/** Checks a pack against the core contract. */
export const checkPack = (pack: OpPack): Effect.Effect<OpPack, IncompatibleOpPackError> =>
  major(pack.contract) === major(CORE_CONTRACT_VERSION)
    ? Effect.succeed(pack)
    : Effect.fail(new IncompatibleOpPackError({ pack: `${pack.name}@${pack.version}`, packContract: pack.contract, coreContract: CORE_CONTRACT_VERSION }))

/** A registry of `base` (if any) with `packs` registered on top, in order. */
const build = (packs: ReadonlyArray<OpPack>, base?: OpRegistryShape): OpRegistryShape => {
  const table = new Map<string, OpConverter<unknown>>()
  for (const op of base?.ops ?? []) table.set(op, base!.get(op)!)
  for (const pack of packs) for (const c of pack.converters) for (const op of c.ops) table.set(op, c as OpConverter<unknown>)
  return {
    get: (op) => table.get(op),
    ops: [...table.keys()].sort(),
    packs: [...(base?.packs ?? []), ...packs.map((p) => ({ name: p.name, version: p.version }))]
  }
}

/** Makes a registry from packs (the core built-ins always come first). */
export const makeOpRegistry = (packs: ReadonlyArray<OpPack>): Effect.Effect<OpRegistryShape, IncompatibleOpPackError> =>
  Effect.map(Effect.forEach(packs, checkPack), (checked) => build([builtinPack, ...checked]))

export class OpRegistry extends Context.Service<OpRegistry, OpRegistryShape>()("@tf2jax/core/engine/OpRegistry") {
  /** A registry holding the core built-ins and `packs`, in that order. */
  static layer(packs: ReadonlyArray<OpPack>): Layer.Layer<OpRegistry, IncompatibleOpPackError> {
    return Layer.effect(OpRegistry, Effect.map(makeOpRegistry(packs), (r) => OpRegistry.of(r)))
  }

  /** Extends the registry provided below it with `packs` (for composing pack layers). */
  static extend(packs: ReadonlyArray<OpPack>): Layer.Layer<OpRegistry, IncompatibleOpPackError, OpRegistry> {
    return Layer.effect(
      OpRegistry,
      Effect.gen(function* () {
        const base = yield* OpRegistry
        return OpRegistry.of(build(yield* Effect.forEach(packs, checkPack), base))
      })
    )
  }
}
