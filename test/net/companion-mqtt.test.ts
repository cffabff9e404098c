/**
 * The companion CLI over a real MQTT broker (bin/latchkey.js as a user runs it, a process of its
 * own), to the real firmware with its link (build/firmware-net.devs) in the in-process VM: every
 * verb against Debian's mosquitto, the main ones against aedes, two locks on one broker addressed
 * by --lock, a broker with a password, enrol refused, and the errors.
 */
import { readFileSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freePort, HOST, mosquittoMissing, startAedes, startMosquitto, TestBroker } from "../../bench/lib/brokers"
import { brokerWithLock, lockOnBroker, NetLock } from "../support/net-lock"
import { latchkey } from "../scenario/cli-run"
import { LatchkeyClient } from "../../host/lock-client"
import { attempt, MASTER, sleep, tmpStore } from "../scenario/helpers"
import { enrol, KeyStore } from "../../companion/protocol"

const missing = mosquittoMissing()
const onMosquitto = missing ? describe.skip : describe

onMosquitto(`every verb over MQTT through mosquitto${missing ? ` [skipped: ${missing}]` : ""}`, () => {
    const net = brokerWithLock(startMosquitto)
    const run = (...args: string[]) => latchkey(["--mqtt", net.broker.url, "--keys", net.lock.store.path, ...args])

    it("lists the lock, unlocks and locks it, and reads the broker's copy of its state, saying what that is", async () => {
        const { lock } = net
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
        const { broker, lock } = net
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
        const { lock } = net
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
        const { lock } = net
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

describe("two locks on one aedes broker, addressed by --lock", () => {
    let broker: TestBroker
    let a: NetLock
    let b: NetLock

    beforeAll(async () => {
        broker = await startAedes()
        a = await lockOnBroker(broker)
        b = await lockOnBroker(broker, "2b8d5c4f0e3a1b66")
    }, 120000)
    afterAll(async () => {
        await a?.board.dispose()
        await b?.board.dispose()
        await broker?.stop()
    })

    it("lists both, refuses to guess, and opens only the lock it is told to", async () => {
        expect(a.lockId).not.toBe(b.lockId)
        const locks = await latchkey(["--mqtt", broker.url, "locks"])
        expect(locks.code, locks.err).toBe(0)
        expect(locks.out.trim().split("\n").sort()).toEqual([`${a.lockId}  online`, `${b.lockId}  online`].sort())

        const guess = await latchkey(["--mqtt", broker.url, "--keys", a.store.path, "unlock"])
        expect(guess.code).toBe(2)
        expect(guess.err).toMatch(/knows 2 locks: choose one with --lock ID/)
        expect(guess.err).toContain(a.lockId)
        expect(guess.err).toContain(b.lockId)

        const openA = await latchkey(["--mqtt", broker.url, "--lock", a.lockId, "--keys", a.store.path, "unlock"])
        expect(openA.code, openA.err).toBe(0)
        await a.board.waitUntil(() => a.board.isUnlocked(), "lock A open")
        expect(b.board.isLocked()).toBe(true)
        await a.board.waitUntil(() => a.board.isLocked(), "lock A's auto-relock")

        // A's key file holds no key for B: nothing is sent
        const wrongKeys = await latchkey(["--mqtt", broker.url, "--lock", b.lockId, "--keys", a.store.path, "unlock"])
        expect(wrongKeys.code).toBe(1)
        expect(wrongKeys.err).toMatch(new RegExp(`not enrolled with lock ${b.lockId}`))

        const openB = await latchkey(["--mqtt", broker.url, "--lock", b.lockId.toUpperCase(), "--keys", b.store.path, "unlock"])
        expect(openB.code, openB.err).toBe(0)
        await b.board.waitUntil(() => b.board.isUnlocked(), "lock B open")
        expect(a.board.isLocked()).toBe(true)
        const lockB = await latchkey(["--mqtt", broker.url, "--lock", b.lockId, "--keys", b.store.path, "lock"])
        expect(lockB.code, lockB.err).toBe(0)
        await sleep(600)
        const status = await latchkey(["--mqtt", broker.url, "--lock", b.lockId, "--keys", b.store.path, "status", "--json"])
        expect(JSON.parse(status.out)).toMatchObject({ ok: true, lockState: "LOCKED", authenticated: false, source: `latchkey/${b.lockId}/state` })
    }, 90000)

    it("two companions of one lock at once: each takes only its own answers, and both are carried out", async () => {
        const second = tmpStore()
        await a.board.pressProgramButton()
        await enrol(new LatchkeyClient(a.board.bus), second)
        const args = (store: KeyStore, verb: string) => ["--mqtt", broker.url, "--lock", a.lockId, "--keys", store.path, verb]
        const mark = a.board.logs.length
        const [one, two] = await Promise.all([latchkey(args(a.store, "unlock")), latchkey(args(second, "unlock"))])
        expect(one.code, one.err).toBe(0)
        expect(two.code, two.err).toBe(0)
        await a.board.waitForLog(/unlocked \(remote\)/, 5000, mark)
        await a.board.waitUntil(() => a.board.isLocked(), "lock A's auto-relock", 8000)
    }, 60000)

    it("says a lock is offline when the broker holds its will, and sends nothing", async () => {
        b.board.powerCut()
        const off = await latchkey(["--mqtt", broker.url, "locks", "--json"])
        const until = Date.now() + 15000
        let locks = JSON.parse(off.out).locks
        while (locks.find((l: { id: string }) => l.id === b.lockId)?.availability !== "offline" && Date.now() < until) {
            await sleep(500)
            locks = JSON.parse((await latchkey(["--mqtt", broker.url, "locks", "--json"])).out).locks
        }
        expect(locks).toEqual(expect.arrayContaining([{ id: b.lockId, availability: "offline" }]))
        const r = await latchkey(["--mqtt", broker.url, "--lock", b.lockId, "--keys", b.store.path, "unlock"])
        expect(r.code).toBe(1)
        expect(r.err).toMatch(/is offline/)
    }, 60000)
})

onMosquitto(`a broker with a user name and password (mosquitto)${missing ? ` [skipped: ${missing}]` : ""}`, () => {
    const USER = "phone"
    const PASSWORD = "tr0ub4dor-and-3"
    const net = brokerWithLock(() => startMosquitto({ username: USER, password: PASSWORD }))

    it("takes the credentials from LATCHKEY_MQTT_USER and LATCHKEY_MQTT_PASSWORD; without them, or wrong, it says so and sends nothing", async () => {
        const { broker, lock } = net
        const before = readFileSync(lock.store.path, "utf8")
        const args = ["--mqtt", broker.url, "--keys", lock.store.path, "unlock"]
        const anonymous = await latchkey(args)
        expect(anonymous.code).toBe(1)
        expect(anonymous.err).toMatch(/refused the connection.*set LATCHKEY_MQTT_USER and LATCHKEY_MQTT_PASSWORD/)
        const wrong = await latchkey(args, { env: { LATCHKEY_MQTT_USER: USER, LATCHKEY_MQTT_PASSWORD: "guess" } })
        expect(wrong.code).toBe(1)
        expect(wrong.err).toMatch(/refused the connection/)
        expect(readFileSync(lock.store.path, "utf8")).toBe(before)
        expect(lock.board.isLocked()).toBe(true)

        const env = { LATCHKEY_MQTT_USER: USER, LATCHKEY_MQTT_PASSWORD: PASSWORD }
        const ok = await latchkey(args, { env })
        expect(ok.code, ok.err).toBe(0)
        await lock.board.waitUntil(() => lock.board.isUnlocked(), "the unlock")
        const status = await latchkey(["--mqtt", broker.url, "--keys", lock.store.path, "status"], { env })
        expect(status.code, status.err).toBe(0)
        for (const r of [anonymous, wrong, ok, status]) expect(r.out + r.err).not.toContain(PASSWORD)
    }, 60000)
})
