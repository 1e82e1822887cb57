/**
 * The conversion engine: op-pack contract, services, planning and the conversion API.
 *
 * @since 0.1.0
 */
export * from "./attrs.js"
export * from "./Config.js"
export * from "./convert.js"
export * from "./host.js"
export * from "./OpConverter.js"
export * from "./OpRegistry.js"
export * from "./Prng.js"
export * from "./target.js"
export * from "./Value.js"
export { builtinPack } from "./builtinOps.js"
export type { Body, BodyNode, ValueRef } from "./body.js"
