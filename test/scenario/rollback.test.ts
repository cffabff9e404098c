/**
 * A store that went back in time, on the real firmware with its real settings store: a companion
 * revokes another companion's key and removes a user; then the flash goes back to a copy taken
 * before (what a stale store copy mounted after a power cut, or an older image, gives: both
 * changes undone, the revoked key and the deleted code work again). The companion's next command
 * finds the store's generation below the one it saw, says so, tells the lock (StoreRolledBack in
 * the audit log, the StoreLost alarm) and applies its revocation and deletion again: the revoked
 * key is refused again and the deleted code opens nothing. A restore keeps the backup's
 * generation: what is applied again is what was changed since the backup, nothing older.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { addUser } from "../../companion/admin"
import { backupLock, restoreLock } from "../../companion/backup"
import { parseCli, runCommand, type CliOptions } from "../../companion/cli"
import { command, enrol, LockRefusal } from "../../companion/protocol"
import { onRollback, RollbackReport } from "../../companion/rollback"
import { UserType } from "../../src/core/index"
import { attempt, enrolled, itNeeds, savedAudit, sleep, tmpStore } from "./helpers"

let restore: ((r: RollbackReport) => void) | undefined
afterEach(() => {
    if (restore) onRollback(restore)
    restore = undefined
})

/** Why a command was refused ("Ok" when it was not). */
async function outcome(p: Promise<unknown>): Promise<string> {
    try {
        await p
        return "Ok"
    } catch (e) {
        return e instanceof LockRefusal ? `${e.status}${e.authenticated ? "" : " (clear)"}` : (e as Error).message
    }
}

describe("a store that went back in time", () => {
    itNeeds("flashImage")(
        "is found by the companion's next command, reported to the lock, and its revocation and deletion applied again",
        async () => {
            const reports: RollbackReport[] = []
            restore = onRollback(r => reports.push(r))
            const { b, client, store, rec } = await enrolled()
            // a second companion, on another computer
            const other = tmpStore()
            await b.pressProgramButton()
            const rec2 = await enrol(client, other)
            const slot = await addUser(client, store, { type: UserType.Unrestricted, name: "Ana", params: [0, 0, 0, 0, 0, 0, 0, 0] }, "3917")
            expect(await attempt(b, "3917")).toBe("success")
            const seenBefore = store.history(rec.lock).generation
            expect(seenBefore).toBeGreaterThan(0)
            await sleep(300)
            // the older copy: both companions live, Ana's code in its slot
            const older = Uint8Array.from(b.flash.image)

            await command(client, store, "revoke", [rec2.keyId])
            await command(client, store, "user-remove", [slot])
            const seenAfter = store.history(rec.lock).generation
            expect(seenAfter).toBeGreaterThan(seenBefore)
            expect(store.history(rec.lock).changes.map(c => c.command)).toEqual(["revoke", "user-remove"])
            expect(await outcome(command(client, other, "lock"))).toBe("Refused (clear)")
            expect(await attempt(b, "3917")).toBe("failure")
            await sleep(300)

            // the flash goes back: the lock boots from the older copy and says nothing of it
            b.powerCut()
            b.flash.image.set(older)
            const mark = b.logs.length
            await b.powerOn()
            expect(b.logs.slice(mark).some(l => /STORE LOST/.test(l))).toBe(false)
            // what the rollback gave back: the deleted code opens
            expect(await attempt(b, "3917")).toBe("success")
            expect(reports).toEqual([])

            // the companion's next command finds it
            const found = b.logs.length
            await command(client, store, "lock")
            expect(reports).toHaveLength(1)
            const r = reports[0]
            expect(r.lock).toBe(rec.lock)
            expect(r.remembered).toBe(seenAfter)
            expect(r.found).toBeLessThan(seenAfter)
            expect(r.told).toBe(true)
            expect(r.reapplied).toEqual([`revoke ${rec2.keyId}`, `user-remove ${slot}`])
            expect(r.failed).toEqual([])
            await b.waitForLog(/lock: alarm StoreLost/, 3000, found)
            // the lock's own record of it, on flash (an urgent entry)
            await b.waitUntil(() => savedAudit(b).some(e => e.kind === "StoreRolledBack" && e.source === 7), "StoreRolledBack saved in the audit log")

            // applied again: the revoked key is refused, the deleted code opens nothing
            expect(await outcome(command(client, other, "lock"))).toBe("Refused (clear)")
            expect(await attempt(b, "3917")).toBe("failure")
            // the lock's generation is past the one seen: the next answers are not behind
            await command(client, store, "lock")
            expect(reports).toHaveLength(1)
            expect(store.history(rec.lock).generation).toBeGreaterThan(seenAfter)

            // `latchkey status` shows the generation (a sealed read)
            const status = await runCommand(parseCli(["--keys", store.path, "status"]) as CliOptions, client)
            expect(status.text).toMatch(new RegExp(`store generation ${store.history(rec.lock).generation} \\(highest this computer saw before: ${store.history(rec.lock).generation}\\)`))
            expect(reports).toHaveLength(1)
        },
        120000,
    )

    itNeeds("wipeFlash")(
        "after a restore, finds the lock behind by the backup's own generation and applies again only what changed since the backup",
        async () => {
            const reports: RollbackReport[] = []
            restore = onRollback(r => reports.push(r))
            const { b, client, store, rec } = await enrolled()
            const params = [0, 0, 0, 0, 0, 0, 0, 0]
            const old = await addUser(client, store, { type: UserType.Unrestricted, name: "Old", params }, "5281")
            // a removal before the backup: logged, and already in the backup
            await command(client, store, "user-remove", [old])
            const ana = await addUser(client, store, { type: UserType.Unrestricted, name: "Ana", params }, "3917")
            const file = join(mkdtempSync(join(tmpdir(), "latchkey-rollback-")), "lock.backup")
            const pass = async () => "a long backup passphrase"
            await backupLock(client, file, pass, 5000)
            const atBackup = store.history(rec.lock).generation
            // a removal after the backup: the restore undoes it
            await command(client, store, "user-remove", [ana])
            b.powerCut()
            await b.wipeFlash()
            await b.powerOn()
            await b.pressProgramButton()
            await restoreLock(client, store, { file, replaceBoard: false, timeoutMs: 10000 }, pass)
            for (let i = 0; ; i++) {
                const o = await outcome(command(client, store, "lock"))
                if (o === "Ok") break
                if (i >= 5) throw new Error(`the companion's command after the restore: ${o}`)
                await sleep(1000)
            }
            expect(reports).toHaveLength(1)
            // the restored store's generation is the backup's (plus the writes of its boot), not 0
            expect(reports[0].found).toBeGreaterThanOrEqual(atBackup)
            expect(reports[0].failed).toEqual([])
            expect(reports[0].reapplied).toEqual([`user-remove ${ana}`])
            expect(await attempt(b, "3917")).toBe("failure")
        },
        240000,
    )
})
