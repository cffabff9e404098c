import { describe, expect, it } from "vitest"
import { DEFAULT_POLICY, lockoutDurationMs, Policy, SEVEN_DAYS_MS } from "../../src/core/index"

describe("DEFAULT_POLICY", () => {
    it("has the documented defaults", () => {
        expect(DEFAULT_POLICY).toEqual({
            minCodeLength: 4,
            maxCodeLength: 8,
            entryTimeoutMs: 10000,
            autoRelockMs: 30000,
            longPressMs: 1000,
            setupTimeoutMs: 120000,
            freeFailures: 5,
            lockoutBaseMs: 30000,
            lockoutMaxMs: 604800000,
            menuTimeoutMs: 30000,
            resetHoldMs: 10000,
            doorAjarMs: 60000,
        })
        expect(SEVEN_DAYS_MS).toBe(604800000)
    })
})

describe("lockoutDurationMs", () => {
    const p = DEFAULT_POLICY

    it("is 0 for the first five failures", () => {
        for (let f = 0; f <= 5; f++) expect(lockoutDurationMs(p, f)).toBe(0)
    })

    it("doubles from 30 s: 30 s, 60 s, 120 s, 240 s ...", () => {
        expect(lockoutDurationMs(p, 6)).toBe(30000)
        expect(lockoutDurationMs(p, 7)).toBe(60000)
        expect(lockoutDurationMs(p, 8)).toBe(120000)
        expect(lockoutDurationMs(p, 9)).toBe(240000)
        expect(lockoutDurationMs(p, 10)).toBe(480000)
        for (let f = 6; f <= 20; f++) expect(lockoutDurationMs(p, f)).toBe(30000 * 2 ** (f - 6))
    })

    it("caps at 7 days", () => {
        expect(lockoutDurationMs(p, 20)).toBe(491520000)
        expect(lockoutDurationMs(p, 21)).toBe(604800000)
        expect(lockoutDurationMs(p, 22)).toBe(604800000)
        expect(lockoutDurationMs(p, 100)).toBe(604800000)
    })

    it("does not overflow or hang for huge counts", () => {
        expect(lockoutDurationMs(p, 1e9)).toBe(SEVEN_DAYS_MS)
        expect(lockoutDurationMs(p, Number.MAX_SAFE_INTEGER)).toBe(SEVEN_DAYS_MS)
        expect(lockoutDurationMs(p, Infinity)).toBe(SEVEN_DAYS_MS)
    })

    it("is never negative and treats nonsense as no lockout", () => {
        expect(lockoutDurationMs(p, -3)).toBe(0)
        expect(lockoutDurationMs(p, NaN)).toBe(0)
    })

    it("follows a custom policy", () => {
        const q: Policy = { ...p, freeFailures: 3, lockoutBaseMs: 1000, lockoutMaxMs: 5000 }
        expect([3, 4, 5, 6, 7, 8].map((f) => lockoutDurationMs(q, f))).toEqual([0, 1000, 2000, 4000, 5000, 5000])
        expect(lockoutDurationMs({ ...p, lockoutBaseMs: 0 }, 1e9)).toBe(0)
        expect(lockoutDurationMs({ ...p, freeFailures: 0 }, 1)).toBe(30000)
        expect(lockoutDurationMs({ ...p, lockoutMaxMs: 10000 }, 6)).toBe(10000)
    })

    it("never decreases as failures grow", () => {
        let prev = 0
        for (let f = 0; f < 200; f++) {
            const d = lockoutDurationMs(p, f)
            expect(d).toBeGreaterThanOrEqual(prev)
            prev = d
        }
    })
})
