import { defineConfig } from "vitest/config"

// Tests live beside the module they test (src/**/*.test.ts).
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
