// Generates the static protobufjs module (ESM + .d.ts) for our TensorFlow .proto files.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { pbjs, pbts } from "protobufjs-cli"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const out = join(root, "src/gen")
mkdirSync(out, { recursive: true })
const protos = ["types", "tensor", "graph", "saved_model", "tensor_bundle"].map((n) => `tensorflow/${n}.proto`)

const run = (tool, args) =>
  new Promise((resolve, reject) => tool.main(args, (err, output) => (err ? reject(err) : resolve(output))))

// Decode-only: we never write TensorFlow protos, so encoders, converters and verifiers are left out.
const common = [
  "-t", "static-module", "-w", "es6", "--es6", "-p", join(root, "proto"),
  "--no-create", "--no-verify", "--no-convert", "--no-delimited", "--no-service", "--no-encode"
]
const js = join(out, "tf.js")
const documented = join(tmpdir(), `tf2jax-proto-${process.pid}.js`)
// pbts reads types from JSDoc, so it needs a commented build; the shipped module is uncommented.
await run(pbjs, [...common, "-o", documented, ...protos])
await run(pbts, ["--no-comments", "-o", join(out, "tf.d.ts"), documented])
rmSync(documented)
await run(pbjs, [...common, "--no-comments", "-o", js, ...protos])
// The static module imports "protobufjs/minimal"; NodeNext resolution wants the file extension.
writeFileSync(js, readFileSync(js, "utf8").replace(/from "protobufjs\/minimal"/g, 'from "protobufjs/minimal.js"'))
console.log("generated", js)
