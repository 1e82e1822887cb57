/**
 * Test-only harness: load real TensorFlow fixtures from disk, convert them with a chosen set of
 * op packs, and decode the expected tensors TensorFlow recorded.
 */
import { NodeServices } from "@effect/platform-node"
import { numpy as np } from "@jax-js/jax"
import type { Convertible, ConvertedFunction, ConvertedFunctional, JaxArray, OpPack, TfModel } from "@tf2jax/core"
import { convertFromRestored, convertFunctionalFromRestored, loadModelFromPath, OpRegistry, Prng } from "@tf2jax/core"
import { Effect, Layer } from "effect"
import { existsSync, readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { nnPack } from "@tf2jax/ops-nn"
import { controlPack } from "../pack.js"

const here = dirname(fileURLToPath(import.meta.url))
export const repoRoot = resolve(here, "../../../..")
export const fixtures = join(repoRoot, "fixtures")

/** shared/testdata, if present (see packages/core/src/test-util/paths.ts). */
export const sharedTestdata: string | undefined = [process.env["TF2JAX_SHARED_TESTDATA"], join(repoRoot, "../shared/testdata"), "/work/shared/testdata"].find(
  (p): p is string => p !== undefined && p !== "" && existsSync(join(p, "README.md"))
)

/** The packs for control-flow tests: the math/array/nn ops the fixtures use, and ops-control. */
export const controlPacks: ReadonlyArray<OpPack> = [nnPack, controlPack]

export const loadModel = (dir: string): Promise<TfModel> =>
  Effect.runPromise(loadModelFromPath(dir).pipe(Effect.provide(NodeServices.layer)) as Effect.Effect<TfModel, unknown>)

const layerOf = (packs: ReadonlyArray<OpPack>) => Layer.mergeAll(OpRegistry.layer(packs), Prng.layer)

export const functional = (target: Convertible, packs: ReadonlyArray<OpPack> = controlPacks): ConvertedFunctional =>
  Effect.runSync(convertFunctionalFromRestored(target).pipe(Effect.provide(layerOf(packs))))

export const withParams = (
  target: Convertible,
  packs: ReadonlyArray<OpPack> = controlPacks
): { fn: ConvertedFunction; params: Record<string, JaxArray> } => Effect.runSync(convertFromRestored(target).pipe(Effect.provide(layerOf(packs))))

/** A tensor as the generators store it. */
export interface Encoded {
  readonly dtype: string
  readonly shape: ReadonlyArray<number>
  readonly data_base64_le: string
}

export const readJson = (path: string): any => JSON.parse(readFileSync(path, "utf8"))

/** Decoded values as JS numbers (int64 → number, bool → 0/1). */
export const decode = (t: Encoded): Array<number> => {
  const bytes = Buffer.from(t.data_base64_le, "base64")
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const n = t.shape.reduce((a, b) => a * b, 1)
  const out: Array<number> = []
  for (let i = 0; i < n; i++) {
    switch (t.dtype) {
      case "float32":
        out.push(dv.getFloat32(i * 4, true))
        break
      case "float64":
        out.push(dv.getFloat64(i * 8, true))
        break
      case "int32":
        out.push(dv.getInt32(i * 4, true))
        break
      case "int64":
        out.push(Number(dv.getBigInt64(i * 8, true)))
        break
      case "bool":
        out.push(dv.getUint8(i))
        break
      default:
        throw new TypeError(`dtype ${t.dtype}`)
    }
  }
  return out
}

/** A new jax-js array holding an encoded tensor (caller owns it). */
export const toJax = (t: Encoded): JaxArray => {
  const v = decode(t)
  const shape = [...t.shape]
  if (t.dtype === "float32") return np.array(Float32Array.from(v), { shape, dtype: np.float32 })
  if (t.dtype === "float64") return np.array(Float64Array.from(v), { shape, dtype: np.float64 })
  if (t.dtype === "bool") return np.array(Int32Array.from(v), { shape, dtype: np.int32 }).astype(np.bool)
  return np.array(Int32Array.from(v), { shape, dtype: np.int32 })
}

/** Reads an array (consumed) as numbers. */
export const values = (a: JaxArray): Array<number> => Array.from(a.dataSync() as ArrayLike<number>)

/** Max |a − b| relative to max(1, |b|), or Infinity on a length mismatch. */
export const maxRelErr = (got: ReadonlyArray<number>, want: ReadonlyArray<number>): number => {
  if (got.length !== want.length) return Infinity
  let m = 0
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!))
    m = Math.max(m, Number.isNaN(e) ? Infinity : e)
  }
  return m
}

/** Asserts closeness (rtol scaled by max(1,|want|)); returns a message or "" for tests. */
export const close = (label: string, got: ReadonlyArray<number>, want: ReadonlyArray<number>, tol = 1e-5): string => {
  const e = maxRelErr(got, want)
  return e <= tol ? "" : `${label}: got [${got.slice(0, 8).join(", ")}] want [${want.slice(0, 8).join(", ")}] (err ${e})`
}
