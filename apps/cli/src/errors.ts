/**
 * How the CLI reports failures: one line naming the typed error (its `_tag`) and what went
 * wrong; the stack only when asked (`--verbose` or TF2JAX_DEBUG=1).
 */

const tagOf = (e: unknown): string | undefined =>
  e !== null && typeof e === "object" && "_tag" in e && typeof e._tag === "string" ? e._tag : undefined

/** `InvalidModelError: saved_model.pb: meta_graphs: …` */
export const formatError = (e: unknown): string => {
  const tag = tagOf(e) ?? (e instanceof Error ? e.name : "Error")
  const message = e instanceof Error ? e.message : String(e)
  return `${tag}: ${message.split("\n").join(" ")}`
}

/** The stack trace of an error, if it has one. */
export const stackOf = (e: unknown): string | undefined => (e instanceof Error ? e.stack : undefined)
