import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

// Tests live beside the module they test (src/**/*.test.ts). Workspace packages resolve to their
// sources, so a test sees one copy of each module (error classes stay `instanceof`-comparable)
// and never a stale build.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@tf2jax\/core$/, replacement: src("core") },
      { find: /^@tf2jax\/ops-nn$/, replacement: src("ops-nn") },
      { find: /^@tf2jax\/ops-control$/, replacement: src("ops-control") },
      { find: /^@tf2jax\/ops-random$/, replacement: src("ops-random") },
      { find: /^@tf2jax\/xla-call-module$/, replacement: src("xla-call-module") },
      { find: /^tf2jax$/, replacement: src("tf2jax") }
    ]
  },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
