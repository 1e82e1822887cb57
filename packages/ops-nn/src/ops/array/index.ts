/** Array and shape converters (one family per file). */
import type { OpConverter } from "@tf2jax/core"
import { bandPartOps } from "./bandPart.js"
import { concatOps } from "./concat.js"
import { diagOps } from "./diag.js"
import { fillOps } from "./fill.js"
import { gatherOps } from "./gather.js"
import { oneHotOps } from "./oneHot.js"
import { padOps } from "./pad.js"
import { reshapeOps } from "./reshape.js"
import { reverseOps } from "./reverse.js"
import { scatterOps } from "./scatter.js"
import { shapeOps } from "./shape.js"
import { sliceOps } from "./slice.js"
import { splitOps } from "./split.js"
import { tileOps } from "./tile.js"
import { topKOps } from "./topK.js"
import { transposeOps } from "./transpose.js"
import { whereOps } from "./where.js"

export const arrayOps: ReadonlyArray<OpConverter<any>> = [
  ...shapeOps,
  ...reshapeOps,
  ...transposeOps,
  ...concatOps,
  ...fillOps,
  ...tileOps,
  ...padOps,
  ...sliceOps,
  ...gatherOps,
  ...scatterOps,
  ...oneHotOps,
  ...splitOps,
  ...reverseOps,
  ...topKOps,
  ...whereOps,
  ...bandPartOps,
  ...diagOps
]
