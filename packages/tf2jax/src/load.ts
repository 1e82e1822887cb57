/**
 * `loadModel` for Node: a path on disk (or an http(s) URL), through Effect's Node FileSystem.
 */
import { NodeServices } from "@effect/platform-node"
import * as core from "@tf2jax/core"
import type { ModelSource, ReadOptions, TfModel } from "@tf2jax/core"
import { Effect } from "effect"
import { runPromise } from "./runPromise.js"

/**
 * Reads a model: a SavedModel or Hub directory, a `.pb`, a `.meta`, a TF.js `model.json`, a
 * `.tar.gz`, an http(s) URL of a model directory or file, or any `ModelSource`.
 */
export const loadModel = (path: string | ModelSource, options: ReadOptions & { readonly entry?: string } = {}): Promise<TfModel> => {
  const effect =
    typeof path !== "string"
      ? core.loadModelFrom(path, options.entry ?? "", options)
      : /^https?:\/\//.test(path)
        ? loadUrl(path, options)
        : core.loadModelFromPath(path, options).pipe(Effect.provide(NodeServices.layer))
  return runPromise(effect)
}

/** A URL names a directory (ending in "/") or a file in one. */
const loadUrl = (url: string, options: ReadOptions) => {
  const cut = url.endsWith("/") ? url.length : url.lastIndexOf("/") + 1
  return core.loadModelFrom(core.fromUrl(url.slice(0, cut)), url.slice(cut), options)
}
