/**
 * The pure lock core's cases (test/cases/) in Node: one `describe` per case file, one `it` per
 * case. The same cases run inside the DeviceScript VM (test/firmware/core-in-vm.test.ts).
 */
import { createHmac } from "node:crypto"
import { describe, expect, it } from "vitest"
import { allSuites } from "../cases/all"
import { Check } from "../cases/check"
import { Bytes } from "../../src/core/index"

function checker(): { check: Check; made: () => number } {
    let made = 0
    const check: Check = {
        eq: (actual, expected, what) => {
            made++
            expect(actual, what).toBe(expected)
        },
        breathe: async () => {},
        hmac: (key: string, message: string | Bytes) =>
            createHmac("sha256", key)
                .update(typeof message === "string" ? message : Uint8Array.from(message as ArrayLike<number>))
                .digest(),
    }
    return { check, made: () => made }
}

for (const make of allSuites()) {
    const suite = make()
    describe(suite.name, () => {
        for (const c of suite.cases)
            it(c.name, async () => {
                const { check, made } = checker()
                await c.run(check)
                expect(made(), "checks made by the case").toBeGreaterThan(0)
            })
    })
}
