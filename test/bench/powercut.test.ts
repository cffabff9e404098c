/**
 * The deterministic, smaller version of `npm run bench:power`: power cuts at the k-th flash write
 * (or a seeded random moment) during enrolment, wrong codes and right codes, on the real firmware
 * in the VM. With intact writes nothing may be lost; with torn/corrupted writes the lock may lose
 * what the store held (DeviceScript formats a damaged store) but must never open or forget
 * failures while it still has a code.
 */
import { describe, expect, it } from "vitest"
import { CutStats, runCuts } from "../../bench/lib/powercut"

// each chain runs once; the properties below read its counts
let intactRun: Promise<CutStats> | undefined
let damagedRun: Promise<CutStats> | undefined
const intact = () => (intactRun ??= runCuts(14, 2, 21, { damage: 0, companions: false }))
const damaged = () => (damagedRun ??= runCuts(6, 2, 22, { damage: 1, companions: false }))

describe("power cuts (deterministic subset of npm run bench:power)", () => {
    it("intact writes: never opens without the code, never resets a counter, never breaks the audit chain", async () => {
        const s = await intact()
        expect(s.cuts).toBe(14)
        expect(s.counter_resets + s.opened_without_code + s.boot_failures + s.broken_audit_chains).toBe(0)
    }, 120_000)

    // setup answers "code saved" only once the user chunk reads back from the settings store
    it("intact writes: no lost user", async () => {
        const s = await intact()
        expect(s.findings).toEqual([])
        expect(s.lost_users).toBe(0)
    }, 120_000)

    it("torn and corrupted writes: never opens without the code", async () => {
        const s = await damaged()
        expect(s.cuts).toBe(6)
        expect(s.opened_without_code).toBe(0)
    }, 120_000)

    // two counter records written in turn: a torn or corrupted write leaves the previous value
    // whole in the other one (src/firmware/store.ts)
    it("torn and corrupted writes: never resets a counter while codes remain", async () => {
        const s = await damaged()
        expect(s.counter_resets).toBe(0)
    }, 120_000)
})
