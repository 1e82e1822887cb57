/**
 * Test-only helpers that locate test data on disk (Node only; never imported by library code).
 */
import { existsSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))

/** The repository root (…/packages/core/src/test-util → …). */
export const repoRoot = resolve(here, "../../../..")

/** The committed fixtures made by the Python generator (`fixtures/`). */
export const fixturesDir = join(repoRoot, "fixtures")

/**
 * `shared/testdata` (real TF artifacts kept outside the repo): `$TF2JAX_SHARED_TESTDATA`,
 * else `../shared/testdata` beside the checkout, else `/work/shared/testdata`.
 * `undefined` when none exists (the tests that need it are then skipped, loudly).
 */
export const sharedTestdata: string | undefined = [
  process.env["TF2JAX_SHARED_TESTDATA"],
  join(repoRoot, "../shared/testdata"),
  "/work/shared/testdata"
].find((p): p is string => p !== undefined && p !== "" && existsSync(join(p, "README.md")))

if (sharedTestdata === undefined) {
  console.warn("shared/testdata not found: tests over the shared TensorFlow artifacts are SKIPPED")
}

/** The 11 TF.js graph-models of @vladmandic/human@3.3.6 (a devDependency). */
export const humanModelsDir: string = (() => {
  // The package's `exports` hide package.json, so find its directory from node_modules.
  for (let dir = here; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, "node_modules/@vladmandic/human/models")
    if (existsSync(candidate)) return candidate
  }
  throw new Error("@vladmandic/human is not installed (run npm ci)")
})()

/** The graph-model names shipped by human@3.3.6. */
export const HUMAN_MODELS = [
  "antispoof",
  "blazeface",
  "centernet",
  "emotion",
  "facemesh",
  "faceres",
  "handlandmark-lite",
  "handtrack",
  "iris",
  "liveness",
  "movenet-lightning"
] as const
