/**
 * The TF2 SavedObjectGraph: variables (paired with their checkpoint keys), concrete functions
 * with their bound inputs, `tf.function` attributes, and the functions behind signatures.
 *
 * @since 0.1.0
 */
import { dtypeFromEnum } from "../../dtype.js"
import { InvalidModelError } from "../../errors.js"
import type { GraphDef } from "../../graph/ir.js"
import type { Capture, ConcreteFunction, RestoredFunction, TfModel } from "../../model/TfModel.js"
import type { pb } from "../../proto/decode.js"
import { knownShape, shapeFromProto } from "../../proto/tensorProto.js"
import { flattenInputSignature, structureFromProto } from "./structure.js"

/** A variable of the object graph before its value is read. */
export interface ObjectVariable {
  readonly nodeId: number
  /** Unique parameter name (the variable's TF name, suffixed `_1`, `_2` … when repeated). */
  readonly name: string
  readonly dtype: NonNullable<ReturnType<typeof dtypeFromEnum>>
  readonly shape: ReadonlyArray<number>
  readonly trainable: boolean
  /** Path of child names from the root ("layer/kernel"), escaped as in checkpoint keys. */
  readonly path: string
}

/** Escapes a child name the way TF's object-based checkpoints do (`.` → `..`, `/` → `.S`). */
export const escapeLocalName = (name: string): string => name.replace(/\./g, "..").replace(/\//g, ".S")

/** Breadth-first paths (escaped, `/`-joined) from the root to every reachable node. */
export const objectPaths = (
  nodes: ReadonlyArray<{ readonly children?: ReadonlyArray<pb.SavedObject.ObjectReference.$Properties> | null }>
): Map<number, string> => {
  const paths = new Map<number, string>([[0, ""]])
  const queue = [0]
  for (let k = 0; k < queue.length; k++) {
    const id = queue[k]!
    for (const c of nodes[id]?.children ?? []) {
      const child = c.nodeId ?? 0
      if (child < 0 || child >= nodes.length || paths.has(child)) continue
      const name = escapeLocalName(c.localName ?? "")
      const parent = paths.get(id)!
      paths.set(child, parent === "" ? name : `${parent}/${name}`)
      queue.push(child)
    }
  }
  return paths
}

/** Makes names unique in order of appearance: x, x_1, x_2 … (as tf2jax does for params). */
export const uniquify = (names: ReadonlyArray<string>): Array<string> => {
  const used = new Set<string>()
  return names.map((n) => {
    let candidate = n
    for (let k = 1; used.has(candidate); k++) candidate = `${n}_${k}`
    used.add(candidate)
    return candidate
  })
}

/** Every variable node of the object graph. */
export const objectVariables = (og: pb.SavedObjectGraph.$Properties, file: string): Array<ObjectVariable> => {
  const nodes = og.nodes ?? []
  const paths = objectPaths(nodes)
  const found: Array<{ id: number; v: pb.SavedVariable.$Properties }> = []
  nodes.forEach((n, id) => {
    if (n.variable) found.push({ id, v: n.variable })
  })
  const names = uniquify(found.map(({ id, v }) => (v.name ? v.name.replace(/:0$/, "") : paths.get(id) ?? `variable_${id}`)))
  return found.map(({ id, v }, k) => {
    const where = `object graph node ${id} (variable "${v.name ?? ""}")`
    const dtype = dtypeFromEnum(v.dtype ?? 0)
    if (dtype === undefined) throw new InvalidModelError({ file, where, what: `invalid dtype ${v.dtype ?? 0}` })
    return {
      nodeId: id,
      name: names[k]!,
      dtype,
      shape: knownShape(shapeFromProto(v.shape), { file, where }),
      trainable: v.trainable ?? false,
      path: paths.get(id) ?? ""
    }
  })
}

/**
 * Pairs object-graph nodes with TrackableObjectGraph nodes (from the checkpoint) by walking
 * child names from both roots, as TF's loader does; returns object node id → checkpoint key
 * of its VARIABLE_VALUE attribute.
 */
export const checkpointKeys = (
  og: pb.SavedObjectGraph.$Properties,
  tog: pb.TrackableObjectGraph.$Properties | undefined
): Map<number, string> => {
  const keys = new Map<number, string>()
  const objects = og.nodes ?? []
  const trackables = tog?.nodes ?? []
  if (trackables.length === 0) return keys
  const paired = new Map<number, number>([[0, 0]])
  const queue = [0]
  for (let k = 0; k < queue.length; k++) {
    const oid = queue[k]!
    const tid = paired.get(oid)!
    const tChildren = new Map((trackables[tid]?.children ?? []).map((c) => [c.localName ?? "", c.nodeId ?? -1]))
    for (const c of objects[oid]?.children ?? []) {
      const childO = c.nodeId ?? -1
      const childT = tChildren.get(c.localName ?? "")
      if (childT === undefined || childT < 0 || childT >= trackables.length) continue
      if (childO < 0 || childO >= objects.length || paired.has(childO)) continue
      paired.set(childO, childT)
      queue.push(childO)
    }
  }
  for (const [oid, tid] of paired) {
    const attr = (trackables[tid]?.attributes ?? []).find((a) => a.name === "VARIABLE_VALUE")
    if (attr?.checkpointKey) keys.set(oid, attr.checkpointKey)
  }
  return keys
}

/** The key TF writes for a variable at `path` when no TrackableObjectGraph is available. */
export const defaultCheckpointKey = (path: string): string => `${path}/.ATTRIBUTES/VARIABLE_VALUE`

interface BoundInputContext {
  readonly model: TfModel
  readonly file: string
  readonly og: pb.SavedObjectGraph.$Properties
  readonly graph: GraphDef
  readonly variableNames: ReadonlyMap<number, string>
  readonly assetFiles: ReadonlyArray<string>
}

const captureOf = (nodeId: number, fn: string, ctx: BoundInputContext): Capture => {
  const where = `concrete function "${fn}" bound input ${nodeId}`
  const node = ctx.og.nodes?.[nodeId]
  if (!node) throw new InvalidModelError({ file: ctx.file, where, what: "refers to a missing object graph node" })
  if (node.variable) {
    const variable = ctx.variableNames.get(nodeId)
    if (variable === undefined) throw new InvalidModelError({ file: ctx.file, where, what: "unknown variable" })
    return { kind: "variable", variable }
  }
  if (node.constant) {
    const op = node.constant.operation ?? ""
    const c = ctx.graph.nodes.find((n) => n.name === op)
    const value = c?.attrs["value"]
    if (!c || value?.kind !== "tensor") {
      throw new InvalidModelError({ file: ctx.file, where, what: `constant "${op}" is not a Const node of the graph` })
    }
    return { kind: "constant", node: op, value: value.value }
  }
  if (node.asset) {
    const index = node.asset.assetFileDefIndex ?? 0
    const asset = ctx.assetFiles[index]
    if (asset === undefined) throw new InvalidModelError({ file: ctx.file, where, what: `asset ${index} does not exist` })
    return { kind: "asset", asset }
  }
  if (node.capturedTensor) {
    return { kind: "captured-tensor", function: node.capturedTensor.concreteFunction ?? "", tensor: node.capturedTensor.name ?? "" }
  }
  if (node.resource) return { kind: "resource", nodeId }
  throw new InvalidModelError({ file: ctx.file, where, what: `cannot bind an object of kind ${node.kind ?? "unknown"}` })
}

/** Every concrete function of the object graph, with inputs, outputs and captures. */
export const concreteFunctions = (ctx: BoundInputContext): Record<string, ConcreteFunction> => {
  const out: Record<string, ConcreteFunction> = {}
  for (const [name, cf] of Object.entries(ctx.og.concreteFunctions ?? {})) {
    const where = { file: ctx.file, where: `concrete function "${name}"` }
    const inputs = structureFromProto(cf.canonicalizedInputSignature, where)
    out[name] = {
      name,
      inputs,
      flatInputs: flattenInputSignature(inputs),
      captures: (cf.boundInputs ?? []).map((id) => captureOf(id, name, ctx)),
      outputs: structureFromProto(cf.outputSignature, where),
      model: ctx.model
    }
  }
  return out
}

/** `tf.function` attributes reachable from the root, by attribute path ("f", "sub.__call__"). */
export const restoredFunctions = (
  og: pb.SavedObjectGraph.$Properties,
  concrete: Readonly<Record<string, ConcreteFunction>>,
  file: string,
  model: TfModel
): Record<string, RestoredFunction> => {
  const out: Record<string, RestoredFunction> = {}
  const nodes = og.nodes ?? []
  const seen = new Set([0])
  const queue: Array<{ id: number; path: string }> = [{ id: 0, path: "" }]
  for (let k = 0; k < queue.length; k++) {
    const { id, path } = queue[k]!
    for (const c of nodes[id]?.children ?? []) {
      const child = c.nodeId ?? -1
      if (child < 0 || child >= nodes.length || seen.has(child)) continue
      seen.add(child)
      const childPath = path === "" ? (c.localName ?? "") : `${path}.${c.localName ?? ""}`
      const fn = nodes[child]!.function
      if (fn) {
        const spec = fn.functionSpec?.inputSignature
        out[childPath] = {
          path: childPath,
          concreteFunctions: (fn.concreteFunctions ?? []).map((n) => {
            const cf = concrete[n]
            if (!cf) throw new InvalidModelError({ file, where: `function "${childPath}"`, what: `concrete function "${n}" is missing` })
            return cf
          }),
          inputSignature: spec && !spec.noneValue ? structureFromProto(spec, { file, where: childPath }) : undefined,
          model
        }
      } else if (nodes[child]!.userObject?.identifier !== "signature_map") {
        queue.push({ id: child, path: childPath })
      }
    }
  }
  return out
}

/** Signature key → concrete function name, from the root's `signatures` child. */
export const signatureFunctions = (og: pb.SavedObjectGraph.$Properties): Map<string, string> => {
  const nodes = og.nodes ?? []
  const out = new Map<string, string>()
  const mapRef = (nodes[0]?.children ?? []).find((c) => c.localName === "signatures")
  const map = mapRef ? nodes[mapRef.nodeId ?? -1] : undefined
  for (const c of map?.children ?? []) {
    const bare = nodes[c.nodeId ?? -1]?.bareConcreteFunction
    if (bare?.concreteFunctionName) out.set(c.localName ?? "", bare.concreteFunctionName)
  }
  return out
}
