/**
 * Constant-time comparison of digests: ctEqual and findSlot. Node alone checks their read counts
 * (through a Proxy) and findSlot over 300 slots (one call is beyond the VM's opcode budget), in
 * test/core/constant-time.test.ts.
 */
import { Bytes, ctEqual, findSlot } from "../../src/core/index"
import { Suite } from "./check"
import { copyBytes, sliceBytes, str } from "./compare"
import { DEVICE_KEY } from "./rig"

/** A 32-byte digest made from a seed (bytes 0 and 1 hold the seed). */
export function seeded(seed: number): Bytes {
    const d = Buffer.alloc(32)
    for (let i = 0; i < 32; i++) d[i] = (seed * 31 + i * 7) & 0xff
    d[0] = seed & 0xff
    d[1] = (seed >> 8) & 0xff
    return d
}

/** Slots holding seeded digests (null: empty). */
function slotsOf(seeds: (number | null)[]): (Bytes | null)[] {
    const out: (Bytes | null)[] = []
    for (const s of seeds) out.push(s === null ? null : seeded(s))
    return out
}

export function ctSuite(): Suite {
    return {
        name: "constant-time comparison",
        cases: [
            {
                name: "ctEqual is true for equal bytes and false for any single differing bit",
                run: async check => {
                    const a = seeded(1)
                    check.eq(str(ctEqual(a, seeded(1))), "true", "equal")
                    let missed = ""
                    for (let i = 0; i < 32; i++) {
                        for (let bit = 0; bit < 8; bit++) {
                            const b = copyBytes(seeded(1))
                            b[i] = b[i] ^ (1 << bit)
                            if (ctEqual(a, b)) missed = missed + ` ${i}.${bit}`
                        }
                        await check.breathe()
                    }
                    check.eq(missed, "", "flipped bits (byte.bit) read as equal")
                    const x = check.hmac(DEVICE_KEY, "7391")
                    check.eq(str(ctEqual(x, check.hmac(DEVICE_KEY, "7391"))), "true", "two HMACs of one code")
                    check.eq(str(ctEqual(x, check.hmac(DEVICE_KEY, "5820"))), "false", "HMACs of two codes")
                },
            },
            {
                name: "ctEqual is false for different lengths, including a prefix",
                run: async check => {
                    check.eq(str(ctEqual(seeded(1), sliceBytes(seeded(1), 0, 31))), "false", "a 31-byte prefix")
                    check.eq(str(ctEqual(Buffer.alloc(0), Buffer.alloc(1))), "false", "0 and 1 byte")
                },
            },
            {
                name: "ctEqual works on empty inputs, plain arrays and Buffers",
                run: async check => {
                    check.eq(str(ctEqual(Buffer.alloc(0), [])), "true", "empty")
                    check.eq(str(ctEqual(Buffer.alloc(0), Buffer.alloc(0))), "true", "two empty Buffers")
                    check.eq(str(ctEqual([1, 2, 3], Buffer.from([1, 2, 3]))), "true", "array and Buffer")
                    check.eq(str(ctEqual(Buffer.from([9, 9]), [9, 8])), "false", "Buffer and array")
                },
            },
            {
                name: "findSlot returns -1 for no slots and for all-empty slots",
                run: async check => {
                    check.eq(str(findSlot(seeded(1), [])), "-1", "no slots")
                    check.eq(str(findSlot(seeded(1), [null, null, null])), "-1", "empty slots")
                },
            },
            {
                name: "findSlot finds the matching slot among others and empties",
                run: async check => {
                    const slots = slotsOf([1, null, 2, null, 3])
                    check.eq(str(findSlot(seeded(1), slots)), "0", "first")
                    check.eq(str(findSlot(seeded(2), slots)), "2", "middle")
                    check.eq(str(findSlot(seeded(3), slots)), "4", "last")
                    check.eq(str(findSlot(seeded(4), slots)), "-1", "absent")
                },
            },
            {
                name: "findSlot returns the first of several matches",
                run: async check => {
                    check.eq(str(findSlot(seeded(7), slotsOf([1, 7, null, 7]))), "1", "1 and 3")
                    check.eq(str(findSlot(seeded(7), slotsOf([7, 7]))), "0", "0 and 1")
                },
            },
            {
                name: "findSlot never matches an empty slot, even with an all-zero digest",
                run: async check => {
                    const zero = Buffer.alloc(32)
                    check.eq(str(findSlot(zero, [null, null])), "-1", "empty slots")
                    check.eq(str(findSlot(zero, [null])), "-1", "one empty slot")
                    check.eq(str(findSlot(zero, [null, zero])), "1", "an all-zero slot")
                },
            },
            {
                name: "findSlot never matches a slot of another length",
                run: async check => {
                    const d = seeded(1)
                    check.eq(str(findSlot(d, [sliceBytes(d, 0, 16), sliceBytes(d, 0, 31)])), "-1", "prefixes")
                    const longer = Buffer.alloc(33)
                    for (let i = 0; i < 32; i++) longer[i] = d[i]
                    check.eq(str(findSlot(d, [longer])), "-1", "one byte longer")
                },
            },
        ],
    }
}
