/**
 * Base64 for protobuf-JSON `bytes` fields. proto3-JSON writers use the standard alphabet with
 * padding; readers must also accept the URL-safe alphabet and missing padding. `atob` exists
 * in browsers and Node ≥ 16, so no dependency is needed.
 *
 * @since 0.1.0
 */

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/

/** Whether `s` is base64 (standard or URL-safe alphabet, padding optional). */
export const isBase64 = (s: string): boolean => {
  if (!BASE64.test(s)) return false
  const body = s.replace(/=+$/, "")
  // A single trailing sextet cannot encode a byte; padding, when present, must complete a quad.
  return body.length % 4 !== 1 && (body.length === s.length || s.length % 4 === 0)
}

/** Decodes base64 (see `isBase64`); `undefined` when `s` is not base64. */
export const decodeBase64 = (s: string): Uint8Array | undefined => {
  if (!isBase64(s)) return undefined
  const std = s.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "")
  let bin: string
  try {
    bin = atob(std + "=".repeat((4 - (std.length % 4)) % 4))
  } catch {
    return undefined
  }
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}
