/**
 * Test-only: small converters for the math ops the control-flow fixtures use, registered
 * *before* the ops-nn pack so that its real converters win wherever they exist. They fold
 * static inputs on the host (as ops-nn does), which the static-loop strategy relies on.
 */
import { numpy as np } from "@jax-js/jax"
import type { DType, HostTensor, JaxArray, OpPack, Value } from "@tf2jax/core"
import {
  Attr,
  CORE_CONTRACT_VERSION,
  allStatic,
  arrayValue,
  defineOp,
  definePack,
  hostElementwise,
  hostReduce,
  hostValues,
  jaxDtypeOf,
  staticValue,
  toArray
} from "@tf2jax/core"
import { Schema } from "effect"

/** A minimal element-wise converter (static inputs fold on the host). */
const elementwise = (spec: {
  readonly ops: ReadonlyArray<string>
  readonly jax: (...xs: Array<JaxArray>) => JaxArray
  readonly host: (...xs: Array<number>) => number
  readonly outDtype?: (d: DType) => DType
}) =>
  defineOp({
    ops: spec.ops,
    attrs: Schema.Struct({ T: Schema.optionalKey(Attr.type) }),
    inputs: "value",
    run: (ctx, inputs) => {
      const vs = inputs as ReadonlyArray<Value>
      const first = vs[0]!
      const d0: DType = first.kind === "static" ? first.tensor.dtype : first.kind === "array" ? first.dtype : "float32"
      const dtype = (spec.outDtype ?? ((d: DType) => d))(d0)
      if (allStatic(vs)) return staticValue(hostElementwise(dtype, vs.map((v) => v.tensor), spec.host, ctx.where))
      return arrayValue(spec.jax(...vs.map((v) => toArray(v, ctx.where))), dtype)
    }
  })

const bool = () => "bool" as DType
const floorMod = (a: number, b: number) => a - Math.floor(a / b) * b

const reduceSum = defineOp({
  ops: ["Sum"],
  attrs: Schema.Struct({ T: Attr.type, Tidx: Schema.optionalKey(Attr.type), keep_dims: Schema.optionalKey(Attr.bool) }),
  inputs: ["value", "static"],
  run: (ctx, [x, axes], a) => {
    const v = x as Value
    const ax = Array.from(hostValues(axes as HostTensor))
    const keep = a.keep_dims ?? false
    if (v.kind === "static") return staticValue(hostReduce(v.tensor, ax, keep, 0, (s, e) => s + e))
    const arr = toArray(v, ctx.where)
    const rank = arr.shape.length
    const norm = ax.map((d) => (d < 0 ? d + rank : d))
    return arrayValue(norm.length === 0 ? arr : np.sum(arr, norm, { keepdims: keep }), a.T)
  }
})

const reduceAll = defineOp({
  ops: ["All"],
  attrs: Schema.Struct({ Tidx: Schema.optionalKey(Attr.type), keep_dims: Schema.optionalKey(Attr.bool) }),
  inputs: ["value", "static"],
  run: (ctx, [x, axes], a) => {
    const v = x as Value
    const ax = Array.from(hostValues(axes as HostTensor))
    const keep = a.keep_dims ?? false
    if (v.kind === "static") return staticValue(hostReduce(v.tensor, ax, keep, 1, (s, e) => Number(s && e)))
    const arr = toArray(v, ctx.where)
    const rank = arr.shape.length
    return arrayValue(np.all(arr, ax.map((d) => (d < 0 ? d + rank : d)), { keepdims: keep }), "bool")
  }
})

const cast = defineOp({
  ops: ["Cast"],
  attrs: Schema.Struct({ SrcT: Attr.type, DstT: Attr.type, Truncate: Schema.optionalKey(Attr.bool) }),
  inputs: "value",
  run: (ctx, [x], a) => {
    const v = x as Value
    if (v.kind === "static") return staticValue(hostElementwise(a.DstT, [v.tensor], (e) => e, ctx.where))
    return arrayValue(toArray(v, ctx.where).astype(jaxDtypeOf(a.DstT, ctx.where) as np.DType), a.DstT)
  }
})

const select = defineOp({
  ops: ["Select", "SelectV2"],
  attrs: Schema.Struct({ T: Attr.type }),
  inputs: "value",
  run: (ctx, inputs, a) => {
    const [c, x, y] = inputs as Array<Value>
    const all = [c!, x!, y!]
    if (allStatic(all)) {
      const cv = hostValues(all[0]!.tensor)
      const xv = hostValues((x as { tensor: HostTensor }).tensor)
      const yv = hostValues((y as { tensor: HostTensor }).tensor)
      if (cv.length === 1 && xv.length === 1 && yv.length === 1) {
        return staticValue(cv[0] ? (x as { tensor: HostTensor }).tensor : (y as { tensor: HostTensor }).tensor)
      }
    }
    return arrayValue(np.where(toArray(c!, ctx.where), toArray(x!, ctx.where), toArray(y!, ctx.where)), a.T)
  }
})

export const shimPack: OpPack = definePack({
  name: "test-shims",
  version: "0.0.0",
  contract: CORE_CONTRACT_VERSION,
  converters: [
    elementwise({ ops: ["Less"], jax: (x, y) => np.less(x, y), host: (x, y) => Number(x < y), outDtype: bool }),
    elementwise({ ops: ["LessEqual"], jax: (x, y) => np.lessEqual(x, y), host: (x, y) => Number(x <= y), outDtype: bool }),
    elementwise({ ops: ["Greater"], jax: (x, y) => np.greater(x, y), host: (x, y) => Number(x > y), outDtype: bool }),
    elementwise({ ops: ["GreaterEqual"], jax: (x, y) => np.greaterEqual(x, y), host: (x, y) => Number(x >= y), outDtype: bool }),
    elementwise({ ops: ["Equal"], jax: (x, y) => np.equal(x, y), host: (x, y) => Number(x === y), outDtype: bool }),
    elementwise({ ops: ["NotEqual"], jax: (x, y) => np.notEqual(x, y), host: (x, y) => Number(x !== y), outDtype: bool }),
    elementwise({ ops: ["LogicalAnd"], jax: (x, y) => np.logicalAnd(x, y), host: (x, y) => Number(x && y) }),
    elementwise({ ops: ["LogicalOr"], jax: (x, y) => np.logicalOr(x, y), host: (x, y) => Number(x || y) }),
    elementwise({ ops: ["LogicalNot"], jax: (x) => np.logicalNot(x), host: (x) => Number(!x) }),
    elementwise({ ops: ["Abs"], jax: (x) => np.abs(x), host: Math.abs }),
    elementwise({ ops: ["Neg"], jax: (x) => np.negative(x), host: (x) => -x }),
    elementwise({ ops: ["Exp"], jax: (x) => np.exp(x), host: Math.exp }),
    elementwise({ ops: ["Log"], jax: (x) => np.log(x), host: Math.log }),
    elementwise({ ops: ["Sin"], jax: (x) => np.sin(x), host: Math.sin }),
    elementwise({ ops: ["Cos"], jax: (x) => np.cos(x), host: Math.cos }),
    elementwise({ ops: ["Square"], jax: (x) => np.square(x), host: (x) => x * x }),
    elementwise({ ops: ["Add", "AddV2"], jax: (x, y) => np.add(x, y), host: (x, y) => x + y }),
    elementwise({ ops: ["Sub"], jax: (x, y) => np.subtract(x, y), host: (x, y) => x - y }),
    elementwise({ ops: ["Mul"], jax: (x, y) => np.multiply(x, y), host: (x, y) => x * y }),
    reduceSum,
    reduceAll,
    cast,
    select
  ]
})

/**
 * Registered *after* ops-nn: FloorMod through float32. jax-js 0.1.25's int32 `np.remainder`
 * returns x + y, and `np.floorDivide` truncates, under JVP when the operand carries a tangent
 * (e.g. an int produced by `where` from a traced predicate — the masked loop counter of
 * while_cond under jit(grad) or vmap(grad)); measured: remainder(4, 3) = 7 inside valueAndGrad.
 * ops-nn's FloorMod uses `np.remainder`, so these tests route around it until that is fixed.
 */
export const workaroundPack: OpPack = definePack({
  name: "test-workarounds",
  version: "0.0.0",
  contract: CORE_CONTRACT_VERSION,
  converters: [
    elementwise({
      ops: ["FloorMod"],
      jax: (x, y) => {
        if (x.dtype !== np.int32) return np.remainder(x, y)
        const xf = x.astype(np.float32)
        const yf = y.astype(np.float32)
        return xf.ref.sub(np.floor(xf.div(yf.ref)).mul(yf)).astype(np.int32)
      },
      host: floorMod
    }),
  ]
})
