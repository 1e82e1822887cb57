/** Array and shape converters. */
import type { OpConverter } from "@tf2jax/core"

export const arrayOps: ReadonlyArray<OpConverter<any>> = []
