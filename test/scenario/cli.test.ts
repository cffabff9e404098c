/** The companion CLI as a user runs it: a separate process, over TCP, to the simulated lock. */
import { randomBytes } from "node:crypto"
import { copyFileSync, mkdtempSync, readFileSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { JDBus } from "jacdac-ts"
import { afterEach, describe, expect, it } from "vitest"
import { nonce, sealCommand, sendSealed } from "../../companion/protocol"
import { serveBusOverTcp, TcpHub } from "../../sim/hub"
import { LatchkeyClient } from "../../host/lock-client"
import { CMD_UNLOCK } from "../../src/core/index"
import { cli, cliInput } from "./cli-run"
import { attempt, freshBoard, MASTER, setUpBoard, setUpMaster, SHIPPING_PROFILE } from "./helpers"

let hub: TcpHub | undefined
afterEach(async () => {
    await hub?.close()
    hub = undefined
})

describe("latchkey CLI", () => {
    it("enrols, unlocks, reports status and refuses without presence, over TCP", async () => {
        const b = await setUpBoard()
        hub = await serveBusOverTcp(b.bus, 0)
        const keys = join(mkdtempSync(join(tmpdir(), "latchkey-cli-")), "keys.json")

        const status = await cli(hub.port, keys, "status", "--json")
        expect(status.code).toBe(0)
        expect(JSON.parse(status.out)).toMatchObject({ ok: true, lockState: "Locked", provisioned: true })

        // the press that started setup, seconds ago, is presence enough for one enrolment;
        // a second enrolment without a new press is refused
        const first = await cli(hub.port, keys, "enrol")
        expect(first.code, first.err).toBe(0)
        expect(first.out).toMatch(/enrolled as companion key 1/)
        expect(statSync(keys).mode & 0o777).toBe(0o600)
        const again = await cli(hub.port, join(mkdtempSync(join(tmpdir(), "latchkey-cli-")), "k.json"), "enrol")
        expect(again.code).toBe(1)
        expect(again.err).toMatch(/NoPresence.*press the lock's inside program button/)

        const unlock = await cli(hub.port, keys, "unlock")
        expect(unlock.code, unlock.err).toBe(0)
        await b.waitUntil(() => b.isUnlocked(), "the CLI unlock")
        const lock = await cli(hub.port, keys, "lock", "--json")
        expect(JSON.parse(lock.out)).toMatchObject({ ok: true, command: "lock" })
        await b.waitUntil(() => b.isLocked(), "the CLI lock")
        expect(await attempt(b, MASTER)).toBe("success")
    })

    it("administers users, the mode, the clock and reads the audit log, over TCP", async () => {
        const b = await setUpBoard()
        hub = await serveBusOverTcp(b.bus, 0)
        const keys = join(mkdtempSync(join(tmpdir(), "latchkey-cli-")), "keys.json")
        expect((await cli(hub.port, keys, "enrol")).code).toBe(0)

        // a schedule user: the code comes on standard input, never on the command line
        const add = await cliInput(hub.port, keys, "6194\n", "users", "add", "--name", "cleaner", "--days", "12345", "--start", "09:00", "--end", "17:00", "--json")
        expect(add.code, add.err).toBe(0)
        expect(JSON.parse(add.out)).toEqual({ ok: true, slot: 2 })
        const weak = await cliInput(hub.port, keys, "1234\n", "users", "add")
        expect(weak.code).toBe(1)
        expect(weak.err).toMatch(/refused by the lock: Invalid: code: /)

        const list = await cli(hub.port, keys, "users", "list", "--json")
        expect(JSON.parse(list.out).users[1]).toEqual({ slot: 2, type: "WeekDaySchedule", enabled: true, name: "cleaner", schedule: "Mon,Tue,Wed,Thu,Fri 09:00-17:00" })
        expect((await cli(hub.port, keys, "users", "list")).out).toMatch(/ 2 +WeekDaySchedule +enabled +cleaner +Mon,Tue,Wed,Thu,Fri 09:00-17:00/)

        // the clock not set: a schedule user is refused; set it (a Monday, 10:00) and it opens
        expect(await attempt(b, "6194")).toBe("failure")
        const clock = await cli(hub.port, keys, "clock", "set", "2026-11-30 10:00")
        expect(clock.code, clock.err).toBe(0)
        expect(clock.out).toMatch(/clock set to 2026-11-30 10:00/)
        expect(await attempt(b, "6194")).toBe("success")

        expect((await cli(hub.port, keys, "users", "disable", "2")).out).toMatch(/slot 2 disabled/)
        expect(await attempt(b, "6194")).toBe("failure")
        expect((await cli(hub.port, keys, "mode", "vacation")).out).toMatch(/mode Vacation/)
        expect((await cli(hub.port, keys, "mode")).out).toMatch(/mode Vacation/)
        expect((await cli(hub.port, keys, "mode", "normal")).code).toBe(0)

        const audit = await cli(hub.port, keys, "audit", "--json")
        expect(audit.code, audit.err).toBe(0)
        const log = JSON.parse(audit.out)
        expect(log).toMatchObject({ ok: true, intact: true, brokenAt: -1 })
        const events = log.entries.map((e: { event: string; source: string }) => `${e.event} ${e.source}`)
        expect(events).toEqual(expect.arrayContaining(["UserAdded Remote", "RestrictedClock Keypad", "ClockSet Remote", "Unlock Keypad", "UserDisabled Remote", "ModeChanged Vacation Remote"]))
        const text = await cli(hub.port, keys, "audit")
        expect(text.out).toMatch(/chain intact: \d+ entries/)
        expect(text.out).toMatch(/2026-11-30 10:00 +Unlock +Keypad +2/)
    })

    it("says clearly when no lock answers and when arguments are wrong", async () => {
        const keys = join(mkdtempSync(join(tmpdir(), "latchkey-cli-")), "keys.json")
        const none = await cli(1, keys, "status", "--timeout", "500")
        expect(none.code).toBe(1)
        expect(none.err).toMatch(/cannot reach 127\.0\.0\.1:1 /)
        const bad = await cli(1, keys, "revoke", "abc")
        expect(bad.code).toBe(2)
        expect(bad.err).toMatch(/revoke takes one key id from 1 to 254/)
        for (const [args, why] of [
            [["users"], /users takes list, add, remove, enable, disable or name/],
            [["users", "remove", "0"], /users remove takes a slot from 1 to 250/],
            [["users", "add", "5283"], /the code is read from standard input/],
            [["users", "list", "--days", "12"], /--days is an option of `users add` only/],
            [["mode", "sleepy"], /unknown mode "sleepy"/],
            [["clock", "set", "2026-02-30 10:00"], /not a date and time between 2020 and 2099/],
            [["clock"], /clock takes: set/],
        ] as [string[], RegExp][]) {
            const r = await cli(1, keys, ...args)
            expect(r.code, args.join(" ")).toBe(2)
            expect(r.err).toMatch(why)
        }
        const noKeys = await cli(1, keys, "keys")
        expect(noKeys.out).toMatch(/no companion keys/)

        // a hub that answers, on a bus with no lock on it
        const empty = new JDBus([], { client: false, disableRoleManager: true })
        try {
            hub = await serveBusOverTcp(empty, 0)
            const noLock = await cli(hub.port, keys, "status", "--timeout", "1000")
            expect(noLock.code).toBe(1)
            expect(noLock.err).toMatch(/no lock found at 127\.0\.0\.1:\d+ /)
        } finally {
            await empty.dispose()
        }
    })

    it("keeps one key per lock: not enrolled, a second enrol refused, enrol --replace, revoke of an id never issued", async () => {
        const b = await setUpBoard()
        hub = await serveBusOverTcp(b.bus, 0)
        const dir = mkdtempSync(join(tmpdir(), "latchkey-cli-"))
        const keys = join(dir, "keys.json")

        const none = await cli(hub.port, keys, "unlock")
        expect(none.code).toBe(1)
        expect(none.err).toMatch(/not enrolled with lock [0-9a-f]+: run `latchkey enrol`/)

        expect((await cli(hub.port, keys, "enrol")).code).toBe(0)
        const oldKeys = join(dir, "old.json")
        copyFileSync(keys, oldKeys)
        // the same key file again: refused before the lock is asked, the held key named
        const twice = await cli(hub.port, keys, "enrol")
        expect(twice.code).toBe(1)
        expect(twice.err).toMatch(/already holds companion key 1 for lock [0-9a-f]+: nothing was asked of the lock/)
        expect(twice.err).toMatch(/`latchkey revoke 1`.*`latchkey enrol --replace`/)
        expect(readFileSync(keys, "utf8")).toBe(readFileSync(oldKeys, "utf8"))

        await b.pressProgramButton()
        const replaced = await cli(hub.port, keys, "enrol", "--replace")
        expect(replaced.code, replaced.err).toBe(0)
        expect(replaced.out).toMatch(/enrolled as companion key 2 of lock [0-9a-f]+; key saved in .*; old key 1 revoked/)
        const old = await cli(hub.port, oldKeys, "unlock")
        expect(old.code).toBe(1)
        expect(old.err).toMatch(/refused by the lock: Refused: the command did not authenticate/)

        const never = await cli(hub.port, keys, "revoke", "9")
        expect(never.code).toBe(1)
        expect(never.err).toMatch(/refused by the lock: Invalid: no such companion key: the lock knows no companion key 9 \(never issued, or revoked and its record since reused\); nothing was revoked/)
        const again = await cli(hub.port, keys, "revoke", "1")
        expect(again.code, again.err).toBe(0)
        expect(again.out).toMatch(/companion key 1 is revoked \(revoking it again changes nothing\)/)
        // the new key still works
        const unlock = await cli(hub.port, keys, "unlock")
        expect(unlock.code, unlock.err).toBe(0)
        await b.waitUntil(() => b.isUnlocked(), "the CLI unlock with the new key")
        // key changes are in the audit log (key ids, never keys); revoking a revoked key adds nothing
        const audit = await cli(hub.port, keys, "audit", "--json")
        expect(audit.code, audit.err).toBe(0)
        const keyEvents = JSON.parse(audit.out)
            .entries.filter((e: { event: string }) => e.event.startsWith("Companion"))
            .map((e: { event: string; source: string; slot: number }) => `${e.event} ${e.source} ${e.slot}`)
        expect(keyEvents).toEqual(["CompanionEnrolled Remote 1", "CompanionEnrolled Remote 2", "CompanionRevoked Remote 1"])
    })

    it("states a keypad lockout, and its audit log shows refused frames and a companion's clear-lockout", async () => {
        // the shipping timings: a 30 s first lockout, still running when `status` asks
        const b = await freshBoard("firmware")
        await setUpMaster(b)
        hub = await serveBusOverTcp(b.bus, 0)
        const keys = join(mkdtempSync(join(tmpdir(), "latchkey-cli-")), "keys.json")
        expect((await cli(hub.port, keys, "enrol")).code).toBe(0)

        // a forged tag under the enrolled id, then frames of a key the lock never issued: refused,
        // audited as a flood, and never counted on the keypad
        const client = new LatchkeyClient(b.bus)
        expect(await sendSealed(client, sealCommand(randomBytes(32), 1, 1, await nonce(client, 1), CMD_UNLOCK, []))).toBe("Refused")
        for (let i = 0; i < SHIPPING_PROFILE.lockout.freeFailures; i++)
            expect(await sendSealed(client, sealCommand(randomBytes(32), 200, 1, await nonce(client, 200), CMD_UNLOCK, []))).toBe("Refused")
        const refusedFrames = SHIPPING_PROFILE.lockout.freeFailures + 1
        expect((await cli(hub.port, keys, "status")).out).toMatch(/Locked, mode Normal, 0 failed attempt\(s\); store generation \d+ \(the first this computer has seen\)\n/)

        // the keypad's own failures lock the keypad out
        for (let i = 0; i < refusedFrames; i++) expect(await attempt(b, "5820")).toBe(i < refusedFrames - 1 ? "failure" : "lockout")
        const status = await cli(hub.port, keys, "status")
        expect(status.code, status.err).toBe(0)
        expect(status.out).toMatch(new RegExp(`Locked, mode Normal, ${refusedFrames} failed attempt\\(s\\); keypad LOCKED OUT: \\d+ s left`))
        expect(await attempt(b, MASTER)).toBe("lockout")

        expect((await cli(hub.port, keys, "clear-lockout")).code).toBe(0)
        const audit = await cli(hub.port, keys, "audit", "--json")
        expect(audit.code, audit.err).toBe(0)
        const log = JSON.parse(audit.out)
        expect(log).toMatchObject({ ok: true, intact: true })
        const events: { event: string; source: string; slot: number }[] = log.entries
        // one entry for the flood, its slot field holding how many frames were refused
        expect(events.filter(e => e.event === "RemoteRejected").map(e => `${e.source} ${e.slot}`)).toEqual([`Remote ${refusedFrames}`])
        const names = events.map(e => `${e.event} ${e.source}`)
        expect(names).toContain("LockoutCleared Remote")
        expect(await attempt(b, MASTER)).toBe("success")
    })
})
