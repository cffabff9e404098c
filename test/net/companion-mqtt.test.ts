/**
 * The companion CLI over a real MQTT broker (bin/latchkey.js as a user runs it, a process of its
 * own), to the real firmware with its link (build/firmware-net.devs) in the in-process VM: every
 * verb against Debian's mosquitto, the main ones against aedes, two locks on one broker addressed
 * by --lock, a broker with a password, enrol refused, and the errors.
 */
import { readFileSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freePort, HOST, mosquittoMissing, startAedes, startMosquitto, TestBroker } from "../support/brokers"
import { lockOnBroker, NetLock } from "../support/net-lock"
import { latchkey } from "../scenario/cli-run"
import { LatchkeyClient } from "../../host/lock-client"
import { attempt, MASTER, sleep } from "../scenario/helpers"

const missing = mosquittoMissing()
const onMosquitto = missing ? describe.skip : describe

onMosquitto(`every verb over MQTT through mosquitto${missing ? ` [skipped: ${missing}]` : ""}`, () => {
    let broker: TestBroker
    let lock: NetLock
    const run = (...args: string[]) => latchkey(["--mqtt", broker.url, "--keys", lock.store.path, ...args])

    beforeAll(async () => {
        broker = await startMosquitto()
        lock = await lockOnBroker(broker)
    }, 90000)
    afterAll(async () => {
        await lock?.board.dispose()
        await broker?.stop()
    })

    it("lists the lock, unlocks and locks it, and reads the broker's copy of its state, saying what that is", async () => {
        const locks = await run("locks", "--json")
        expect(locks.code, locks.err).toBe(0)
        expect(JSON.parse(locks.out)).toEqual({ ok: true, locks: [{ id: lock.lockId, availability: "online" }] })

        const unlock = await run("unlock")
        expect(unlock.code, unlock.err).toBe(0)
        expect(unlock.out.trim()).toBe("unlocked")
        await lock.board.waitUntil(() => lock.board.isUnlocked(), "the unlock over MQTT")
        const locked = await run("lock", "--json")
        expect(JSON.parse(locked.out)).toEqual({ ok: true, command: "lock" })
        await lock.board.waitUntil(() => lock.board.isLocked(), "the lock over MQTT")

        await sleep(600)
        const status = await run("status")
        expect(status.code, status.err).toBe(0)
        expect(status.out).toMatch(/^LOCKED, mode Normal, 0 failed attempt\(s\), door closed \(the broker's retained copy of the lock's state, NOT authenticated/)
        const json = JSON.parse((await run("status", "--json")).out)
        expect(json).toMatchObject({ ok: true, lockState: "LOCKED", operatingMode: "Normal", authenticated: false })
    }, 60000)

    it("sets the mode and the clock, administers users, clears the lockout and reads the audit log", async () => {
        expect((await run("mode", "Vacation")).out.trim()).toBe("mode Vacation")
        await sleep(600)
        expect((await run("mode")).out).toMatch(/^mode Vacation \(the broker's retained copy/)
        expect((await run("mode", "Normal")).code).toBe(0)

        const clock = await run("clock", "set", "2026-03-04 10:30")
        expect(clock.code, clock.err).toBe(0)
        expect(clock.out).toMatch(/clock set to 2026-03-04 10:30/)

        const add = await latchkey(["--mqtt", broker.url, "--keys", lock.store.path, "users", "add", "--name", "cleaner", "--json"], { input: "6194\n" })
        expect(add.code, add.err).toBe(0)
        expect(JSON.parse(add.out)).toEqual({ ok: true, slot: 2 })
        expect((await run("users", "name", "2", "bob")).out.trim()).toBe('slot 2 named "bob"')
        expect((await run("users", "disable", "2")).out.trim()).toBe("slot 2 disabled")
        const list = await run("users", "list", "--json")
        expect(JSON.parse(list.out).users).toEqual(
            expect.arrayContaining([expect.objectContaining({ slot: 2, name: "bob", enabled: false })]),
        )
        expect((await run("users", "enable", "2")).out.trim()).toBe("slot 2 enabled")
        expect(await attempt(lock.board, "6194")).toBe("success")
        await lock.board.waitUntil(() => lock.board.isLocked(), "the auto-relock")
        expect((await run("users", "remove", "2")).out.trim()).toBe("slot 2 removed")

        // two wrong codes at the keypad, cleared over MQTT
        expect(await attempt(lock.board, "0000")).toBe("failure")
        const client = new LatchkeyClient(lock.board.bus)
        expect((await client.status()).failureCount).toBeGreaterThan(0)
        const clear = await run("clear-lockout")
        expect(clear.code, clear.err).toBe(0)
        expect((await client.status()).failureCount).toBe(0)

        const audit = await run("audit")
        expect(audit.code, audit.err).toBe(0)
        expect(audit.out).toMatch(/chain intact: \d+ entries/)
        expect(audit.out).toMatch(/UserAdded/)
    }, 90000)

    it("refuses enrol over MQTT and says why, asking the lock nothing; revoke and lost-phone work and empty the key file", async () => {
        const before = readFileSync(lock.store.path, "utf8")
        const enrol = await run("enrol")
        expect(enrol.code).toBe(1)
        expect(enrol.err).toMatch(/enrol works only on the Jacdac bus/)
        expect(enrol.err).toMatch(/no key agreement/)
        expect(enrol.err).toMatch(/in the clear/)
        expect(readFileSync(lock.store.path, "utf8")).toBe(before)

        const keys = await run("keys")
        expect(keys.out).toMatch(new RegExp(`lock ${lock.lockId}: key ${lock.rec.keyId}`))
        const revokeOther = await run("revoke", "9")
        expect(revokeOther.code).toBe(1)
        expect(revokeOther.err).toMatch(/knows no companion key 9/)

        const lost = await run("lost-phone")
        expect(lost.code, lost.err).toBe(0)
        expect(lost.out).toMatch(/every companion key revoked; keypad codes still work; this computer's key removed/)
        const after = await run("unlock")
        expect(after.code).toBe(1)
        expect(after.err).toMatch(/not enrolled with lock/)
        expect(await attempt(lock.board, MASTER)).toBe("success")
    }, 60000)

    it("errors: an unknown lock, a broker that does not answer, bad URLs: a clear message, a non-zero exit, the key file untouched", async () => {
        const before = readFileSync(lock.store.path, "utf8")
        const unknown = await run("--lock", "0123456789abcdef", "unlock")
        expect(unknown.code).toBe(1)
        expect(unknown.err).toMatch(new RegExp(`knows no lock 0123456789abcdef; it knows: ${lock.lockId}`))
        const port = await freePort()
        const down = await latchkey(["--mqtt", `mqtt://${HOST}:${port}`, "--keys", lock.store.path, "unlock"])
        expect(down.code).toBe(1)
        expect(down.err).toMatch(/cannot reach the broker at mqtt:\/\/127\.0\.0\.1:\d+: connection refused/)
        const creds = await latchkey(["--mqtt", `mqtt://me:secret@${HOST}:${port}`, "--keys", lock.store.path, "unlock"])
        expect(creds.code).toBe(2)
        expect(creds.err).toMatch(/user name or password in the URL is refused/)
        expect(creds.err).not.toMatch(/secret/)
        expect(readFileSync(lock.store.path, "utf8")).toBe(before)
    }, 60000)
})
