/**
 * Test support for the math golden cases (fixtures/ops/math/*.json, written by real TensorFlow).
 * Runtime-neutral and not exported by the package: the tests read the files and pass the
 * converted graph function in.
 *
 * - `widenCase` re-encodes the dtypes jax-js holds in wider types (DESIGN §8): uint8/int8/
 *   uint16/int16 → int32 and float16/bfloat16 → float32 (values exact), so the shared reader of
 *   `lowering/goldenCases.ts` can decode them and the converted function gets the arrays the
 *   engine expects for such placeholders.
 * - `runMathCase` converts a case and runs `checkCase` (eager, jit, grad, jit(grad) against TF,
 *   whose comparison matches expected NaN and ±∞ exactly, finite values within the tolerance).
 */
import { bfloat16ToFloat, halfToFloat } from "@tf2jax/core"
import type { Arr } from "../../lowering/common.js"
import type { EncodedTensor, GoldenCase, Mismatch } from "../../lowering/goldenCases.js"
import { checkCase } from "../../lowering/goldenCases.js"

const b64ToBytes = (b64: string): Uint8Array => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))

const bytesToB64 = (bytes: Uint8Array): string => {
  let s = ""
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

const NARROW_INTS: Readonly<Record<string, (dv: DataView, i: number) => number>> = {
  uint8: (dv, i) => dv.getUint8(i),
  int8: (dv, i) => dv.getInt8(i),
  uint16: (dv, i) => dv.getUint16(2 * i, true),
  int16: (dv, i) => dv.getInt16(2 * i, true)
}

/** A tensor re-encoded in the dtype jax-js computes it in (other dtypes unchanged). */
export const widenTensor = <T extends EncodedTensor>(t: T): T => {
  const n = t.shape.reduce((a, b) => a * b, 1)
  const bytes = b64ToBytes(t.data_base64_le)
  const dv = new DataView(bytes.buffer)
  const narrow = NARROW_INTS[t.dtype]
  if (narrow) {
    const out = new Int32Array(n)
    for (let i = 0; i < n; i++) out[i] = narrow(dv, i)
    return { ...t, dtype: "int32", data_base64_le: bytesToB64(new Uint8Array(out.buffer)) }
  }
  if (t.dtype === "float16" || t.dtype === "bfloat16") {
    const decode = t.dtype === "float16" ? halfToFloat : bfloat16ToFloat
    const out = new Float32Array(n)
    for (let i = 0; i < n; i++) out[i] = decode(dv.getUint16(2 * i, true))
    return { ...t, dtype: "float32", data_base64_le: bytesToB64(new Uint8Array(out.buffer)) }
  }
  return t
}

/** The case with every tensor in jax-js's dtypes. */
export const widenCase = (c: GoldenCase): GoldenCase => ({
  ...c,
  inputs: c.inputs.map(widenTensor),
  outputs: c.outputs.map(widenTensor),
  cotangents: c.cotangents.map((t) => (t === null ? null : widenTensor(t))),
  grads: Object.fromEntries(Object.entries(c.grads).map(([k, t]) => [k, widenTensor(t)]))
})

/** Whether a case involves float16/bfloat16 (which TF computes at that precision, we in float32). */
export const usesHalfPrecision = (c: GoldenCase): boolean =>
  [...c.inputs, ...c.outputs].some((t) => t.dtype === "float16" || t.dtype === "bfloat16")

/** Tolerance floor for cases in float16/bfloat16, which TF rounds after every op and we do not. */
export const HALF_PRECISION_RTOL = 2e-3

/**
 * Converts a raw golden case with `convert` (the engine) and checks it against TF: the case is
 * widened first, and half-precision cases get at least `HALF_PRECISION_RTOL`.
 */
export const runMathCase = (
  raw: GoldenCase,
  convert: (c: GoldenCase) => (...xs: Arr[]) => Arr[],
  rtol: number,
  skipGrad = false
): Mismatch[] => {
  const c = widenCase(raw)
  const f = convert(c)
  const tol = usesHalfPrecision(raw) ? Math.max(rtol, HALF_PRECISION_RTOL) : rtol
  return checkCase(c, (...xs) => f(...xs), { rtol: tol, skipGrad })
}
