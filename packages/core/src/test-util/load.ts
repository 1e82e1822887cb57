/**
 * Test helpers: load a model from disk through Effect's Node FileSystem (what the CLI does) or
 * through an in-memory source (what browsers do).
 */
import { NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { loadModelFrom, loadModelFromPath } from "../formats/loadModel.js"
import type { ReadOptions } from "../formats/options.js"
import { memorySource } from "./tree.js"

/** Loads through the Node file system. */
export const loadFromDisk = (path: string, options: ReadOptions = {}) =>
  loadModelFromPath(path, options).pipe(Effect.provide(NodeServices.layer))

/** Loads from memory. */
export const loadFromMemory = (dir: string, entry = "", options: ReadOptions = {}) =>
  loadModelFrom(memorySource(dir), entry, options)
