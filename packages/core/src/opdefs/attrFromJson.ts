/**
 * One attr value in protobuf-JSON form (as TF's op registry states defaults) → IR, through
 * the TF.js reader's GraphDef-JSON decoder, so there is one set of JSON attr rules.
 */
import { Schema } from "effect"
import { InvalidModelError } from "../errors.js"
import type { ByteContext } from "../HostTensor.js"
import type { AttrValue } from "../graph/ir.js"
import { graphFromJson } from "../formats/tfjs/graphFromJson.js"
import { GraphDefJson } from "../formats/tfjs/modelJson.js"

export const attrFromJson = (json: unknown, ctx: ByteContext): AttrValue => {
  const decoded = Schema.decodeUnknownResult(GraphDefJson)({ node: [{ name: "default", op: "Default", attr: { value: json } }] })
  if (decoded._tag === "Failure") throw new InvalidModelError({ ...ctx, what: `bad attr JSON: ${decoded.failure.message}` })
  return graphFromJson(decoded.success, ctx.file).nodes[0]!.attrs["value"]!
}
