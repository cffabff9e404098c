/**
 * The deterministic, smaller version of `npm run bench:power`: power cuts at the k-th flash write
 * (or a seeded random moment) during enrolment, wrong codes and right codes, on the real firmware
 * in the VM. With intact writes nothing may be lost; with torn/corrupted writes the lock may lose
 * what the store held (DeviceScript formats a damaged store) but must never open or forget
 * failures while it still has a code.
 */
import { describe, expect, it } from "vitest"
import { runCuts } from "../../bench/lib/powercut"

describe("power cuts (deterministic subset of npm run bench:power)", () => {
    it("intact writes: no counter reset, no lost user, never opens without the code", async () => {
        const s = await runCuts(14, 2, 21, { damage: 0, companions: false })
        expect(s.findings).toEqual([])
        expect(s.cuts).toBe(14)
        expect(s.counter_resets + s.lost_users + s.opened_without_code + s.boot_failures).toBe(0)
    }, 120_000)

    it("torn and corrupted writes: never opens, never resets a counter while codes remain", async () => {
        const s = await runCuts(6, 2, 22, { damage: 1, companions: false })
        expect(s.cuts).toBe(6)
        expect(s.opened_without_code).toBe(0)
        expect(s.counter_resets).toBe(0)
    }, 120_000)
})
