/**
 * The `tf2jax` command and how a run ends: exit 0 on success; on failure one line on stderr
 * naming the typed error and exit 1 (usage errors: exit 2, with the parser's message).
 */
import { Effect } from "effect"
import { CliError, Command } from "effect/cli"
import { check } from "./commands/check.js"
import { inspect } from "./commands/inspect.js"
import { run } from "./commands/run.js"
import { formatError, stackOf } from "./errors.js"

export const VERSION = "0.1.0"

export const tf2jax = Command.make("tf2jax").pipe(
  Command.withDescription("Bring TensorFlow models into jax-js"),
  Command.withSubcommands([inspect, run, check])
)

const isUsageError = (e: unknown): boolean => typeof e === "object" && e !== null && "_tag" in e && e._tag === "UsageError"

/** Runs the CLI on `args`; resolves to the exit code. Needs the platform services. */
export const runCli = (args: ReadonlyArray<string>) =>
  Command.runWith(tf2jax, { version: VERSION })(args).pipe(
    Effect.as(0),
    Effect.catch((e) =>
      Effect.sync(() => {
        // Parse errors: the parser already printed the problem and the help.
        if (CliError.isCliError(e)) return 2
        process.stderr.write(`${formatError(e)}\n`)
        if (isUsageError(e)) return 2
        if (args.includes("--verbose") || process.env["TF2JAX_DEBUG"] === "1") process.stderr.write(`${stackOf(e) ?? ""}\n`)
        return 1
      })
    )
  )
