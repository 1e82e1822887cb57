// tsc does not copy the generated protobuf module; put it beside the compiled sources.
import { cpSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
cpSync(join(root, "src/gen"), join(root, "dist/gen"), { recursive: true })
