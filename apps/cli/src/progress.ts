/**
 * A progress bar on stderr for long loads (large checkpoints). It appears only after loading
 * has taken a moment, so small models print nothing, and only on a terminal.
 */
import { SingleBar } from "cli-progress"
import type { LoadProgress } from "@tf2jax/core"

const DELAY_MS = 400

/** Returns an `onProgress` callback and a `stop` to call when loading ends. */
export const stderrProgress = (): { onProgress: (p: LoadProgress) => void; stop: () => void } => {
  const started = Date.now()
  let bar: SingleBar | undefined
  return {
    onProgress: (p) => {
      if (!bar) {
        if (Date.now() - started < DELAY_MS || !process.stderr.isTTY) return
        bar = new SingleBar({ stream: process.stderr, format: "loading {stage} [{bar}] {value}/{total}", hideCursor: true })
        bar.start(p.total, p.done, { stage: p.stage })
      }
      bar.setTotal(p.total)
      bar.update(p.done, { stage: p.stage })
    },
    stop: () => bar?.stop()
  }
}
