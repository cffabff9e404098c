/** The lock's own Jacdac service, read from the bus by a jacdac-ts client: state and events. */
import { describe, expect, it } from "vitest"
import { LatchkeyClient } from "../../host/lock-client"
import { attempt, FAST_PROFILE, freshBoard, MASTER, setUpMaster, waitForEvent } from "./helpers"

const FREE = FAST_PROFILE.lockout.freeFailures

/** Reads lock_state until it is `want`; returns every state read on the way (moves show Locking/Unlocking). */
async function waitForState(c: LatchkeyClient, want: string): Promise<string[]> {
    const seen: string[] = []
    const end = Date.now() + 5000
    for (;;) {
        const s = (await c.status()).lockState
        if (seen[seen.length - 1] !== s) seen.push(s)
        if (s === want) return seen
        if (Date.now() > end) throw new Error(`lock_state never became ${want}; read ${seen.join(", ")}`)
        await new Promise(r => setTimeout(r, 20))
    }
}

describe("the lock's Jacdac service", () => {
    it("reports setup mode, then the state, failures and a live lockout countdown", async () => {
        const b = await freshBoard()
        const c = new LatchkeyClient(b.bus)
        expect(await c.status()).toMatchObject({ lockState: "Locked", provisioned: false, failureCount: 0, lockoutRemainingMs: 0 })
        await setUpMaster(b)
        expect(await c.status()).toMatchObject({ provisioned: true, operatingMode: "Normal" })

        const from = c.events.length
        expect(await attempt(b, MASTER)).toBe("success")
        const op = await waitForEvent(c, from, e => e.name === "LockOperation", "LockOperation")
        expect(op.fields).toEqual({ operation: "Unlock", source: "Keypad", user: 1 }) // the master is slot 1
        // the fast profile has a latch switch: Unlocking until it confirms the move
        for (const s of await waitForState(c, "Unlocked")) expect(["Unlocking", "Unlocked"]).toContain(s)
        await waitForEvent(c, from, e => e.name === "LockOperation" && e.fields.operation === "Lock", "relock")
        for (const s of await waitForState(c, "Locked")) expect(["Locking", "Locked"]).toContain(s)

        for (let i = 1; i <= FREE; i++) expect(await attempt(b, "8402")).toBe("failure")
        const errFrom = c.events.length
        expect(await attempt(b, "8402")).toBe("lockout")
        const alarm = await waitForEvent(c, errFrom, e => e.name === "DoorLockAlarm", "alarm")
        expect(alarm.fields.alarm).toBe("WrongCodeEntryLimit")
        const err = await waitForEvent(c, errFrom, e => e.name === "LockOperationError", "LockOperationError")
        expect(err.fields).toMatchObject({ error: "InvalidCredential", failureCount: FREE + 1, source: "Keypad" })
        const s = await c.status()
        expect(s.failureCount).toBe(FREE + 1)
        expect(s.lockoutRemainingMs).toBeGreaterThan(0)
        expect(s.lockoutRemainingMs).toBeLessThanOrEqual(FAST_PROFILE.lockout.baseSeconds * 1000)
    })

    it("reports a code typed during a lockout once, at '#', as LockOperationError LockedOut", async () => {
        const b = await freshBoard()
        const c = new LatchkeyClient(b.bus)
        await setUpMaster(b)
        for (let i = 1; i <= FREE; i++) expect(await attempt(b, "8402")).toBe("failure")
        // each wrong code after a lockout doubles it: up to the longest (8 s on the fast firmware),
        // so it cannot run out while the code below is typed
        const longest = FAST_PROFILE.lockout.maxSeconds * 1000
        for (;;) {
            expect(await attempt(b, "8402")).toBe("lockout")
            if ((await c.status()).lockoutRemainingMs > longest / 2) break
            const end = Date.now() + longest + 5000
            while ((await c.status()).lockoutRemainingMs > 0) {
                if (Date.now() > end) throw new Error("the lockout did not end")
                await new Promise(r => setTimeout(r, 200))
            }
        }
        const from = c.events.length
        expect(await attempt(b, MASTER)).toBe("lockout")
        const e = await waitForEvent(c, from, e => e.name === "LockOperationError", "LockedOut")
        expect(e.fields).toMatchObject({ error: "LockedOut", source: "Keypad" })
        expect(c.events.slice(from).filter(e => e.name === "LockOperationError")).toHaveLength(1)
        expect(b.isLocked()).toBe(true)
    })

    it("announces every power-up with the LockRadioPowerCycled alarm", async () => {
        const b = await freshBoard()
        const c = new LatchkeyClient(b.bus)
        const from = c.events.length
        await b.restart()
        const e = await waitForEvent(c, from, e => e.name === "DoorLockAlarm", "power-cycle alarm")
        expect(e.fields.alarm).toBe("LockRadioPowerCycled")
    })
})
