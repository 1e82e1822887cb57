import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import snappy from "snappyjs"
import { InvalidModelError } from "../../errors.js"
import { sharedTestdata } from "../../test-util/paths.js"
import { crc32c, maskCrc, unmaskCrc } from "./crc32c.js"
import { snappyUncompress } from "./snappy.js"
import type { BlockHandle, SSTableEntry } from "./sstable.js"
import { BLOCK_TRAILER_SIZE, blockEntries, compareBytes, FOOTER_SIZE, readBlock, readFooter, sstableEntries } from "./sstable.js"
import { writeSSTable } from "./writer.js"

const enc = new TextEncoder()
const dec = new TextDecoder()
const at = (pos: number) => `byte ${pos}`

/** Runs `f`; an InvalidModelError is returned, anything else thrown (a defect the test must see). */
const invalid = (f: () => unknown): InvalidModelError | undefined => {
  try {
    f()
    return undefined
  } catch (e) {
    if (e instanceof InvalidModelError) return e
    throw e
  }
}

const mustFail = (f: () => unknown, text?: RegExp): InvalidModelError => {
  const e = invalid(f)
  assert.isDefined(e, "expected an InvalidModelError")
  if (text) assert.match(e!.message, text)
  return e!
}

const list = (bytes: Uint8Array) => [...sstableEntries(bytes, "t.index")]

/** Every data block handle of a well-formed table, plus its index and metaindex blocks. */
const blockHandles = (bytes: Uint8Array): Array<BlockHandle> => {
  const footer = readFooter(bytes, "t")
  const out = [footer.metaindex, footer.index]
  for (const { value } of blockEntries(readBlock(bytes, footer.index, "t", "index"), "t")) {
    let pos = 0
    const varint = () => {
      let v = 0
      let s = 1
      for (;;) {
        const b = value[pos++]!
        v += (b & 0x7f) * s
        if (b < 0x80) return v
        s *= 128
      }
    }
    out.push({ offset: varint(), size: varint() })
  }
  return out
}

/** Recomputes the trailer CRC of the block at `h` (after a deliberate edit of its contents). */
const fixCrc = (bytes: Uint8Array, h: BlockHandle) => {
  const end = h.offset + h.size
  const crc = maskCrc(crc32c(bytes.subarray(end, end + 1), crc32c(bytes.subarray(h.offset, end))))
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(end + 1, crc, true)
}

const varints = (...values: Array<number>): Array<number> => {
  const out: Array<number> = []
  for (let v of values) {
    while (v >= 0x80) {
      out.push((v & 0x7f) | 0x80)
      v = Math.floor(v / 128)
    }
    out.push(v)
  }
  return out
}

const entry = (key: string, value = key.toUpperCase()): SSTableEntry => ({ key: enc.encode(key), value: enc.encode(value) })

/** Sorted unique keys sharing prefixes, so that prefix compression and restarts matter. */
const sortedEntries = fc
  .uniqueArray(
    fc.tuple(fc.constantFrom("", "layer/", "layer/kernel/", "opt/m/", "\xff"), fc.string({ maxLength: 12 })).map(([a, b]) => a + b),
    { maxLength: 120 }
  )
  .chain((keys) => fc.tuple(fc.constant(keys), fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: keys.length, maxLength: keys.length })))
  .map(([keys, values]) =>
    keys
      .map((k, i) => ({ key: enc.encode(k), value: values[i]! }))
      .sort((a, b) => compareBytes(a.key, b.key))
      .filter((e, i, all) => i === 0 || compareBytes(all[i - 1]!.key, e.key) !== 0)
  )

const tableOptions = fc.record({
  blockSize: fc.integer({ min: 1, max: 600 }),
  restartInterval: fc.integer({ min: 1, max: 16 }),
  snappy: fc.boolean()
})

/** A fixed multi-block, partly Snappy-compressed table for the fuzzers. */
const sampleTable = writeSSTable(
  Array.from({ length: 60 }, (_, i) => entry(`layer_${String(i).padStart(3, "0")}/kernel/.ATTRIBUTES/VARIABLE_VALUE`, "x".repeat(i % 7))),
  { blockSize: 300, restartInterval: 4, snappy: true }
)

describe("crc32c", () => {
  it("matches the CRC-32C check value and masks reversibly", () => {
    assert.strictEqual(crc32c(enc.encode("123456789")), 0xe3069283)
    assert.strictEqual(crc32c(enc.encode("56789"), crc32c(enc.encode("1234"))), 0xe3069283)
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (x) => {
        assert.strictEqual(unmaskCrc(maskCrc(x)), x)
        assert.notStrictEqual(maskCrc(x), x)
      }),
      { numRuns: 300 }
    )
  })
})

describe("snappy", () => {
  it("round-trips what snappyjs compresses (300 runs)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 1, max: 40 }), (raw, period) => {
        const data = raw.map((b, i) => (i % period === 0 ? b : raw[i - (i % period)]!)) // repetitive: copies
        assert.deepStrictEqual(snappyUncompress(snappy.compress(data), "s", at), data)
      }),
      { numRuns: 300 }
    )
  })

  it("refuses a declared length the input cannot expand to, before allocating", () => {
    // 0xffffffff declared by 5 bytes followed by 10 bytes of input: at most 213 bytes possible.
    const bomb = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, ...new Array<number>(10).fill(0)])
    mustFail(() => snappyUncompress(bomb, "s", at), /impossible for 10 compressed bytes/)
  })

  it("refuses streams that snappyjs 0.7 would mis-decode or loop on", () => {
    // A 4-byte literal length ≥ 2^31: snappyjs reads it negative and never terminates.
    mustFail(() => snappyUncompress(new Uint8Array([100, 0xfc, 0xf0, 0xff, 0xff, 0xff, 0, 0]), "s", at), /Snappy literal/)
    // Copy without its offset byte; output shorter and longer than declared; copy before any output.
    mustFail(() => snappyUncompress(new Uint8Array([10, 0x01]), "s", at), /Snappy copy offset/)
    mustFail(() => snappyUncompress(new Uint8Array([10, 0x04, 1, 2]), "s", at), /decodes to 2 bytes, declared 10/)
    mustFail(() => snappyUncompress(new Uint8Array([2, 0x0c, 1, 2, 3, 4]), "s", at), /beyond its declared length 2/)
    mustFail(() => snappyUncompress(new Uint8Array([8, 0x05, 0x01]), "s", at), /offset 1 outside the 0 bytes/)
  })

  it("never throws anything but InvalidModelError on random input (2000 runs)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        invalid(() => snappyUncompress(bytes, "s", at))
      }),
      { numRuns: 2000 }
    )
  })
})

describe("SSTable", () => {
  it("lists what the writer wrote: many blocks, restarts, prefixes, Snappy (500 runs)", () => {
    fc.assert(
      fc.property(sortedEntries, tableOptions, (entries, options) => {
        const got = list(writeSSTable(entries, options))
        assert.strictEqual(got.length, entries.length)
        got.forEach((e, i) => {
          assert.deepStrictEqual(e.key, entries[i]!.key)
          assert.deepStrictEqual(e.value, entries[i]!.value)
        })
      }),
      { numRuns: 500 }
    )
  })

  it("has several blocks, some Snappy, in the fuzzing sample", () => {
    const handles = blockHandles(sampleTable).slice(2)
    assert.isAbove(handles.length, 5)
    const types = handles.map((h) => sampleTable[h.offset + h.size])
    assert.include(types, 1)
    assert.strictEqual(list(sampleTable).length, 60)
  })

  describe("structural errors name the file and offset", () => {
    const one = writeSSTable([entry("a"), entry("b")])
    const withBytes = (f: (b: Uint8Array) => void) => {
      const b = one.slice()
      f(b)
      return b
    }
    const contentsAt = blockHandles(one)[2]! // the only data block

    it("short file, bad magic", () => {
      mustFail(() => list(new Uint8Array(10)), /too short/)
      const e = mustFail(() => list(withBytes((b) => (b[b.length - 1] = 0))), /magic/)
      assert.strictEqual(e.file, "t.index")
      assert.strictEqual(e.where, `byte ${one.length - 8}`)
    })

    it("handle outside the file, overlong handle varint", () => {
      const footer = one.length - FOOTER_SIZE
      const [meta] = blockHandles(one)
      const b = withBytes((b) => b.set([...varints(meta!.offset, meta!.size, 1000, 5), ...new Array<number>(40).fill(0)].slice(0, 40), footer))
      const e = mustFail(() => list(b), /index block \[1000, \+5\) plus its 5-byte trailer ends past byte/)
      assert.strictEqual(e.where, `byte ${footer + 2}`)
      mustFail(() => list(withBytes((b) => b.fill(0xff, footer, footer + 40))), /varint longer than 10 bytes/)
    })

    it("checksum mismatch, unknown compression", () => {
      mustFail(() => list(withBytes((b) => (b[contentsAt.offset] ^= 1))), /data block @0: checksum mismatch/)
      const e = mustFail(
        () =>
          list(
            withBytes((b) => {
              b[contentsAt.offset + contentsAt.size] = 7
              fixCrc(b, contentsAt)
            })
          ),
        /unknown compression type 7/
      )
      assert.strictEqual(e.where, `byte ${contentsAt.size}`)
    })

    it("restart count, restart offsets, shared prefix, varint overrun, values past the entries", () => {
      const edit = (f: (b: Uint8Array, h: BlockHandle) => void) =>
        withBytes((b) => {
          f(b, contentsAt)
          fixCrc(b, contentsAt)
        })
      const end = contentsAt.offset + contentsAt.size
      mustFail(() => list(edit((b) => (b[end - 4] = 200))), /restart count 200 impossible/)
      mustFail(() => list(edit((b) => (b[end - 4] = 0))), /restart count 0 impossible/)
      mustFail(() => list(edit((b) => (b[end - 8] = 3))), /first restart offset is 3/)
      // second entry ("b") claims to share 5 bytes with "a"
      mustFail(() => list(edit((b) => (b[contentsAt.offset + 5] = 5))), /shared key length 5 exceeds the previous key's 1 bytes/)
      // "b" gets value length 0, so its value byte is read as the next entry, whose varints overrun
      mustFail(() => list(edit((b) => (b[contentsAt.offset + 7] = 0))), /unshared key length: varint runs past the end/)
      mustFail(() => list(edit((b) => (b[contentsAt.offset + 2] = 100))), /value: needs 100 bytes/)
    })

    it("keys out of order, in a block and across blocks", () => {
      mustFail(() => list(writeSSTable([entry("b"), entry("a")])), /key "a" does not sort after the previous key "b"/)
      mustFail(() => list(writeSSTable([entry("a"), entry("a")])), /does not sort after/)
      mustFail(() => list(writeSSTable([entry("b"), entry("a")], { blockSize: 1 })), /does not sort after|outside its index range/)
    })

    it("restart point in the middle of an entry, or at an entry that shares bytes", () => {
      const many = writeSSTable([entry("aa"), entry("ab"), entry("ac")], { restartInterval: 2 })
      const h = blockHandles(many)[2]!
      const end = h.offset + h.size
      const b1 = many.slice()
      b1[end - 8] = 1 // second restart offset → 1
      fixCrc(b1, h)
      mustFail(() => list(b1), /restart offset 1 is not at an entry boundary/)
      const b2 = many.slice()
      b2[end - 8] = 7 // the second entry ("ab", shares 1 byte with "aa") starts at 7
      fixCrc(b2, h)
      mustFail(() => list(b2), /entry at a restart point shares 1 key bytes/)
    })

    it("overlapping data blocks and keys outside their index range", () => {
      const two = writeSSTable([entry("a"), entry("b")], { blockSize: 1 })
      const index = blockHandles(two)[1]!
      // Point the second index entry at the first block (handle 18,13 → 0,13).
      const b = two.slice()
      const idx = b.subarray(index.offset, index.offset + index.size)
      idx[idx.lastIndexOf(18)] = 0
      fixCrc(b, index)
      mustFail(() => list(b), /data block @0 overlaps or precedes the previous block \(which ends at 18\)/)
    })

    it("refuses a prefix-compression bomb instead of materialising its keys", () => {
      // One 60 KiB key, then thousands of 4-byte entries each repeating all of it plus one byte.
      const w: Array<number> = [...varints(0, 60_000, 0)]
      for (let i = 0; i < 60_000; i++) w.push(0x61)
      for (let i = 0; i < 4000; i++) {
        w.push(...varints(60_000 + i, 1, 0), 0x61)
      }
      const block = new Uint8Array([...w, 0, 0, 0, 0, 1, 0, 0, 0])
      const before = process.memoryUsage().arrayBuffers
      mustFail(() => blockEntries({ contents: block, locate: at }, "t", { left: 32 * block.length }), /keys expand to more bytes/)
      assert.isBelow(process.memoryUsage().arrayBuffers - before, 64 << 20)
    })
  })
})

const realIndexFiles: ReadonlyArray<string> = sharedTestdata
  ? execFileSync("find", [sharedTestdata, "-name", "*.index"]).toString().trim().split("\n").sort()
  : []

describe.skipIf(sharedTestdata === undefined)("real TensorFlow .index files", () => {
  it("finds them all", () => {
    assert.strictEqual(realIndexFiles.length, 19)
  })

  it("lists sorted keys with the header first, and Snappy blocks where TF wrote them", () => {
    const snappyFiles: Array<string> = []
    for (const path of realIndexFiles) {
      const bytes = new Uint8Array(readFileSync(path))
      const entries = list(bytes)
      assert.strictEqual(entries[0]!.key.length, 0, path)
      assert.isAbove(entries.length, 1, path)
      for (const h of blockHandles(bytes).slice(2)) if (bytes[h.offset + h.size] === 1) snappyFiles.push(path)
    }
    assert.deepStrictEqual(
      snappyFiles.map((p) => p.split("/").slice(-4, -3)[0]),
      ["saved_model_half_plus_two_cpu", "saved_model_half_plus_two_tf2_cpu"]
    )
  })

  it("reads the Snappy index of half_plus_two_tf2_cpu", () => {
    const path = realIndexFiles.find((p) => p.includes("half_plus_two_tf2_cpu"))!
    const keys = list(new Uint8Array(readFileSync(path))).map((e) => dec.decode(e.key))
    assert.deepStrictEqual(keys, [
      "",
      "_CHECKPOINTABLE_OBJECT_GRAPH",
      "a/.ATTRIBUTES/VARIABLE_VALUE",
      "b/.ATTRIBUTES/VARIABLE_VALUE",
      "c/.ATTRIBUTES/VARIABLE_VALUE"
    ])
  })
})

/** Fuzzing inputs: the real files plus the synthetic multi-block table. */
const fuzzTables = (): Array<Uint8Array> => [sampleTable, ...realIndexFiles.map((p) => new Uint8Array(readFileSync(p)))]

describe("fuzzing the index (SSTable level)", () => {
  const tables = fuzzTables()

  it("fails with InvalidModelError at every truncation of every table (exhaustive)", () => {
    let cases = 0
    for (const t of tables) {
      for (let n = 0; n < t.length; n++) {
        mustFail(() => list(t.subarray(0, n)))
        cases++
      }
    }
    assert.isAbove(cases, 4000)
  })

  it("random bit flips: success or InvalidModelError; always failure inside a checksummed block (3000 runs)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: tables.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 3 }),
        (which, flips) => {
          const t = tables[which]!.slice()
          const positions = flips.map(([p, bit]) => {
            const pos = p % t.length
            t[pos]! ^= 1 << bit
            return pos
          })
          // Flips of the same bit cancel out: only bytes that end up different count.
          const changed = positions.filter((p) => t[p] !== tables[which]![p])
          // Every block but the metaindex (which TF's reader ignores too) is read and checksummed.
          const covered = blockHandles(tables[which]!).slice(1).some((h) =>
            changed.some((p) => p >= h.offset && p < h.offset + h.size + BLOCK_TRAILER_SIZE)
          )
          const magic = changed.some((p) => p >= t.length - 8)
          const err = invalid(() => list(t))
          if (covered || magic) assert.isDefined(err, `flip at ${changed} must be detected`)
        }
      ),
      { numRuns: 3000 }
    )
  })

  it("block contents overwritten and re-checksummed: success or InvalidModelError (5000 runs)", () => {
    // With the CRC fixed up, the structural checks (restarts, varints, prefixes, order, Snappy
    // tags) are what must catch the damage.
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: tables.length - 1 }),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (which, blockPick, edits) => {
          const t = tables[which]!.slice()
          const handles = blockHandles(t).filter((h) => h.size > 0)
          const h = handles[blockPick % handles.length]!
          for (const [p, v] of edits) t[h.offset + (p % h.size)] = v
          fixCrc(t, h)
          invalid(() => list(t))
        }
      ),
      { numRuns: 5000 }
    )
  })

  it("footer handles overwritten with random varints: success or InvalidModelError (1000 runs)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: tables.length - 1 }),
        fc.array(fc.oneof(fc.nat({ max: 300 }), fc.nat(), fc.constant(2 ** 53 - 1)), { minLength: 4, maxLength: 4 }),
        (which, values) => {
          const t = tables[which]!.slice()
          const footer = varints(...values)
          t.set(footer.slice(0, 40), t.length - FOOTER_SIZE)
          invalid(() => list(t))
        }
      ),
      { numRuns: 1000 }
    )
  })

  it("random bytes: InvalidModelError (1000 runs)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, withMagic) => {
        const t = withMagic ? new Uint8Array([...bytes, ...tables[0]!.subarray(-8)]) : bytes
        invalid(() => list(t))
      }),
      { numRuns: 1000 }
    )
  })
})
