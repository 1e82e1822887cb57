/**
 * Options shared by the model readers.
 *
 * @since 0.1.0
 */

/** A progress report: `done` of `total` units of `stage` ("variables", "weights" …). */
export interface LoadProgress {
  readonly stage: string
  readonly done: number
  readonly total: number
}

export interface ReadOptions {
  /** SavedModel / Hub meta-graph tags to load (default: `["serve"]`, or the only meta graph). */
  readonly tags?: ReadonlyArray<string>
  /** Called as weights are read; loading large checkpoints can take a while. */
  readonly onProgress?: (p: LoadProgress) => void
}
