import { describe, it, assert } from "@effect/vitest"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { HUMAN_MODELS, humanModelsDir } from "./paths.js"

describe("test data paths", () => {
  it("finds every human@3.3.6 graph-model", () => {
    for (const m of HUMAN_MODELS) assert.isTrue(existsSync(join(humanModelsDir, `${m}.json`)), m)
  })
})
