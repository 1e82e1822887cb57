/**
 * TF1 Hub modules are often distributed as `.tar.gz`. We unpack them in memory (fflate for
 * gzip, nanotar for tar; both run in browsers) into an in-memory source.
 *
 * @since 0.1.0
 */
import { gunzipSync } from "fflate"
import { parseTar } from "nanotar"
import { InvalidModelError } from "../../errors.js"
import { fromMemory, safeRelativePath, type ModelSource } from "../../io/ModelSource.js"

/** Deflate cannot expand data by more than about 1032:1. */
const MAX_DEFLATE_RATIO = 1032

/** Whether bytes start with the gzip magic number. */
export const isGzip = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b

/**
 * Unpacks a gzip-compressed tar into a source. Refuses a gzip trailer claiming more output than
 * deflate can produce from the input (fflate would allocate that much up front).
 */
export const sourceFromTarGz = (bytes: Uint8Array, file: string, description: string): ModelSource => {
  if (bytes.length < 18) throw new InvalidModelError({ file, where: "gzip header", what: "file too short" })
  const n = bytes.length
  const isize = (bytes[n - 4]! | (bytes[n - 3]! << 8) | (bytes[n - 2]! << 16) | (bytes[n - 1]! << 24)) >>> 0
  if (isize > (n - 18) * MAX_DEFLATE_RATIO + 1024) {
    throw new InvalidModelError({ file, where: `byte ${n - 4}`, what: `gzip trailer claims ${isize} bytes, more than the data can hold` })
  }
  let tar: Uint8Array
  try {
    tar = gunzipSync(bytes)
  } catch (e) {
    throw new InvalidModelError({ file, where: "gzip stream", what: `corrupt gzip data (${e instanceof Error ? e.message : String(e)})` })
  }
  const files: Record<string, Uint8Array> = {}
  let items
  try {
    items = parseTar(tar.byteOffset === 0 ? tar : tar.slice())
  } catch (e) {
    throw new InvalidModelError({ file, where: "tar archive", what: `corrupt tar data (${e instanceof Error ? e.message : String(e)})` })
  }
  for (const item of items) {
    if (item.type !== "file" || !item.data) continue
    if (item.data.length !== item.size) {
      throw new InvalidModelError({ file, where: `tar entry "${item.name}"`, what: `truncated (${item.data.length} of ${item.size} bytes)` })
    }
    files[safeRelativePath(item.name, file)] = item.data
  }
  return fromMemory(files, description)
}
