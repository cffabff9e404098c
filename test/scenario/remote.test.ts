/**
 * Companion (phone) commands: the real companion code (companion/protocol.ts, what the CLI runs)
 * against the real firmware in the VM, over the Jacdac bus. Attacks from published smart-lock
 * failures: replayed frames, forged tags, counter rollback, revoked keys, strangers. Every frame
 * that does not authenticate gets the same clear Refused (02 04 09).
 */
import { statSync } from "node:fs"
import { randomBytes } from "node:crypto"
import { describe, expect, it } from "vitest"
import { command, enrol, KeyStore, nonce, openAnswer, sealCommand, sendFrame, sendSealed } from "../../companion/protocol"
import { LatchkeyClient } from "../../host/lock-client"
import { CMD_UNLOCK } from "../../src/core/remote"
import { addUser, listUsers } from "../../companion/admin"
import { OperatingMode, UserType } from "../../src/core/index"
import { attempt, enrolled, freshBoard, itNeeds, lockRefusal, MASTER, sleep, tmpStore } from "./helpers"
import { fstorValue, writeFstorValue } from "../../sim/fstor"
import { SettingsClient, SRV_SETTINGS } from "jacdac-ts"

describe("companion enrolment", () => {
    it("needs the program button pressed within 30 s, and keeps the key owner-only", async () => {
        const b = await freshBoard()
        const client = new LatchkeyClient(b.bus)
        const store = tmpStore()
        expect(await lockRefusal(enrol(client, store))).toBe("NoPresence")
        expect(store.all()).toEqual([])
        await b.pressProgramButton()
        const rec = await enrol(client, store)
        expect(rec.keyId).toBe(1)
        expect(rec.key).toMatch(/^[0-9a-f]{64}$/)
        expect(statSync(store.path).mode & 0o777).toBe(0o600)
        // one enrolment per press
        expect(await lockRefusal(enrol(client, tmpStore()))).toBe("NoPresence")
    })
})

describe("remote lock and unlock", () => {
    it("unlocks and locks with a fresh challenge each time", async () => {
        const { b, client, store } = await enrolled()
        const from = b.latchMoves.length
        expect(await command(client, store, "unlock")).toBe("Ok")
        await b.waitUntil(() => b.isUnlocked(), "the remote unlock")
        expect(await command(client, store, "lock")).toBe("Ok")
        await b.waitUntil(() => b.isLocked(), "the remote lock")
        expect(b.openedSince(from)).toBe(true)
        await b.waitUntil(() => client.events.some(e => e.name === "LockOperation" && e.fields.source === "Remote"), "a Remote LockOperation event")
    })

    it("refuses a replayed frame, a forged tag, a used challenge; a counter rollback is told so, sealed", async () => {
        const { b, client, store, rec } = await enrolled()
        const key = Buffer.from(rec.key, "hex")
        // a frame captured on the bus: it worked once
        const n1 = await nonce(client, rec.keyId)
        const captured = sealCommand(key, rec.keyId, 10, n1, CMD_UNLOCK, [])
        const first = openAnswer(key, rec.keyId, 10, CMD_UNLOCK, n1, await sendFrame(client, captured))
        expect(first).toMatchObject({ status: "Ok", authenticated: true })
        await b.waitUntil(() => b.isUnlocked(), "the first unlock")
        // the companion goes on from the counter that frame used
        store.put({ ...rec, counter: 10 })
        expect(await command(client, store, "lock")).toBe("Ok")
        await b.waitUntil(() => b.isLocked(), "the lock")
        const moves = b.latchMoves.length
        // replayed as is, even with a fresh challenge outstanding
        await nonce(client, rec.keyId)
        expect(await sendSealed(client, captured)).toBe("Refused")
        // forged: one bit of the tag flipped
        const n2 = await nonce(client, rec.keyId)
        const forged = sealCommand(key, rec.keyId, 20, n2, CMD_UNLOCK, [])
        forged[forged.length - 1] ^= 1
        expect(await sendSealed(client, forged)).toBe("Refused")
        // rollback: a counter lower than the last accepted (11): authentic, so told why, sealed
        const n3 = await nonce(client, rec.keyId)
        const rollback = openAnswer(key, rec.keyId, 5, CMD_UNLOCK, n3, await sendFrame(client, sealCommand(key, rec.keyId, 5, n3, CMD_UNLOCK, [])))
        expect(rollback).toMatchObject({ status: "Refused", authenticated: true })
        expect(rollback.payload.toString()).toMatch(/counter already used/)
        // a valid seal over a challenge that was already used
        expect(await sendSealed(client, sealCommand(key, rec.keyId, 30, n3, CMD_UNLOCK, []))).toBe("Refused")
        // a challenge signed for another key id
        const other = await nonce(client, rec.keyId + 1)
        expect(await sendSealed(client, sealCommand(key, rec.keyId, 31, other, CMD_UNLOCK, []))).toBe("Refused")
        expect(b.openedSince(moves)).toBe(false)
        expect(b.isLocked()).toBe(true)
    })

    it("refuses strangers: an unknown key id, or a known id with the wrong key", async () => {
        const { b, client, rec } = await enrolled()
        const moves = b.latchMoves.length
        expect(await sendSealed(client, sealCommand(randomBytes(32), 77, 1, await nonce(client, 77), CMD_UNLOCK, []))).toBe("Refused")
        expect(await sendSealed(client, sealCommand(randomBytes(32), rec.keyId, 1, await nonce(client, rec.keyId), CMD_UNLOCK, []))).toBe("Refused")
        expect(b.openedSince(moves)).toBe(false)
    })

    it("refuses a stranger's and a revoked key's changes (users, mode, revoke, lost-phone); nothing changes", async () => {
        const { b, client, store, rec } = await enrolled()
        await b.pressProgramButton()
        const revoked = tmpStore()
        const rec2 = await enrol(client, revoked)
        await b.pressProgramButton()
        const third = tmpStore()
        const rec3 = await enrol(client, third)
        expect(await command(client, store, "revoke", [rec2.keyId])).toBe("Ok")
        // a key the lock never issued, under an id it never gave out
        const stranger = tmpStore()
        stranger.put({ lock: rec.lock, keyId: 77, key: randomBytes(32).toString("hex"), counter: 0 })
        const users = await listUsers(client, store)
        const plain = { type: UserType.Unrestricted, name: "", params: [0, 0, 0, 0, 0, 0, 0, 0] }
        for (const [who, why] of [
            [stranger, "Refused"],
            [revoked, "Refused"],
        ] as [KeyStore, string][]) {
            expect(await lockRefusal(addUser(client, who, plain, "5283")), why).toBe(why)
            expect(await lockRefusal(command(client, who, "mode", [OperatingMode.Passage])), why).toBe(why)
            expect(await lockRefusal(command(client, who, "revoke", [rec3.keyId])), why).toBe(why)
            expect(await lockRefusal(command(client, who, "lost-phone")), why).toBe(why)
        }
        expect(await listUsers(client, store)).toEqual(users)
        expect((await client.status()).operatingMode).toBe("Normal")
        expect(await command(client, third, "lock")).toBe("Ok")
        expect(await command(client, store, "lock")).toBe("Ok")
    })

    it("revokes every companion on lost-phone while keypad codes keep working", async () => {
        const { b, client, store } = await enrolled()
        await b.pressProgramButton()
        const second = tmpStore()
        const rec2 = await enrol(client, second)
        expect(rec2.keyId).toBe(2)
        expect(await command(client, second, "revoke", [1])).toBe("Ok")
        expect(await lockRefusal(command(client, store, "unlock"))).toBe("Refused")
        expect(await command(client, second, "lost-phone")).toBe("Ok")
        expect(await lockRefusal(command(client, second, "unlock"))).toBe("Refused")
        expect(b.isLocked()).toBe(true)
        expect(await attempt(b, MASTER)).toBe("success")
    })

    it("never opens an unprovisioned lock, even for an enrolled companion", async () => {
        const b = await freshBoard()
        const client = new LatchkeyClient(b.bus)
        const store = tmpStore()
        await b.pressProgramButton()
        await enrol(client, store)
        const moves = b.latchMoves.length
        expect(await lockRefusal(command(client, store, "unlock"))).toBe("Refused")
        await b.waitForLog(/remote refused: setup mode/, 3000, 0)
        expect(b.openedSince(moves)).toBe(false)
    })
})

describe("companion records on flash", () => {
    itNeeds("flashImage")("keep every key across a power cut; a changed record stops only its own key", async () => {
        const { b, client, store } = await enrolled()
        const storeB = tmpStore()
        await b.pressProgramButton()
        await enrol(client, storeB)
        expect(await command(client, store, "lock")).toBe("Ok")
        await b.restart()
        expect(await command(client, store, "lock")).toBe("Ok")
        expect(await command(client, storeB, "lock")).toBe("Ok")

        // the first record altered on the flash chip (one bit of its key): its tag no longer matches
        b.powerCut()
        const rec = Uint8Array.from(fstorValue(b.flash.image, "$lk.p0")!)
        rec[10] ^= 0x01
        writeFstorValue(b.flash.image, "$lk.p0", rec)
        const mark = b.logs.length
        await b.powerOn()
        await b.waitForLog(/1 damaged companion record\(s\) ignored/, 5000, mark)
        expect(await lockRefusal(command(client, store, "lock"))).toBe("Refused")
        expect(await command(client, storeB, "lock")).toBe("Ok")
        // its place is kept: a new enrolment takes a new id, and works after a restart too
        const storeC = tmpStore()
        await b.pressProgramButton()
        const c = await enrol(client, storeC)
        expect(c.keyId).toBe(3)
        await b.restart()
        expect(await command(client, storeC, "lock")).toBe("Ok")
        expect(await command(client, storeB, "lock")).toBe("Ok")
    })

    it("ignores a companion record written over the bus by a device without the device key", async () => {
        const { b, client } = await enrolled()
        // a stranger on the bus writes a record for id 9 with a key of its own (the record format,
        // but a tag made without the device key)
        const key = randomBytes(32)
        const forged = Buffer.alloc(42)
        forged[0] = 9
        forged.writeUInt32LE(0, 2)
        key.copy(forged, 6)
        randomBytes(4).copy(forged, 38)
        const settings = b.bus.services({ serviceClass: SRV_SETTINGS }).find(s => s.device.deviceId === b.device.deviceId)!
        const sc = new SettingsClient(settings)
        await sc.setValue("$lk.p1", forged)
        for (let i = 0; !Buffer.from((await sc.getValue("$lk.p1")) ?? []).equals(forged); i++) {
            if (i >= 50) throw new Error("the settings service never held the forged record")
            await sleep(100)
        }
        const mark = b.logs.length
        await b.restart()
        await b.waitForLog(/1 damaged companion record\(s\) ignored/, 5000, mark)
        const stranger = tmpStore()
        stranger.put({ lock: (await client.service()).device.deviceId, keyId: 9, key: key.toString("hex"), counter: 0 })
        expect(await lockRefusal(command(client, stranger, "unlock"))).toBe("Refused")
        expect(b.isLocked()).toBe(true)
    })
})
