import { describe, expect, it } from "vitest"
import { Bytes, ctEqual, findSlot } from "../../src/core/index"

function digest(seed: number): Uint8Array {
    const d = new Uint8Array(32)
    for (let i = 0; i < 32; i++) d[i] = (seed * 31 + i * 7) & 0xff
    d[0] = seed & 0xff
    d[1] = (seed >> 8) & 0xff
    return d
}

/** Wraps bytes so that every indexed read is counted. */
function counting(b: Bytes, counter: { reads: number }): Bytes {
    return new Proxy(b, {
        get(target, prop) {
            if (typeof prop === "string" && /^\d+$/.test(prop)) counter.reads++
            return Reflect.get(target, prop)
        },
    })
}

describe("ctEqual", () => {
    it("is true for equal bytes and false for any single differing bit", () => {
        const a = digest(1)
        expect(ctEqual(a, digest(1))).toBe(true)
        for (let i = 0; i < 32; i++)
            for (let bit = 0; bit < 8; bit++) {
                const b = digest(1)
                b[i] ^= 1 << bit
                expect(ctEqual(a, b)).toBe(false)
            }
    })

    it("is false for different lengths, including a prefix", () => {
        expect(ctEqual(digest(1), digest(1).slice(0, 31))).toBe(false)
        expect(ctEqual(new Uint8Array(0), new Uint8Array(1))).toBe(false)
    })

    it("works on empty inputs, plain arrays and Buffers", () => {
        expect(ctEqual(new Uint8Array(0), [])).toBe(true)
        expect(ctEqual([1, 2, 3], Uint8Array.from([1, 2, 3]))).toBe(true)
        expect(ctEqual(Buffer.from([9, 9]), [9, 8])).toBe(false)
    })

    it("reads every byte of both inputs whether they differ early, late or not at all", () => {
        const reads: number[] = []
        for (const pos of [-1, 0, 15, 31]) {
            const b = digest(5)
            if (pos >= 0) b[pos] ^= 0xff
            const counter = { reads: 0 }
            ctEqual(counting(digest(5), counter), counting(b, counter))
            reads.push(counter.reads)
        }
        expect(reads).toEqual([64, 64, 64, 64])
    })
})

describe("findSlot", () => {
    it("returns -1 for no slots and for all-empty slots", () => {
        expect(findSlot(digest(1), [])).toBe(-1)
        expect(findSlot(digest(1), [null, null, null])).toBe(-1)
    })

    it("finds the matching slot among others and empties", () => {
        const slots = [digest(1), null, digest(2), null, digest(3)]
        expect(findSlot(digest(1), slots)).toBe(0)
        expect(findSlot(digest(2), slots)).toBe(2)
        expect(findSlot(digest(3), slots)).toBe(4)
        expect(findSlot(digest(4), slots)).toBe(-1)
    })

    it("returns the first of several matches", () => {
        expect(findSlot(digest(7), [digest(1), digest(7), null, digest(7)])).toBe(1)
        expect(findSlot(digest(7), [digest(7), digest(7)])).toBe(0)
    })

    it("never matches an empty slot, even with an all-zero digest", () => {
        const zero = new Uint8Array(32)
        expect(findSlot(zero, [null, null])).toBe(-1)
        expect(findSlot(zero, [null, zero])).toBe(1)
    })

    it("never matches a slot of another length", () => {
        expect(findSlot(digest(1), [digest(1).slice(0, 16), digest(1).slice(0, 31)])).toBe(-1)
        const longer = new Uint8Array(33)
        longer.set(digest(1))
        expect(findSlot(digest(1), [longer])).toBe(-1)
    })

    it("works on slot counts beyond one byte", () => {
        const slots: (Bytes | null)[] = []
        for (let i = 0; i < 300; i++) slots.push(i % 3 === 0 ? null : digest(i))
        expect(findSlot(digest(298), slots)).toBe(298)
        expect(findSlot(digest(299), slots)).toBe(299)
        expect(findSlot(digest(300), slots)).toBe(-1)
        expect(findSlot(digest(297), slots)).toBe(-1)
    })

    it("reads the same number of digest bytes wherever the match is, and for empty slots", () => {
        const reads: number[] = []
        const layouts: (number | null)[][] = [
            [1, 2, 3, 4],
            [9, 2, 3, 4],
            [1, 2, 3, 9],
            [null, null, null, null],
            [9, null, 9, null],
        ]
        for (const layout of layouts) {
            const counter = { reads: 0 }
            const slots = layout.map((s) => (s === null ? null : digest(s)))
            findSlot(counting(digest(9), counter), slots)
            reads.push(counter.reads)
        }
        expect(new Set(reads).size).toBe(1)
        expect(reads[0]).toBe(4 * 32)
    })
})
