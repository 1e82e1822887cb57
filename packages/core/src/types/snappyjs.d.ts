// snappyjs@0.7.0 ships no types. It is CommonJS (`exports.uncompress = …`): import it as a
// default import, which both Node's ESM loader and bundlers map to `module.exports`.
declare module "snappyjs" {
  interface SnappyJS {
    /** Raw (unframed) Snappy; throws when the declared length exceeds `maxLength`. */
    uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array
    compress(uncompressed: Uint8Array): Uint8Array
  }
  const snappy: SnappyJS
  export default snappy
}
