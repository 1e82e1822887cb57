/**
 * Test-only: runs a golden op case's saved GraphDef (fixtures/ops/*.json, written by real
 * TensorFlow) end to end through the engine: decode → convertFunctional with the given op
 * packs → a function of the case's dynamic inputs returning its outputs in order, ready for
 * `checkCase` (packages/ops-nn/src/lowering/goldenCases.ts), which checks it eagerly, under
 * jit, and its gradients against TF's.
 */
import { Effect, Layer } from "effect"
import type { numpy as np } from "@jax-js/jax"
import { decodeMessage, pb } from "../proto/decode.js"
import { graphFromProto } from "../proto/graphFromProto.js"
import type { ConvertedFunctional } from "../engine/convert.js"
import { convertFunctional } from "../engine/convert.js"
import type { OpPack } from "../engine/OpConverter.js"
import { OpRegistry } from "../engine/OpRegistry.js"
import { Prng } from "../engine/Prng.js"
import type { GraphFunction } from "../engine/target.js"
import type { GraphDef } from "../graph/ir.js"

/** The GraphDef of a case (base64 of a serialized GraphDef). */
export const decodeGraphDef = (base64: string, name = "case"): GraphDef => {
  const s = atob(base64)
  const bytes = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i)
  return graphFromProto(decodeMessage(pb.GraphDef, bytes, name, "GraphDef"), name)
}

/** A layer with the core built-ins, `packs`, and the jax-js PRNG. */
export const packsLayer = (packs: ReadonlyArray<OpPack>) => Layer.mergeAll(OpRegistry.layer(packs), Prng.layer)

/** Converts a graph function synchronously with `packs` (throws the typed error on failure). */
export const convertGraph = (fn: GraphFunction, packs: ReadonlyArray<OpPack>): ConvertedFunctional =>
  Effect.runSync(convertFunctional(fn).pipe(Effect.provide(packsLayer(packs))))

/** The minimal shape of a golden case this needs. */
export interface GraphCase {
  readonly name: string
  readonly graph: { readonly graph_def_base64: string; readonly inputs: ReadonlyArray<string>; readonly outputs: ReadonlyArray<string> }
}

/**
 * The case's graph as a function `(...dynamicInputs) => outputs[]` (jax-js arrays), converted
 * once with `packs`.
 */
export const graphCaseFunction = (c: GraphCase, packs: ReadonlyArray<OpPack>): ((...xs: Array<np.Array>) => Array<np.Array>) => {
  const graph = decodeGraphDef(c.graph.graph_def_base64, c.name)
  const f = convertGraph({ kind: "graph-function", graph, inputs: c.graph.inputs, outputs: c.graph.outputs }, packs)
  return (...xs) => {
    const out = f(xs) as Record<string, np.Array>
    return c.graph.outputs.map((k) => out[k]!)
  }
}
