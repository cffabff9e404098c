/**
 * A companion administers the lock: users, the operating mode, the clock, the audit log. The
 * real companion code (companion/protocol.ts, companion/admin.ts: what the CLI runs) against the real
 * firmware in the VM, over the Jacdac bus. Each change is checked where it matters: at the
 * keypad, in the lock's answers, in its events and in its own audit log.
 */
import { echoOf } from "../../src/core/frames"
import { randomBytes } from "node:crypto"
import { describe, expect, it } from "vitest"
import { addUser, listUsers, readAudit, scheduleParams, setClock } from "../../companion/admin"
import { command, enrol, LockRefusal, nonce, openAnswer, request, sealCommand, sendFrame } from "../../companion/protocol"
import { writeFstorValue, fstorValue } from "../../sim/fstor"
import { LatchkeyClient } from "../../host/lock-client"
import { civilToSeconds, CMD_USER_LIST, OperatingMode, UserType } from "../../src/core/index"
import { attempt, enrolled, freshBoard, itNeeds, MASTER, savedAudit, tmpStore } from "./helpers"


async function refused(p: Promise<unknown>): Promise<LockRefusal> {
    try {
        await p
    } catch (e) {
        if (e instanceof LockRefusal) return e
        throw e
    }
    throw new Error("the lock did not refuse")
}


const plain = { type: UserType.Unrestricted, name: "", params: [0, 0, 0, 0, 0, 0, 0, 0] }

describe("users through the companion", () => {
    itNeeds("flashImage")("adds, lists, disables, enables and removes users; the keypad follows each change", async () => {
        const { b, client, store } = await enrolled()
        const slot = await addUser(client, store, { ...plain, name: "Alice" }, "5283")
        expect(slot).toBe(2)
        await b.waitUntil(() => client.events.some(e => e.name === "LockUserChange" && e.fields.user === 2 && e.fields.operation === "Add"), "a LockUserChange event")
        expect(await attempt(b, "5283")).toBe("success")

        const users = await listUsers(client, store)
        expect(users).toEqual([
            { slot: 1, type: "Programming", enabled: true, name: "", schedule: "" },
            { slot: 2, type: "Unrestricted", enabled: true, name: "Alice", schedule: "" },
        ])

        await command(client, store, "user-disable", [2])
        expect(await attempt(b, "5283")).toBe("failure")
        expect((await listUsers(client, store))[1].enabled).toBe(false)
        await command(client, store, "user-enable", [2])
        expect(await attempt(b, "5283")).toBe("success")
        await command(client, store, "user-name", [2, ...Buffer.from("Bob")])
        expect((await listUsers(client, store))[1].name).toBe("Bob")
        await command(client, store, "user-remove", [2])
        expect(await attempt(b, "5283")).toBe("failure")
        expect((await listUsers(client, store)).map(u => u.slot)).toEqual([1])

        const kinds = savedAudit(b).map(e => `${e.kind} ${e.source} ${e.slot}`)
        for (const k of ["UserAdded 7 2", "UserNamed 7 2", "UserDisabled 7 2", "UserEnabled 7 2", "UserDeleted 7 2"]) expect(kinds).toContain(k)
    })

    it("pages through a long user list, metadata only", async () => {
        const { b, client, store } = await enrolled()
        const codes = ["2468", "3579", "4680", "5791", "6802", "7913", "8024", "9135", "1246", "2357", "3468", "4579"]
        for (let i = 0; i < codes.length; i++) {
            // every code check counts: past 5, the next waits like a keypad lockout,
            // unless a right code was typed at the keypad since
            if (i === 6) {
                expect((await refused(addUser(client, store, { ...plain, name: `guest${i}` }, codes[i]))).reason).toMatch(/^code checks wait \d+ s$/)
                expect(await attempt(b, MASTER)).toBe("success")
            }
            await addUser(client, store, { ...plain, name: `guest${i}` }, codes[i])
        }
        const users = await listUsers(client, store)
        expect(users.map(u => u.slot)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1))
        expect(users[12].name).toBe("guest11")
        // the page itself: no field can hold a digest (21 bytes per user: slot, type, status, schedule, name)
        const page = await request(client, store, "user-list", [1])
        expect((page.length - 1) % 21).toBe(0)
        expect(page[0]).toBeGreaterThan(1) // more to come: one page holds 10
    })

    it("refuses weak, duplicate and malformed users, and the master slot, saying why", async () => {
        const { b, client, store } = await enrolled()
        expect((await refused(addUser(client, store, plain, "1234"))).reason).toMatch(/code: /)
        expect((await refused(addUser(client, store, plain, MASTER))).reason).toBe("code already in use")
        expect((await refused(addUser(client, store, plain, "12"))).status).toBe("Invalid")
        expect((await refused(addUser(client, store, { ...plain, type: UserType.Programming }, "5283"))).reason).toMatch(/user type/)
        expect((await refused(addUser(client, store, { ...plain, type: UserType.WeekDaySchedule }, "5283"))).reason).toMatch(/schedule/)
        expect((await refused(addUser(client, store, { ...plain, name: "far too long a name" }, "5283"))).reason).toMatch(/name/)
        expect((await refused(command(client, store, "user-remove", [1]))).reason).toMatch(/slot 1 is the master/)
        expect((await refused(command(client, store, "user-disable", [9]))).reason).toBe("no user in that slot")
        expect(await attempt(b, MASTER)).toBe("success")
        expect((await listUsers(client, store)).length).toBe(1)
    })

    it("makes no user changes on an unprovisioned lock", async () => {
        const b = await freshBoard()
        const client = new LatchkeyClient(b.bus)
        const store = tmpStore()
        await b.pressProgramButton()
        await enrol(client, store)
        const r = await refused(addUser(client, store, plain, "5283"))
        expect(r.status).toBe("Refused")
        expect(r.reason).toMatch(/setup mode/)
        expect((await client.status()).provisioned).toBe(false)
    })

    it("seals its answers: only the companion's key opens them, for its own request, and a stranger gets nothing", async () => {
        const { client, rec } = await enrolled()
        const key = Buffer.from(rec.key, "hex")
        const n = await nonce(client, rec.keyId)
        const answer = await sendFrame(client, sealCommand(key, rec.keyId, 100, n, CMD_USER_LIST, [1]))
        const opened = openAnswer(key, rec.keyId, 100, CMD_USER_LIST, n, answer)
        expect(opened.status).toBe("Ok")
        expect(opened.payload[0]).toBe(0) // one page: the end
        expect(() => openAnswer(randomBytes(32), rec.keyId, 100, CMD_USER_LIST, n, answer)).toThrow(/did not authenticate/)
        expect(() => openAnswer(key, rec.keyId, 101, CMD_USER_LIST, n, answer)).toThrow(/did not authenticate/)
        expect(() => openAnswer(key, rec.keyId, 100, CMD_USER_LIST + 1, n, answer)).toThrow(/did not authenticate/)
        const other = await nonce(client, rec.keyId)
        expect(() => openAnswer(key, rec.keyId, 100, CMD_USER_LIST, other, answer)).toThrow(/did not authenticate/)
        const strangerFrame = sealCommand(randomBytes(32), 99, 1, await nonce(client, 99), CMD_USER_LIST, [1])
        const stranger = await sendFrame(client, strangerFrame)
        // clear Refused, then the echo of the stranger's own frame: no counter, no payload, nothing of the lock's
        expect(Array.from(stranger)).toEqual([2, 4, 9, ...echoOf(strangerFrame)])
    })
})

describe("the clock through the companion", () => {
    it("enables a schedule user: refused before the clock is set, opens within its hours after", async () => {
        const { b, client, store } = await enrolled()
        const week = { type: UserType.WeekDaySchedule, name: "cleaner", params: scheduleParams(UserType.WeekDaySchedule, { days: "12345", start: "09:00", end: "17:00" }) }
        const slot = await addUser(client, store, week, "6194")
        expect(await attempt(b, "6194")).toBe("failure")
        expect((await readAudit(client, store)).entries.some(e => e.event === "RestrictedClock" && e.slot === slot)).toBe(true)
        // Monday 2026-11-30 10:00 (the lock's local time)
        await setClock(client, store, civilToSeconds(2026, 11, 30, 10, 0, 0))
        await b.waitForLog(/lock: clock set: 2026-11-30 10:00/, 3000, 0)
        expect(await attempt(b, "6194")).toBe("success")
        // Sunday: outside its days
        await setClock(client, store, civilToSeconds(2026, 11, 29, 10, 0, 0))
        expect(await attempt(b, "6194")).toBe("failure")
        expect((await listUsers(client, store))[1].schedule).toBe("Mon,Tue,Wed,Thu,Fri 09:00-17:00")
        expect((await refused(setClock(client, store, 1000))).reason).toMatch(/out of range/)
    })
})

describe("the operating mode through the companion", () => {
    it("NoRemoteLockUnlock refuses remote unlock (saying why) but not a mode change back", async () => {
        const { b, client, store } = await enrolled()
        await command(client, store, "mode", [OperatingMode.NoRemoteLockUnlock])
        expect((await client.status()).operatingMode).toBe("NoRemoteLockUnlock")
        const moves = b.latchMoves.length
        expect((await refused(command(client, store, "unlock"))).reason).toMatch(/NoRemoteLockUnlock/)
        expect(b.openedSince(moves)).toBe(false)
        expect(await attempt(b, MASTER)).toBe("success")
        await command(client, store, "mode", [OperatingMode.Normal])
        expect((await client.status()).operatingMode).toBe("Normal")
        expect((await refused(command(client, store, "mode", [9]))).status).toBe("Invalid")
    })
})

describe("the audit log through the companion", () => {
    itNeeds("flashImage")("reads the whole log with its chain verified, and finds a changed entry", async () => {
        const { b, client, store } = await enrolled()
        await command(client, store, "unlock")
        await b.waitUntil(() => b.isUnlocked(), "the remote unlock")
        await command(client, store, "lock")
        const log = await readAudit(client, store)
        expect(log.intact).toBe(true)
        const events = log.entries.map(e => `${e.event} ${e.source}`)
        expect(events).toEqual(expect.arrayContaining(["PowerOn Unspecified", "MasterChanged Keypad", "Unlock Remote", "Lock Remote"]))
        expect(log.entries.map(e => e.seq)).toEqual(log.entries.map((_, i) => i))
        // what the lock's own log holds, entry for entry
        expect(log.entries.map(e => e.seq)).toEqual(savedAudit(b).map(e => e.seq))

        // someone with the flash rewrites history: the remote unlock becomes a lock
        const at = log.entries.find(e => e.event === "Unlock")!.seq
        b.powerCut()
        const seg = Uint8Array.from(fstorValue(b.flash.image, "$lk.a0")!)
        const o = 4 + at * 8 + 4
        seg[o] = (seg[o] & 0xe0) | 2
        writeFstorValue(b.flash.image, "$lk.a0", seg)
        await b.powerOn()
        const tampered = await readAudit(client, store)
        expect(tampered.intact).toBe(false)
        expect(tampered.brokenAt).toBe(at + 1)
    })
})
