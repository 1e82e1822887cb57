export { runCli, tf2jax, VERSION } from "./cli.js"
export { formatError } from "./errors.js"
