/**
 * @tf2jax/core: TensorFlow model readers, the graph IR and the conversion engine.
 *
 * @since 0.1.0
 */
export * from "./dtype.js"
export * from "./errors.js"
export * from "./HostTensor.js"
export * from "./graph/ir.js"
export * from "./graph/graphSignature.js"
export * from "./io/ModelSource.js"
export * from "./model/TfModel.js"
export type { LoadProgress, ReadOptions } from "./formats/options.js"
export { loadModelFrom, loadModelFromPath } from "./formats/loadModel.js"
export { readSavedModel } from "./formats/savedModel/readSavedModel.js"
export { readMetaCheckpoint } from "./formats/checkpoint/readMetaCheckpoint.js"
export { sourceFromTarGz } from "./formats/hub/hubTarball.js"
export { sniffFile } from "./formats/sniff.js"
export { readTensorBundle, trackableObjectGraph, type TensorBundle, type BundleEntry } from "./formats/tensorBundle/index.js"
export { readTfjsGraphModel } from "./formats/tfjs/index.js"
export { describeModel, opHistogram, type ModelDescription, type TensorDescription } from "./inspect/describeModel.js"
export * from "./engine/index.js"
export { tfOpSignature, outputLayout, withDefaultAttrs, type OpArg, type OpSignature } from "./opdefs/opDefs.js"
