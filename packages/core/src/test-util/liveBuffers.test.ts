import { describe, it, assert } from "@effect/vitest"
import { numpy as np } from "@jax-js/jax"
import { installLiveBufferCounter } from "./liveBuffers.js"

describe("live buffer counter", () => {
  it("sees allocations and frees", async () => {
    const counter = await installLiveBufferCounter()
    const before = counter.live()
    const x = np.array([1, 2, 3])
    assert.strictEqual(counter.live(), before + 1)
    const y = x.add(1)
    await y.data()
    // y.data() consumed y; x was consumed by add.
    assert.strictEqual(counter.live(), before)
    const z = np.array([4, 5, 6])
    assert.strictEqual(counter.live(), before + 1)
    z.dispose()
    assert.strictEqual(counter.live(), before)
  })
})
