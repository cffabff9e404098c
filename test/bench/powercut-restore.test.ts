/**
 * lost_after_restore's counting (bench/lib/powercut-restore.ts) on the real firmware in the VM:
 * a backup with the real `latchkey backup` code, a store lost at a power cut (its device key torn),
 * the owner's restore, and every code and the companion key counted as back; then, on a lock that
 * is set up, the reset ritual first, and a code the backup lists but the lock never had counted as
 * still lost.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { addUser } from "../../companion/admin"
import { enrol, KeyStore } from "../../companion/protocol"
import { LatchkeyClient } from "../../host/lock-client"
import { writeFstorValue } from "../../sim/fstor"
import { MASTER, newBoard, setUpMaster } from "../../bench/lib/board"
import { restoreAndCheck, takeBackup } from "../../bench/lib/powercut-restore"

const GUEST = "395172"
const b = newBoard("firmware-fast")
afterAll(() => b.dispose())

describe("power cuts: the owner's restore after a loss (bench:power's lost_after_restore)", () => {
    it("a store lost at a cut, restored: nothing still lost; a code the lock never had: counted lost", async () => {
        const dir = mkdtempSync(join(tmpdir(), "latchkey-cut-restore-"))
        const store = new KeyStore(join(dir, "keys.json"))
        await b.powerOn()
        const client = new LatchkeyClient(b.bus)
        await setUpMaster(b)
        await b.pressProgramButton()
        await enrol(client, store)
        await addUser(client, store, { type: 0, params: [], name: "guest" }, GUEST)
        const backup = await takeBackup(client, dir, 0, [MASTER, GUEST], 1)
        b.powerCut()
        writeFstorValue(b.flash.image, "$lk.key", new Uint8Array(5).fill(0xa5))
        await b.powerOn()
        expect((await client.status()).storeLost).toBe(true)
        const back = await restoreAndCheck(b, client, store, backup, () => {})
        expect(back).toMatchObject({ restored: true, reset: false, stillLost: 0, codesLost: 0 })
        // the lock is set up now: the reset ritual comes first; the extra code is not in the lock
        const claimed = { ...backup, codes: [...backup.codes, "864213"] }
        const again = await restoreAndCheck(b, client, store, claimed, () => {})
        expect(again).toMatchObject({ restored: true, reset: true, stillLost: 1, codesLost: 1 })
    }, 240_000)
})
