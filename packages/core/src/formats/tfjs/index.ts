/**
 * TensorFlow.js graph models (`model.json` + weight shards).
 *
 * @since 0.1.0
 */
export { readTfjsGraphModel, type TfjsExtras, type TfjsGraphModel } from "./readTfjsModel.js"
export { decodeModelJson, ModelJson, GraphDefJson, type WeightDType } from "./modelJson.js"
export { graphFromJson, type ConstResolver, type GraphFromJsonOptions } from "./graphFromJson.js"
export { readWeights, planWeights, decodeWeights, type LoadedWeights, type WeightGroupPlan, type WeightSpec } from "./weights.js"
