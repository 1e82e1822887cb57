export * from "@tf2jax/core"
