/**
 * Content sniffing: which reader a file needs, decided from its bytes (file names are only a
 * tie-breaker). Binary protobufs carry no type tag, so a candidate message type is accepted
 * only if it decodes without unknown fields at its top levels and has the structure that
 * message type always has.
 *
 * @since 0.1.0
 */
import { InvalidModelError } from "../errors.js"
import { pb } from "../proto/decode.js"
import { isGzip } from "./hub/hubTarball.js"

export type SniffedFile =
  | { readonly kind: "saved-model"; readonly message: pb.SavedModel }
  | { readonly kind: "meta-graph"; readonly message: pb.MetaGraphDef }
  | { readonly kind: "graph-def"; readonly message: pb.GraphDef }
  | { readonly kind: "json" }
  | { readonly kind: "tar-gz" }

const hasUnknowns = (m: object | null | undefined): boolean =>
  m !== null && m !== undefined && ((m as { $unknowns?: ReadonlyArray<unknown> }).$unknowns?.length ?? 0) > 0

/** The last protobuf decoding failure, to say why nothing matched (often: a truncated file). */
let lastDecodeError = ""

const tryDecode = <T>(type: { decode(b: Uint8Array): T }, bytes: Uint8Array): T | undefined => {
  try {
    return type.decode(bytes)
  } catch (e) {
    lastDecodeError = e instanceof Error ? e.message : String(e)
    return undefined
  }
}

const plausibleGraph = (g: pb.GraphDef.$Properties | null | undefined): boolean =>
  !!g && !hasUnknowns(g) && (g.node ?? []).every((n) => !!n.name && !!n.op && !hasUnknowns(n)) &&
  ((g.node?.length ?? 0) > 0 || !!g.library || !!g.versions)

const plausibleMetaGraph = (m: pb.MetaGraphDef.$Properties | null | undefined): boolean =>
  !!m && !hasUnknowns(m) && !hasUnknowns(m.metaInfoDef) && (!!m.graphDef || !!m.metaInfoDef) &&
  (!m.graphDef || plausibleGraph(m.graphDef))

const CANDIDATES = {
  "saved-model": (b: Uint8Array) => {
    const m = tryDecode(pb.SavedModel, b)
    return m && !hasUnknowns(m) && m.metaGraphs.length > 0 && m.metaGraphs.every(plausibleMetaGraph) ? m : undefined
  },
  "meta-graph": (b: Uint8Array) => {
    const m = tryDecode(pb.MetaGraphDef, b)
    return m && plausibleMetaGraph(m) ? m : undefined
  },
  "graph-def": (b: Uint8Array) => {
    const m = tryDecode(pb.GraphDef, b)
    return m && plausibleGraph(m) ? m : undefined
  }
} as const

type ProtoKind = keyof typeof CANDIDATES

/** Decides what `bytes` (named `file`) is. */
export const sniffFile = (bytes: Uint8Array, file: string): SniffedFile => {
  let i = 0
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++
  if (bytes[i] === 0x7b) return { kind: "json" }
  if (isGzip(bytes)) return { kind: "tar-gz" }
  const base = file.split("/").pop() ?? file
  const order: Array<ProtoKind> = base.endsWith(".meta")
    ? ["meta-graph", "saved-model", "graph-def"]
    : base === "saved_model.pb"
      ? ["saved-model", "meta-graph", "graph-def"]
      : ["saved-model", "graph-def", "meta-graph"]
  lastDecodeError = ""
  for (const kind of order) {
    const message = CANDIDATES[kind](bytes)
    if (message) return { kind, message } as SniffedFile
  }
  throw new InvalidModelError({
    file,
    where: "",
    what: `not a TensorFlow model, or a corrupt one: expected a SavedModel, MetaGraphDef or GraphDef protobuf, a TF.js model.json or a .tar.gz Hub module${lastDecodeError ? ` (protobuf decoding failed: ${lastDecodeError})` : ""}`
  })
}
