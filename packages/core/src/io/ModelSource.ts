/**
 * Where model files come from. Readers never touch a file system directly: they ask a
 * `ModelSource` for files by path relative to the model root. Sources exist for Effect's
 * `FileSystem` (Node, via `@effect/platform-node`), `fetch` (browsers, HTTP), browser `File`
 * objects and in-memory bytes (tests, fuzzing).
 *
 * @since 0.1.0
 */
import { Effect, FileSystem } from "effect"
import { InvalidModelError, ModelFileNotFoundError } from "../errors.js"

/** Errors a source can fail with when asked for a file. */
export type SourceError = ModelFileNotFoundError | InvalidModelError

/** A tree of model files, addressed by `/`-separated paths relative to its root. */
export interface ModelSource {
  /** Shown in messages (a directory, URL or "memory"). */
  readonly description: string
  /** Reads a whole file. */
  readonly read: (path: string) => Effect.Effect<Uint8Array, SourceError>
  /** Whether a file exists (false for directories). */
  readonly exists: (path: string) => Effect.Effect<boolean>
  /** Names of the entries of a directory ("" = root); empty when listing is impossible (HTTP). */
  readonly list: (dir: string) => Effect.Effect<ReadonlyArray<string>>
}

/**
 * Normalises a path relative to the model root and refuses any that would leave it:
 * absolute paths, drive letters, URL schemes, NUL bytes, and `..` that climbs above the root.
 * TF.js `model.json` names its shards with such paths, so this guards every file access.
 */
export const safeRelativePath = (path: string, file = "model"): string => {
  const refuse = (why: string) => new InvalidModelError({ file, where: `path "${path}"`, what: why })
  if (path.includes("\0")) throw refuse("contains a NUL byte")
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path)) throw refuse("must be relative (no scheme or drive letter)")
  const unified = path.replace(/\\/g, "/")
  if (unified.startsWith("/")) throw refuse("must be relative to the model directory")
  const parts: Array<string> = []
  for (const part of unified.split("/")) {
    if (part === "" || part === ".") continue
    if (part === "..") {
      if (parts.length === 0) throw refuse("escapes the model directory")
      parts.pop()
    } else parts.push(part)
  }
  return parts.join("/")
}

const join = (root: string, rel: string): string =>
  rel === "" ? root : root.endsWith("/") ? root + rel : `${root}/${rel}`

/** The directory part of a relative path ("" for a top-level file). */
export const dirname = (rel: string): string => {
  const i = rel.lastIndexOf("/")
  return i < 0 ? "" : rel.slice(0, i)
}

/** Joins a relative directory and a relative name, then normalises it safely. */
export const joinRelative = (dir: string, name: string, file?: string): string =>
  safeRelativePath(dir === "" ? name : `${dir}/${name}`, file)

/** A source over Effect's `FileSystem` (provide `NodeServices.layer` on Node). */
export const fromFileSystem = (rootDir: string): Effect.Effect<ModelSource, never, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const abs = (p: string) => join(rootDir, safeRelativePath(p))
    return {
      description: rootDir,
      read: (p) =>
        Effect.suspend(() => fs.readFile(abs(p))).pipe(
          Effect.mapError((e) =>
            e instanceof InvalidModelError ? e : new ModelFileNotFoundError({ file: p, reason: errorReason(e) })
          )
        ),
      exists: (p) =>
        Effect.suspend(() => fs.stat(abs(p))).pipe(
          Effect.map((info) => info.type === "File"),
          Effect.orElseSucceed(() => false)
        ),
      list: (d) => Effect.suspend(() => fs.readDirectory(abs(d))).pipe(Effect.orElseSucceed(() => []))
    } satisfies ModelSource
  })

const errorReason = (e: unknown): string => {
  if (e && typeof e === "object" && "reason" in e && typeof e.reason === "string") {
    return e.reason === "NotFound" ? "file not found" : `cannot read file (${e.reason})`
  }
  return e instanceof Error ? e.message : String(e)
}

/** The entry names directly under `dir` among a set of relative file paths. */
const entriesOf = (paths: Iterable<string>, dir: string): ReadonlyArray<string> => {
  const prefix = dir === "" ? "" : `${safeRelativePath(dir)}/`
  const names = new Set<string>()
  for (const k of paths) if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split("/")[0]!)
  return [...names]
}

/** A source over a table of entries keyed by relative path; `bytesOf` turns an entry into bytes. */
const tableSource = <T>(
  files: Readonly<Record<string, T>>,
  description: string,
  bytesOf: (entry: T, rel: string) => Effect.Effect<Uint8Array, SourceError>
): ModelSource => {
  const table = new Map(Object.entries(files).map(([k, v]) => [safeRelativePath(k), v]))
  return {
    description,
    read: (p) =>
      Effect.suspend(() => {
        const rel = safeRelativePath(p)
        const entry = table.get(rel)
        return entry === undefined
          ? Effect.fail(new ModelFileNotFoundError({ file: rel, reason: "file not found" }))
          : bytesOf(entry, rel)
      }),
    exists: (p) => Effect.sync(() => table.has(safeRelativePath(p))).pipe(Effect.orElseSucceed(() => false)),
    list: (d) => Effect.sync(() => entriesOf(table.keys(), d)).pipe(Effect.orElseSucceed(() => []))
  }
}

/** A source over in-memory files (tests, fuzzing, files already fetched by the caller). */
export const fromMemory = (files: Readonly<Record<string, Uint8Array>>, description = "memory"): ModelSource =>
  tableSource(files, description, (bytes) => Effect.succeed(bytes))

/** A source over browser `File`/`Blob` objects keyed by relative path (e.g. a dropped folder). */
export const fromBlobs = (files: Readonly<Record<string, Blob>>, description = "files"): ModelSource =>
  tableSource(files, description, (blob, rel) =>
    Effect.tryPromise({
      try: () => blob.arrayBuffer().then((b) => new Uint8Array(b)),
      catch: (e) => new ModelFileNotFoundError({ file: rel, reason: errorReason(e) })
    })
  )

/** A source over HTTP(S) with the global `fetch` (browsers, Deno, Node ≥ 18). Listing is not possible. */
export const fromUrl = (baseUrl: string, fetchFn: typeof fetch = globalThis.fetch): ModelSource => {
  const base = baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`
  const get = (p: string, method = "GET") =>
    Effect.suspend(() => {
      const rel = safeRelativePath(p)
      return Effect.tryPromise({
        try: () => fetchFn(new URL(rel, base).toString(), { method }),
        catch: (e) => new ModelFileNotFoundError({ file: rel, reason: errorReason(e) })
      })
    })
  return {
    description: baseUrl,
    read: (p) =>
      get(p).pipe(
        Effect.flatMap((res) =>
          res.ok
            ? Effect.tryPromise({
                try: () => res.arrayBuffer().then((b) => new Uint8Array(b)),
                catch: (e) => new ModelFileNotFoundError({ file: p, reason: errorReason(e) })
              })
            : Effect.fail(new ModelFileNotFoundError({ file: p, reason: `HTTP ${res.status}` }))
        )
      ),
    exists: (p) =>
      get(p, "HEAD").pipe(
        Effect.map((res) => res.ok),
        Effect.orElseSucceed(() => false)
      ),
    list: () => Effect.succeed([])
  }
}
