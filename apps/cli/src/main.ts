#!/usr/bin/env node
/** Entry point of the `tf2jax` binary. */
import { NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { runCli } from "./cli.js"

Effect.runPromise(runCli(process.argv.slice(2)).pipe(Effect.provide(NodeServices.layer))).then(
  (code) => {
    process.exitCode = code
  },
  (defect: unknown) => {
    process.stderr.write(`internal error: ${defect instanceof Error ? (defect.stack ?? defect.message) : String(defect)}\n`)
    process.exitCode = 70
  }
)
