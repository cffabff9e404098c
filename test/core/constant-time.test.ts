/**
 * Constant-time scans of the pure core, checked where only Node can check them. The results of
 * ctEqual and findUser are cases in test/cases/ (run in Node and in the VM); here: that each reads
 * the same bytes whatever matches, counted through a Proxy (the VM has none).
 */
import { createHmac } from "node:crypto"
import { describe, expect, it } from "vitest"
import { Bytes, createUserTable, ctEqual, findUser, MAX_USERS, setUser, UserStatus, UserType } from "../../src/core/index"
import { seeded as digest } from "../cases/ct"
import { DEVICE_KEY } from "../cases/rig"

function hmac(message: string): Uint8Array {
    return createHmac("sha256", DEVICE_KEY).update(message).digest()
}

/** Wraps bytes so that every indexed read is counted. */
function counting<T extends Bytes>(b: T, counter: { reads: number }): T {
    return new Proxy(b, {
        get(target, prop) {
            if (typeof prop === "string" && /^\d+$/.test(prop)) counter.reads++
            return Reflect.get(target, prop)
        },
    })
}

function copy(b: Bytes): Uint8Array {
    return Uint8Array.from(b as ArrayLike<number>)
}

describe("ctEqual", () => {
    it("reads every byte of both inputs whether they differ early, late or not at all", () => {
        const reads: number[] = []
        for (const pos of [-1, 0, 15, 31]) {
            const b = copy(digest(5))
            if (pos >= 0) b[pos] ^= 0xff
            const counter = { reads: 0 }
            ctEqual(counting(digest(5), counter), counting(b, counter))
            reads.push(counter.reads)
        }
        expect(reads).toEqual([64, 64, 64, 64])
    })
})

describe("findUser", () => {
    it("does the same work whatever matches: no early exit (read count)", () => {
        const t = createUserTable() as Uint8Array
        for (let s = 1; s <= MAX_USERS; s++) setUser(t, s, UserType.Unrestricted, UserStatus.OccupiedEnabled, null, hmac("code" + s))
        const counter = { reads: 0 }
        const counted = counting(t, counter)
        const counts = ["code1", "code250", "absent"].map(c => {
            counter.reads = 0
            findUser(counted, hmac(c), 0)
            return counter.reads
        })
        expect(counts[0]).toBe(250 * 9)
        expect(new Set(counts).size).toBe(1)
    })
})
