/**
 * `SignatureDef` / `TensorInfo` → tensor specs.
 *
 * @since 0.1.0
 */
import { dtypeFromEnum } from "../../dtype.js"
import { InvalidModelError } from "../../errors.js"
import type { ByteContext } from "../../HostTensor.js"
import type { TensorSpec } from "../../model/TfModel.js"
import type { pb } from "../../proto/decode.js"
import { shapeFromProto } from "../../proto/tensorProto.js"

/** The signature every TF2 SavedModel carries to run initializers; not a user signature. */
export const INIT_OP_SIGNATURE = "__saved_model_init_op"

/**
 * A `TensorInfo` as a spec. Sparse and composite tensors are named by their values tensor /
 * first component; converting them is not supported, but they can be listed.
 */
export const tensorInfoToSpec = (info: pb.TensorInfo.$Properties, ctx: ByteContext): TensorSpec => {
  const dtype = dtypeFromEnum(info.dtype ?? 0)
  if (dtype === undefined) throw new InvalidModelError({ ...ctx, what: `invalid dtype ${info.dtype ?? 0}` })
  const name =
    info.name ??
    info.cooSparse?.valuesTensorName ??
    info.compositeTensor?.components?.[0]?.name ??
    ""
  // An absent shape in a TensorInfo means "unknown" (old TF1 signatures record none).
  const shape = info.tensorShape ? shapeFromProto(info.tensorShape) : null
  return { name, dtype, shape }
}

/** The inputs or outputs map of a SignatureDef, keys sorted. */
export const specsOf = (
  map: { readonly [k: string]: pb.TensorInfo.$Properties } | null | undefined,
  ctx: ByteContext
): Record<string, TensorSpec> => {
  const out: Record<string, TensorSpec> = {}
  for (const key of Object.keys(map ?? {}).sort()) out[key] = tensorInfoToSpec(map![key]!, { ...ctx, where: `${ctx.where}.${key}` })
  return out
}
