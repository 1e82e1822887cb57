/**
 * The TF.js weights manifest → host tensors. A group's shard files, concatenated in `paths`
 * order, hold its weights back to back in list order. Weights are views of the shard bytes
 * where possible (one read, no copy); only weights that cross a shard boundary or need
 * dequantization are copied. Every size is checked against the bytes present before any
 * tensor is allocated, so a manifest cannot make us allocate more than the files justify.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { InvalidModelError } from "../../errors.js"
import type { ReadError } from "../../errors.js"
import type { HostTensor } from "../../HostTensor.js"
import { formatShape, fromLittleEndianBytes, halfToFloat, numElements } from "../../HostTensor.js"
import { dirname, joinRelative, safeRelativePath, type ModelSource } from "../../io/ModelSource.js"
import type { ReadOptions } from "../options.js"
import { tryRead } from "../tryRead.js"
import type { QuantizationJson, WeightDType, WeightGroupJson } from "./modelJson.js"
import { jsonPath } from "./modelJson.js"

/** One manifest entry, validated, with its byte size (undefined for strings: known only when read). */
export interface WeightSpec {
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly dtype: WeightDType
  readonly quantization: QuantizationJson | undefined
  readonly byteLength: number | undefined
  /** JSON path of the entry ("weightsManifest[0].weights[3]"). */
  readonly where: string
}

/** One manifest group: resolved shard paths and its weights. */
export interface WeightGroupPlan {
  readonly index: number
  /** Shard paths relative to the source root. */
  readonly paths: ReadonlyArray<string>
  readonly weights: ReadonlyArray<WeightSpec>
  /** Bytes the group needs at least (strings count their 4-byte length prefixes only). */
  readonly minBytes: number
}

const ELEMENT_BYTES: Record<WeightDType, number> = { float32: 4, int32: 4, bool: 1, string: 4, complex64: 8 }
const QUANTIZED_BYTES: Record<QuantizationJson["dtype"], number> = { uint8: 1, uint16: 2, float16: 2 }

const checkQuantization = (file: string, where: string, dtype: WeightDType, q: QuantizationJson): void => {
  const bad = (what: string) => new InvalidModelError({ file, where: `${where}.quantization`, what })
  if (q.dtype === "float16") {
    if (dtype !== "float32") throw bad(`float16 quantization applies to float32 weights only, not ${dtype}`)
  } else {
    if (dtype !== "float32" && dtype !== "int32") throw bad(`${q.dtype} quantization applies to float32 and int32 weights only, not ${dtype}`)
    if (q.min === undefined || q.scale === undefined) throw bad(`${q.dtype} quantization needs "min" and "scale"`)
  }
}

/**
 * A shard path from the manifest → a path relative to the source root. Paths are relative to
 * the directory of model.json and may not leave it (no `..` above it, no absolute paths, URLs).
 */
const shardPath = (dir: string, path: string, file: string, where: string): string => {
  try {
    const rel = safeRelativePath(path, file)
    if (rel === "") throw new InvalidModelError({ file, where, what: `shard path "${path}" names no file` })
    return joinRelative(dir, rel, file)
  } catch (e) {
    if (e instanceof InvalidModelError && e.where !== where) {
      throw new InvalidModelError({ file, where, what: `shard path "${path}": ${e.what}` })
    }
    throw e
  }
}

/** Validates the manifest and computes sizes; reads nothing. `file` is model.json's path. */
export const planWeights = (manifest: ReadonlyArray<WeightGroupJson>, file: string): ReadonlyArray<WeightGroupPlan> => {
  const dir = dirname(file)
  const seen = new Map<string, string>()
  return manifest.map((group, g) => {
    const paths = group.paths.map((p, k) => shardPath(dir, p, file, jsonPath(["weightsManifest", g, "paths", k])))
    let minBytes = 0
    const weights = group.weights.map((w, k): WeightSpec => {
      const where = jsonPath(["weightsManifest", g, "weights", k])
      const previous = seen.get(w.name)
      if (previous !== undefined) {
        throw new InvalidModelError({ file, where: `${where}.name`, what: `weight "${w.name}" is also defined at ${previous}` })
      }
      seen.set(w.name, where)
      if (w.quantization) checkQuantization(file, where, w.dtype, w.quantization)
      const n = numElements(w.shape)
      const size = w.quantization ? QUANTIZED_BYTES[w.quantization.dtype] : ELEMENT_BYTES[w.dtype]
      const bytes = n * size
      minBytes += bytes
      if (!Number.isSafeInteger(n) || !Number.isSafeInteger(minBytes)) {
        throw new InvalidModelError({ file, where: `${where}.shape`, what: `shape ${formatShape(w.shape)} has too many elements` })
      }
      return {
        name: w.name,
        shape: w.shape,
        dtype: w.dtype,
        quantization: w.quantization,
        byteLength: w.dtype === "string" && !w.quantization ? undefined : bytes,
        where
      }
    })
    return { index: g, paths, weights, minBytes }
  })
}

/** The shards of a group as one byte sequence, without concatenating them. */
class ShardBytes {
  readonly starts: ReadonlyArray<number>
  readonly length: number
  constructor(readonly parts: ReadonlyArray<Uint8Array>) {
    const starts: Array<number> = []
    let total = 0
    for (const p of parts) {
      starts.push(total)
      total += p.length
    }
    this.starts = starts
    this.length = total
  }

  private partAt(offset: number): number {
    let lo = 0
    let hi = this.parts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.starts[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  /** Bytes [offset, offset + length): a view when they lie in one shard, else a copy. */
  range(offset: number, length: number): Uint8Array {
    if (length === 0) return new Uint8Array(0)
    // The last shard starting at or before `offset` holds it (empty shards share a start).
    const k = this.partAt(offset)
    const local = offset - this.starts[k]!
    const part = this.parts[k]!
    if (local + length <= part.length) return part.subarray(local, local + length)
    const out = new Uint8Array(length)
    let done = 0
    for (let p = k; done < length; p++) {
      const from = p === k ? local : 0
      const chunk = this.parts[p]!.subarray(from, Math.min(this.parts[p]!.length, from + length - done))
      out.set(chunk, done)
      done += chunk.length
    }
    return out
  }

  u32(offset: number): number {
    const b = this.range(offset, 4)
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0
  }
}

let halfTable: Float32Array | undefined

/** IEEE half → float32 for all 65536 patterns, built once (exact; 256 KiB). */
const halfLut = (): Float32Array => {
  if (!halfTable) {
    halfTable = new Float32Array(65536)
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h)
  }
  return halfTable
}

/** Quantized bytes → values, as TF.js computes them (`q·scale + min`, rounded for int32). */
const dequantize = (spec: WeightSpec, q: QuantizationJson, bytes: Uint8Array): HostTensor => {
  const n = numElements(spec.shape)
  const word = (i: number) => bytes[2 * i]! | (bytes[2 * i + 1]! << 8)
  if (q.dtype === "float16") {
    const lut = halfLut()
    const out = new Float32Array(n)
    for (let i = 0; i < n; i++) out[i] = lut[word(i)]!
    return { dtype: "float32", shape: spec.shape, data: out }
  }
  const scale = q.scale!
  const min = q.min!
  const out = spec.dtype === "int32" ? new Int32Array(n) : new Float32Array(n)
  const round = spec.dtype === "int32"
  for (let i = 0; i < n; i++) {
    const v = (q.dtype === "uint8" ? bytes[i]! : word(i)) * scale + min
    out[i] = round ? Math.round(v) : v
  }
  return { dtype: spec.dtype, shape: spec.shape, data: out }
}

/** Strings: per element a uint32 LE byte length, then the bytes. Returns the tensor and bytes used. */
const decodeStrings = (spec: WeightSpec, bytes: ShardBytes, offset: number, file: string): [HostTensor, number] => {
  const n = numElements(spec.shape)
  // Each element takes at least its 4-byte length: check before allocating n entries.
  if (offset + 4 * n > bytes.length) {
    throw new InvalidModelError({ file, where: spec.where, what: `${n} strings need at least ${4 * n} bytes, ${bytes.length - offset} left in the shards` })
  }
  const out: Array<Uint8Array> = []
  let at = offset
  for (let i = 0; i < n; i++) {
    const len = at + 4 <= bytes.length ? bytes.u32(at) : -1
    if (len < 0 || at + 4 + len > bytes.length) {
      throw new InvalidModelError({ file, where: spec.where, what: `string element ${i} runs past the end of the shards (byte ${at})` })
    }
    out.push(bytes.range(at + 4, len))
    at += 4 + len
  }
  return [{ dtype: "string", shape: spec.shape, data: out }, at - offset]
}

/** Decodes one group's weights from its shards. Returns the tensors and the unused trailing bytes. */
export const decodeWeightGroup = (
  plan: WeightGroupPlan,
  shards: ReadonlyArray<Uint8Array>,
  file: string
): { readonly tensors: ReadonlyArray<readonly [string, HostTensor]>; readonly trailing: number } => {
  const bytes = new ShardBytes(shards)
  const tensors: Array<readonly [string, HostTensor]> = []
  let offset = 0
  for (const spec of plan.weights) {
    if (spec.byteLength === undefined) {
      const [t, used] = decodeStrings(spec, bytes, offset, file)
      tensors.push([spec.name, t])
      offset += used
      continue
    }
    if (offset + spec.byteLength > bytes.length) {
      throw new InvalidModelError({
        file,
        where: spec.where,
        what: `weight "${spec.name}" needs bytes ${offset}..${offset + spec.byteLength} of the group's shards, which hold ${bytes.length}`
      })
    }
    const raw = bytes.range(offset, spec.byteLength)
    const q = spec.quantization
    tensors.push([
      spec.name,
      q ? dequantize(spec, q, raw) : fromLittleEndianBytes(spec.dtype, spec.shape, raw, { file, where: spec.where })
    ])
    offset += spec.byteLength
  }
  return { tensors, trailing: bytes.length - offset }
}

const describePaths = (paths: ReadonlyArray<string>): string =>
  paths.length === 0 ? "no shard files" : paths.length <= 3 ? paths.join(", ") : `${paths.slice(0, 3).join(", ")} … (${paths.length} files)`

/** Checks every group's size against its shards before anything is decoded. */
const checkSizes = (plans: ReadonlyArray<WeightGroupPlan>, shards: ReadonlyArray<ReadonlyArray<Uint8Array>>, file: string) => {
  plans.forEach((plan, g) => {
    const have = shards[g]!.reduce((s, b) => s + b.length, 0)
    if (plan.minBytes > have) {
      throw new InvalidModelError({
        file,
        where: jsonPath(["weightsManifest", plan.index]),
        what: `the manifest describes ${plan.minBytes} bytes of weights but ${describePaths(plan.paths)} hold ${have}`
      })
    }
  })
}

/** Weights by name, plus notes on what was tolerated. */
export interface LoadedWeights {
  readonly tensors: ReadonlyMap<string, HostTensor>
  readonly notes: ReadonlyArray<string>
  readonly shardBytes: number
}

/** Decodes all groups (shards given per group, in manifest order). */
export const decodeWeights = (
  plans: ReadonlyArray<WeightGroupPlan>,
  shards: ReadonlyArray<ReadonlyArray<Uint8Array>>,
  file: string
): LoadedWeights => {
  checkSizes(plans, shards, file)
  const tensors = new Map<string, HostTensor>()
  const notes: Array<string> = []
  let shardBytes = 0
  plans.forEach((plan, g) => {
    const { tensors: ts, trailing } = decodeWeightGroup(plan, shards[g]!, file)
    for (const [name, t] of ts) tensors.set(name, t)
    shardBytes += shards[g]!.reduce((s, b) => s + b.length, 0)
    if (trailing > 0) {
      // TF.js reads all groups as one byte stream: extra bytes inside it would shift every
      // later group, so only the very end may have them.
      if (g < plans.length - 1) {
        throw new InvalidModelError({
          file,
          where: jsonPath(["weightsManifest", plan.index]),
          what: `${trailing} bytes in ${describePaths(plan.paths)} are not described by the manifest (later groups would be misread)`
        })
      }
      notes.push(`${trailing} trailing bytes after the last weight in ${describePaths(plan.paths)} were ignored`)
    }
  })
  return { tensors, notes, shardBytes }
}

/** Reads the shards of a validated manifest from `source` and decodes all weights. */
export const readWeights = (
  source: ModelSource,
  manifest: ReadonlyArray<WeightGroupJson>,
  file: string,
  options: ReadOptions = {}
): Effect.Effect<LoadedWeights, ReadError> =>
  Effect.gen(function* () {
    const plans = yield* tryRead(file, "weightsManifest", () => planWeights(manifest, file))
    const all = plans.flatMap((p) => p.paths)
    const onProgress = options.onProgress
    let done = 0
    onProgress?.({ stage: "weights", done, total: all.length })
    const read = yield* Effect.forEach(
      all,
      (p) =>
        Effect.tap(source.read(p), () =>
          Effect.sync(() => {
            done++
            onProgress?.({ stage: "weights", done, total: all.length })
          })
        ),
      { concurrency: 4 }
    )
    let k = 0
    const grouped = plans.map((p) => read.slice(k, (k += p.paths.length)))
    return yield* tryRead(file, "weightsManifest", () => decodeWeights(plans, grouped, file))
  })
