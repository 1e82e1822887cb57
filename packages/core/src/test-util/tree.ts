/**
 * Test helpers: a directory on disk as an in-memory source (the code path browsers use).
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import { fromMemory, type ModelSource } from "../io/ModelSource.js"

/** Every file under `dir`, keyed by its path relative to `dir`. */
export const readTree = (dir: string): Record<string, Uint8Array> => {
  const out: Record<string, Uint8Array> = {}
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else out[relative(dir, p).split("\\").join("/")] = new Uint8Array(readFileSync(p))
    }
  }
  walk(dir)
  return out
}

/** An in-memory source holding the files under `dir`. */
export const memorySource = (dir: string): ModelSource => fromMemory(readTree(dir), dir)
