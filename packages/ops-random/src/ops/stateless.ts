/**
 * Stateless random ops. They take no `rng` key: the key comes from the op's seed input, so a
 * function using only these does not require one, and equal seeds give equal values (under
 * jit, grad and vmap too).
 *
 * - `StatelessRandomGetKeyCounter` / `…KeyCounterAlg` turn the int32/int64 `seed[2]` into a
 *   jax-js threefry key: the two seeds' low 32 bits, as uint32 (TF's `key` is uint64[1]; ours is
 *   uint32[2], and only the V2 ops below read it). The counter is zeros and the algorithm 1
 *   (Philox), both static; like tf2jax we ignore counter and algorithm in the V2 ops.
 * - `StatelessRandomUniformV2`, `…NormalV2`, `…UniformIntV2`, `…UniformFullIntV2`,
 *   `StatelessTruncatedNormalV2` draw from that key (a TF uint64[1] key from elsewhere is used as
 *   [0, low 32 bits]).
 * - V1 `StatelessRandomUniform`, `…Normal`, `…UniformInt`, `…UniformFullInt`,
 *   `StatelessTruncatedNormal` derive the key from their seed input directly.
 *
 * Values differ from TensorFlow's (Philox); see internal/sample.ts. int64/uint64 outputs are
 * computed in 32 bits (DESIGN §8): the full-range variants cover only the int32/uint32 range.
 */
import { lax, numpy as np } from "@jax-js/jax"
import type { DType, HostTensor, JaxArray, Value } from "@tf2jax/core"
import { Attr, ConversionError, arrayValue, defineOp, hostToArray, hostValues, staticValue } from "@tf2jax/core"
import { Schema } from "effect"
import { fullRangeInt, normal, truncatedNormal, uniform } from "../internal/sample.js"
import { dimsOf, randomInt } from "./stateful.js"

const low32 = (v: number): number => ((v % 2 ** 32) + 2 ** 32) % 2 ** 32

/** A threefry key (uint32[2]) from a TF seed pair (static stays static). Consumes `seed`. */
export const keyFromSeed = (seed: Value, where: string): Value => {
  if (seed.kind === "static") {
    const s = Array.from(hostValues(seed.tensor))
    if (s.length !== 2) throw new ConversionError({ where, what: `seed must have 2 elements, got ${s.length}` })
    return staticValue({ dtype: "uint32", shape: [2], data: Uint32Array.from(s.map(low32)) })
  }
  if (seed.kind !== "array") throw new ConversionError({ where, what: `seed is a ${seed.kind} value` })
  const a = seed.array
  if (a.shape.length !== 1 || a.shape[0] !== 2) {
    a.dispose()
    throw new ConversionError({ where, what: `seed must have shape [2], got [${a.shape.join(",")}]` })
  }
  return arrayValue(a.dtype === np.uint32 ? a : lax.bitcastConvertType(a.astype(np.int32), np.uint32), "uint32")
}

/** The key input of a V2 op as a jax-js key array (caller owns it). */
const keyArray = (key: Value, where: string): JaxArray => {
  if (key.kind === "static") {
    const k = Array.from(hostValues(key.tensor)).map(low32)
    const pair = k.length === 1 ? [0, k[0]!] : k
    if (pair.length !== 2) throw new ConversionError({ where, what: `key must have 1 or 2 elements, got ${k.length}` })
    return hostToArray({ dtype: "uint32", shape: [2], data: Uint32Array.from(pair) } as HostTensor, where)
  }
  if (key.kind !== "array") throw new ConversionError({ where, what: `key is a ${key.kind} value` })
  const a = key.array.dtype === np.uint32 ? key.array : lax.bitcastConvertType(key.array.astype(np.int32), np.uint32)
  if (a.shape.length === 1 && a.shape[0] === 2) return a
  if (a.shape.length === 1 && a.shape[0] === 1) return np.concatenate([np.zeros([1], { dtype: np.uint32 }), a])
  a.dispose()
  throw new ConversionError({ where, what: `key must have shape [1] or [2], got [${key.array.shape.join(",")}]` })
}

const seedKey = (seed: Value, where: string): JaxArray => keyArray(keyFromSeed(seed, where), where)

const counterOut = (): Value => staticValue({ dtype: "uint64", shape: [2], data: new BigUint64Array(2) })
const algOut = (): Value => staticValue({ dtype: "int32", shape: [], data: Int32Array.of(1) })

export const getKeyCounter = defineOp({
  ops: ["StatelessRandomGetKeyCounter"],
  attrs: Schema.Struct({ Tseed: Attr.type }),
  inputs: ["value"],
  run: (ctx, [seed]) => [keyFromSeed(seed as Value, ctx.where), counterOut()]
})

export const getKeyCounterAlg = defineOp({
  ops: ["StatelessRandomGetKeyCounterAlg"],
  attrs: Schema.Struct({ Tseed: Attr.type }),
  inputs: ["value"],
  run: (ctx, [seed]) => [keyFromSeed(seed as Value, ctx.where), counterOut(), algOut()]
})

export const getAlg = defineOp({
  ops: ["StatelessRandomGetAlg"],
  attrs: Schema.Struct({}),
  inputs: "ignore",
  run: () => algOut()
})

type Sampler = (key: JaxArray, shape: ReadonlyArray<number>, dtype: DType, where: string) => JaxArray

/** A V2 op over (shape, key, counter, alg). */
const v2 = (op: string, sample: Sampler) =>
  defineOp({
    ops: [op],
    attrs: Schema.Struct({ dtype: Attr.type, Tshape: Schema.optionalKey(Attr.type) }),
    inputs: ["static", "value", "ignore", "ignore"],
    run: (ctx, [shape, key], a) =>
      arrayValue(sample(keyArray(key as Value, ctx.where), dimsOf(shape as HostTensor, ctx.where), a.dtype, ctx.where), a.dtype)
  })

/** A V1 op over (shape, seed). */
const v1 = (op: string, sample: Sampler) =>
  defineOp({
    ops: [op],
    attrs: Schema.Struct({ dtype: Attr.type, T: Schema.optionalKey(Attr.type), Tseed: Schema.optionalKey(Attr.type) }),
    inputs: ["static", "value"],
    run: (ctx, [shape, seed], a) =>
      arrayValue(sample(seedKey(seed as Value, ctx.where), dimsOf(shape as HostTensor, ctx.where), a.dtype, ctx.where), a.dtype)
  })

export const uniformIntV2 = defineOp({
  ops: ["StatelessRandomUniformIntV2"],
  attrs: Schema.Struct({ dtype: Attr.type, Tshape: Schema.optionalKey(Attr.type) }),
  inputs: ["static", "value", "ignore", "ignore", "value", "value"],
  run: (ctx, [shape, key, , , lo, hi], a) =>
    randomInt(keyArray(key as Value, ctx.where), dimsOf(shape as HostTensor, ctx.where), lo as Value, hi as Value, a.dtype, ctx.where)
})

export const uniformIntV1 = defineOp({
  ops: ["StatelessRandomUniformInt"],
  attrs: Schema.Struct({ dtype: Attr.type, T: Schema.optionalKey(Attr.type), Tseed: Schema.optionalKey(Attr.type) }),
  inputs: ["static", "value", "value", "value"],
  run: (ctx, [shape, seed, lo, hi], a) =>
    randomInt(seedKey(seed as Value, ctx.where), dimsOf(shape as HostTensor, ctx.where), lo as Value, hi as Value, a.dtype, ctx.where)
})

export const statelessOps = [
  getKeyCounter,
  getKeyCounterAlg,
  getAlg,
  v2("StatelessRandomUniformV2", uniform),
  v2("StatelessRandomNormalV2", normal),
  v2("StatelessTruncatedNormalV2", truncatedNormal),
  v2("StatelessRandomUniformFullIntV2", fullRangeInt),
  uniformIntV2,
  v1("StatelessRandomUniform", uniform),
  v1("StatelessRandomNormal", normal),
  v1("StatelessTruncatedNormal", truncatedNormal),
  v1("StatelessRandomUniformFullInt", fullRangeInt),
  uniformIntV1
]
