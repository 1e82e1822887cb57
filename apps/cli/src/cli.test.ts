/**
 * The built `tf2jax` binary on every TensorFlow model in shared/testdata and the 11 graph-models
 * of @vladmandic/human@3.3.6: `inspect --json` succeeds; corrupted copies fail with one line
 * naming the typed error and a non-zero exit code.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { HUMAN_MODELS, humanModelsDir, sharedTestdata } from "../../../packages/core/src/test-util/paths.js"

const bin = join(dirname(fileURLToPath(import.meta.url)), "../bin/tf2jax.js")

const tf2jax = (...args: Array<string>) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", maxBuffer: 64 * 2 ** 20 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Every TensorFlow model under a directory: SavedModel/Hub dirs, frozen .pb, .meta, .tar.gz. */
const findModels = (root: string): Array<string> => {
  const out: Array<string> = []
  const walk = (dir: string) => {
    const names = readdirSync(dir)
    if (names.includes("saved_model.pb")) {
      out.push(dir)
      return
    }
    for (const n of names) {
      const p = join(dir, n)
      if (statSync(p).isDirectory()) walk(p)
      else if (/\.(pb|meta)$/.test(n) || n.endsWith(".tar.gz")) out.push(p)
    }
  }
  walk(root)
  return out.sort()
}

describe("tf2jax inspect", () => {
  it("--help works on every command", () => {
    for (const cmd of [[], ["inspect"], ["run"], ["check"]]) {
      const r = tf2jax(...cmd, "--help")
      assert.strictEqual(r.code, 0, cmd.join(" "))
      assert.include(r.stdout, "USAGE")
    }
  })

  describe.skipIf(sharedTestdata === undefined)("on shared/testdata", () => {
    const models = sharedTestdata ? findModels(sharedTestdata) : []
    it("finds the expected artifacts", () => {
      assert.isAtLeast(models.length, 20)
    })
    for (const m of models) {
      it(`--json ${m.slice((sharedTestdata ?? "").length + 1)}`, () => {
        const r = tf2jax("inspect", m, "--json")
        assert.strictEqual(r.code, 0, r.stderr)
        const d = JSON.parse(r.stdout) as { format: string; ops: Record<string, number> }
        assert.isString(d.format)
        assert.isAbove(Object.keys(d.ops).length, 0)
      })
    }
    it("text output on a SavedModel", () => {
      const r = tf2jax("inspect", join(sharedTestdata!, "serving/saved_model_half_plus_two_tf2_cpu/00000123"))
      assert.strictEqual(r.code, 0)
      assert.include(r.stdout, "format:     saved-model-v2")
      assert.include(r.stdout, "regress_x_to_y")
    })
  })

  describe("on the human@3.3.6 graph-models", () => {
    for (const name of HUMAN_MODELS) {
      it(`--json ${name}`, () => {
        const r = tf2jax("inspect", join(humanModelsDir, `${name}.json`), "--json")
        assert.strictEqual(r.code, 0, r.stderr)
        const d = JSON.parse(r.stdout) as { format: string; signatures: Array<{ inputs: Array<unknown> }> }
        assert.strictEqual(d.format, "tfjs-graph-model")
        assert.isAbove(d.signatures[0]!.inputs.length, 0)
      })
    }
  })

  describe.skipIf(sharedTestdata === undefined)("on corrupted copies", () => {
    const cases: Array<[string, (b: Uint8Array) => Uint8Array]> = [
      ["tf2onnx-models/ae0/frozen.pb", (b) => b.subarray(0, b.length >> 1)],
      ["hub/half_plus_two_v1.tar.gz", (b) => b.subarray(0, 200)],
      ["tf2onnx-models/regression/checkpoint/model.meta", (b) => Uint8Array.from(b, (x, i) => (i % 97 === 5 ? x ^ 0xff : x))]
    ]
    for (const [rel, corrupt] of cases) {
      it(`one typed line for a corrupted ${basename(rel)}`, () => {
        const dir = mkdtempSync(join(tmpdir(), "tf2jax-cli-"))
        const file = join(dir, basename(rel))
        writeFileSync(file, corrupt(new Uint8Array(readFileSync(join(sharedTestdata!, rel)))))
        const r = tf2jax("inspect", file, "--json")
        assert.strictEqual(r.code, 1)
        const lines = r.stderr.trim().split("\n")
        assert.strictEqual(lines.length, 1, r.stderr)
        assert.match(lines[0]!, /^(InvalidModelError|ModelFileNotFoundError): /)
      })
    }
    it("a missing path", () => {
      const r = tf2jax("inspect", "/nonexistent/model")
      assert.strictEqual(r.code, 1)
      assert.match(r.stderr.trim(), /^ModelFileNotFoundError: /)
    })
  })
})
