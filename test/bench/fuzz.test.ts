/**
 * The deterministic, smaller version of `npm run bench:fuzz` (same fuzzers, fixed seeds): key
 * storms through the real core, malformed devs.json, and random/mutated lock service frames.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { ROOT } from "../../host/paths"
import { policyOf } from "../../bench/lib/adapters"
import { frameFuzz, keyStorms, profileFuzz } from "../../bench/lib/fuzzers"
import { FAST_PROFILE, SHIPPING_PROFILE } from "../../bench/lib/board"

const KEY = Buffer.alloc(32, 0x5a)

describe("fuzz (deterministic subset of npm run bench:fuzz)", () => {
    it("key storms through the core: no crash, no hang, every unlock authorised, counter saved before each check", () => {
        for (const [policy, seed] of [[policyOf(SHIPPING_PROFILE), 11], [policyOf(FAST_PROFILE), 12]] as const) {
            const s = keyStorms(1500, seed, policy, KEY)
            expect(s.findings).toEqual([])
            expect(s.crashes + s.hangs + s.unauthorised_unlocks + s.invariant_violations).toBe(0)
            expect(s.storms).toBe(1500)
            expect(s.keys).toBeGreaterThan(50_000)
            expect(s.unlocks).toBeGreaterThan(50) // the storms do reach the unlock path
        }
    })

    it("malformed devs.json: ProfileError or a sane profile, never anything else", () => {
        const base = JSON.parse(readFileSync(join(ROOT, "devs.json"), "utf8"))
        const s = profileFuzz(1500, 13, base)
        expect(s.findings).toEqual([])
        expect(s.crashes).toBe(0)
        expect(s.accepted_invalid).toBe(0)
        expect(s.rejected).toBeGreaterThan(1000)
    })

    it("lock service frames: only genuine fresh sealed commands are accepted, nothing else opens", () => {
        const s = frameFuzz(20_000, 14, policyOf(FAST_PROFILE), KEY)
        expect(s.findings).toEqual([])
        expect(s.crashes + s.hangs + s.unauthorised_unlocks).toBe(0)
        expect(s.genuine).toBeGreaterThan(100)
        expect(s.accepted).toBe(s.genuine)
    })
})
