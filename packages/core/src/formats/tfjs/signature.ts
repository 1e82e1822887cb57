/**
 * The serving signature of a TF.js graph model: from model.json's `signature` (or the older
 * `userDefinedMetadata.signature`) when it lists tensors, else from the graph itself
 * (placeholders in, unconsumed nodes out), side by side as TF.js does.
 *
 * @since 0.1.0
 */
import { InvalidModelError } from "../../errors.js"
import { firstOutputDtype, graphInputsOutputs } from "../../graph/graphSignature.js"
import type { GraphDef, NodeDef, Shape } from "../../graph/ir.js"
import { formatShape } from "../../HostTensor.js"
import type { TensorSpec } from "../../model/TfModel.js"
import { dtypeFromEnum, dtypeFromName } from "../../dtype.js"
import { shapeFromJson } from "./graphFromJson.js"
import type { SignatureJson, TensorInfoJson } from "./modelJson.js"
import { jsonPath } from "./modelJson.js"

export interface SignatureSpecs {
  readonly methodName: string
  readonly inputs: Readonly<Record<string, TensorSpec>>
  readonly outputs: Readonly<Record<string, TensorSpec>>
}

/** "x" → "x:0"; "x:1" stays. Node names cannot contain ":", so a suffix is always an index. */
const tensorName = (name: string): string => (/:\d+$/.test(name) ? name : `${name}:0`)

const nodeShape = (n: NodeDef): Shape => {
  const s = n.attrs["shape"]
  return s?.kind === "shape" ? s.value : null
}

const specFromInfo = (
  nodes: ReadonlyMap<string, NodeDef>,
  key: string,
  info: TensorInfoJson,
  file: string,
  path: ReadonlyArray<PropertyKey>
): TensorSpec => {
  const name = tensorName(info.name ?? key)
  const node = nodes.get(name.slice(0, name.lastIndexOf(":")))
  if (node === undefined) {
    throw new InvalidModelError({ file, where: jsonPath([...path, "name"]), what: `tensor "${name}" names no node of the graph` })
  }
  const shape = info.tensorShape === undefined ? nodeShape(node) : shapeFromJson(info.tensorShape)
  if (shape !== null && shape.some((d) => !Number.isSafeInteger(d) || d < -1)) {
    throw new InvalidModelError({ file, where: jsonPath([...path, "tensorShape"]), what: `invalid shape ${formatShape(shape)}` })
  }
  const stated = info.dtype === undefined ? undefined : typeof info.dtype === "number" ? dtypeFromEnum(info.dtype) : dtypeFromName(info.dtype)
  return { name, dtype: stated ?? firstOutputDtype(node), shape }
}

const specsFrom = (
  nodes: ReadonlyMap<string, NodeDef>,
  infos: { readonly [k: string]: TensorInfoJson },
  file: string,
  path: ReadonlyArray<PropertyKey>
): Record<string, TensorSpec> => {
  const out: Record<string, TensorSpec> = {}
  for (const [key, info] of Object.entries(infos)) {
    Object.defineProperty(out, key, { value: specFromInfo(nodes, key, info, file, [...path, key]), enumerable: true, writable: true, configurable: true })
  }
  return out
}

/**
 * The signature of `graph`. `json` and `path` locate the signature in model.json when it has
 * one; each side with no entries is synthesized from the graph.
 */
export const graphModelSignature = (
  graph: GraphDef,
  json: SignatureJson | undefined,
  path: ReadonlyArray<PropertyKey>,
  file: string
): SignatureSpecs => {
  const nodes = new Map(graph.nodes.map((n) => [n.name, n]))
  const hasInputs = json?.inputs !== undefined && Object.keys(json.inputs).length > 0
  const hasOutputs = json?.outputs !== undefined && Object.keys(json.outputs).length > 0
  const synthesized = hasInputs && hasOutputs ? undefined : graphInputsOutputs(graph)
  return {
    methodName: json?.methodName ?? "",
    inputs: hasInputs ? specsFrom(nodes, json!.inputs!, file, [...path, "inputs"]) : synthesized!.inputs,
    outputs: hasOutputs ? specsFrom(nodes, json!.outputs!, file, [...path, "outputs"]) : synthesized!.outputs
  }
}
