/**
 * TensorBundle checkpoints (`variables/variables.index` + `.data-*` shards).
 *
 * @since 0.1.0
 */
export {
  type BundleEntry,
  type BundleHeader,
  dataShardPath,
  indexPath,
  OBJECT_GRAPH_KEY,
  readAll,
  type ReadProgress,
  readTensorBundle,
  type TensorBundle,
  trackableObjectGraph
} from "./TensorBundle.js"
export { type SSTableEntry, sstableEntries } from "./sstable.js"
export { crc32c, maskCrc, unmaskCrc } from "./crc32c.js"
