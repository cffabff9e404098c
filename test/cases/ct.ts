/**
 * Constant-time comparison of digests (ctEqual) and the branch-free helpers the lock's decision is
 * built from (same, below, pick). Node alone checks read counts (through a Proxy), in
 * test/core/constant-time.test.ts.
 */
import { below, Bytes, ctEqual, pick, same } from "../../src/core/index"
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
                name: "same, below and pick answer with arithmetic, wall times past 2^31 included",
                run: async check => {
                    check.eq(`${same(5, 5)} ${same(5, 6)} ${same(0, 4294967295)} ${same(4102444799, 4102444799)} ${same(0, 0)}`, "1 0 0 1 1", "same")
                    check.eq(`${below(1, 2)} ${below(2, 1)} ${below(2, 2)} ${below(0, 4102444799)} ${below(4102444799, 0)}`, "1 0 0 1 0", "below")
                    check.eq(`${below(1767268800, 1767268801)} ${below(4102444799, 4102444800)} ${below(4102444800, 4102444799)}`, "1 1 0", "below, wall seconds")
                    check.eq(`${pick(1, 7, 9)} ${pick(0, 7, 9)} ${pick(1, 0, 4)}`, "7 9 0", "pick")
                },
            },
        ],
    }
}
