/**
 * Test-only live-buffer counter for jax-js's wasm backend. jax-js has no public statistic,
 * so this wraps the internal backend's malloc/incRef/decRef (found in its hashed
 * `backend-*.js` chunk). It exists to prove that converted functions leave no buffer behind.
 */
import { readdirSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { pathToFileURL } from "node:url"

export interface LiveBuffers {
  /** Buffers currently allocated (refcount > 0). */
  readonly live: () => number
  readonly bytes: () => number
}

interface Backend {
  malloc(size: number, init?: unknown): unknown
  incRef(slot: unknown): void
  decRef(slot: unknown): void
}

let installed: LiveBuffers | undefined

/** Installs (once per process) and returns the counter. */
export const installLiveBufferCounter = async (): Promise<LiveBuffers> => {
  if (installed) return installed
  const require = createRequire(import.meta.url)
  const dist = dirname(require.resolve("@jax-js/jax"))
  const chunk = readdirSync(dist).find((f) => /^backend-.*\.js$/.test(f))
  if (!chunk) throw new Error(`no backend chunk in ${dist}`)
  const mod = (await import(pathToFileURL(join(dist, chunk)).href)) as Record<string, unknown>
  const getBackend = Object.values(mod).find(
    (v): v is (name: string) => Backend => typeof v === "function" && v.name === "getBackend"
  )
  if (!getBackend) throw new Error("getBackend not found in the jax-js backend chunk")
  // The ESM entry and the chunk share module instances, so this is the backend jax-js uses.
  const be = getBackend("wasm")
  const refs = new Map<unknown, number>()
  const sizes = new Map<unknown, number>()
  let live = 0
  let bytes = 0
  const malloc = be.malloc.bind(be)
  const inc = be.incRef.bind(be)
  const dec = be.decRef.bind(be)
  be.malloc = (size, init) => {
    const slot = malloc(size, init)
    refs.set(slot, 1)
    sizes.set(slot, size)
    live++
    bytes += size
    return slot
  }
  be.incRef = (slot) => {
    inc(slot)
    refs.set(slot, (refs.get(slot) ?? 0) + 1)
  }
  be.decRef = (slot) => {
    dec(slot)
    const r = (refs.get(slot) ?? 1) - 1
    if (r === 0) {
      refs.delete(slot)
      live--
      bytes -= sizes.get(slot) ?? 0
      sizes.delete(slot)
    } else refs.set(slot, r)
  }
  installed = { live: () => live, bytes: () => bytes }
  return installed
}
