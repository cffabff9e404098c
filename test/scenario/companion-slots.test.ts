/**
 * Companion records come back: the real firmware in the VM reuses a revoked key's record for a
 * new enrolment, never its key id, so enrol-and-revoke never fills the lock; a revoked key stays
 * refused after its record is reused; Full only when every key the lock can hold is live, and the
 * CLI's advice then names the command that makes room.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { command, enrol, nonce, sealCommand, sendSealed } from "../../companion/protocol"
import { LatchkeyClient } from "../../host/lock-client"
import { CMD_UNLOCK, COMPANION_RECORDS, MAX_COMPANIONS } from "../../src/core/index"
import { serveBusOverTcp, TcpHub } from "../../sim/hub"
import { cli } from "./cli-run"
import { attempt, enrolled, lockRefusal, MASTER, setUpBoard, tmpStore } from "./helpers"

let hub: TcpHub | undefined
afterEach(async () => {
    await hub?.close()
    hub = undefined
})

describe("companion records are reused, key ids never", () => {
    it("enrols again after more enrol-and-revoke cycles than the lock has records, one key live throughout", async () => {
        const { b, client, store, rec } = await enrolled()
        const ids = [rec.keyId]
        for (let cycle = 1; cycle <= COMPANION_RECORDS + 1; cycle++) {
            await b.pressProgramButton()
            const phone = await enrol(client, tmpStore())
            ids.push(phone.keyId)
            expect(await command(client, store, "revoke", [phone.keyId]), `revoke after enrolment ${cycle}`).toBe("Ok")
        }
        await b.pressProgramButton()
        const next = await enrol(client, tmpStore())
        ids.push(next.keyId)
        // each id once, in order: none issued twice although records were
        expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1))
        // and after a restart, the next id is still a new one
        await b.restart()
        await b.pressProgramButton()
        expect((await enrol(client, tmpStore())).keyId).toBe(next.keyId + 1)
        expect(await command(client, store, "lock")).toBe("Ok")
        expect(await command(client, store, "revoke", [next.keyId])).toBe("Ok")
    }, 180_000)

    it("still refuses a revoked key once its record holds a new key, and gives its id to nobody", async () => {
        const { b, client, store } = await enrolled()
        await b.pressProgramButton()
        const oldStore = tmpStore()
        const old = await enrol(client, oldStore)
        expect(await command(client, store, "revoke", [old.keyId])).toBe("Ok")
        expect(await lockRefusal(command(client, oldStore, "unlock"))).toBe("Refused")
        // every record in use: one live, the rest revoked; the oldest revoked record is the old key's
        for (let n = 2; n < COMPANION_RECORDS; n++) {
            await b.pressProgramButton()
            const phone = await enrol(client, tmpStore())
            expect(await command(client, store, "revoke", [phone.keyId])).toBe("Ok")
        }
        await b.pressProgramButton()
        const mark = b.logs.length
        const newStore = tmpStore()
        const fresh = await enrol(client, newStore)
        expect(fresh.keyId).toBe(COMPANION_RECORDS + 1)
        await b.waitForLog(new RegExp(`companion ${fresh.keyId} enrolled \\(in the record of revoked key ${old.keyId}\\)`), 5000, mark)

        const moves = b.latchMoves.length
        // the old key, as its companion sends it: unknown now
        expect(await lockRefusal(command(client, oldStore, "unlock"))).toBe("Refused")
        // the old key under the id of the record it used to have: the tag does not match
        const n = await nonce(client, fresh.keyId)
        const forged = sealCommand(Buffer.from(old.key, "hex"), fresh.keyId, 1000, n, CMD_UNLOCK, [])
        expect(await sendSealed(client, forged)).toBe("Refused")
        // still refused after a restart
        await b.restart()
        expect(await lockRefusal(command(client, oldStore, "unlock"))).toBe("Refused")
        expect(b.openedSince(moves)).toBe(false)
        expect(b.isLocked()).toBe(true)
        // the new key and the live one work
        expect(await command(client, newStore, "lock")).toBe("Ok")
        expect(await command(client, store, "lock")).toBe("Ok")
        expect(await attempt(b, MASTER)).toBe("success")
    }, 180_000)

    it("answers Full only when every key it can hold is live, and the CLI's advice (`latchkey revoke`) makes room", async () => {
        const b = await setUpBoard()
        const client = new LatchkeyClient(b.bus)
        hub = await serveBusOverTcp(b.bus, 0)
        const first = tmpStore()
        await b.pressProgramButton()
        await enrol(client, first)
        for (let i = 2; i <= MAX_COMPANIONS; i++) {
            await b.pressProgramButton()
            await enrol(client, tmpStore())
        }
        await b.pressProgramButton()
        const mark = b.logs.length
        const keys = join(mkdtempSync(join(tmpdir(), "latchkey-slots-")), "keys.json")
        const full = await cli(hub.port, keys, "enrol")
        expect(full.code).toBe(1)
        expect(full.err).toMatch(/refused by the lock: Full/)
        expect(full.err).toMatch(/run `latchkey revoke KEY_ID` for one no longer used/)
        await b.waitForLog(new RegExp(`enrolment refused: ${MAX_COMPANIONS} companion keys are live`), 5000, mark)

        // what the advice says: revoke one, press the button, enrol again
        expect(await command(client, first, "revoke", [3])).toBe("Ok")
        await b.pressProgramButton()
        const again = await cli(hub.port, keys, "enrol")
        expect(again.code, again.err).toBe(0)
        expect(again.out).toMatch(new RegExp(`enrolled as companion key ${MAX_COMPANIONS + 1} `))
    }, 180_000)
})
