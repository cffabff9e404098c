/**
 * The owner's way back after a power cut lost state (bench:power's lost_after_restore): the real
 * `latchkey backup` / `latchkey restore` code (companion/backup.ts) over the bus, the restore let
 * in by a press of the inside program button; a lock still set up (some users lost, the rest
 * still there) is first reset by holding that button (the reset ritual), as an owner would have to.
 * Afterwards every code the backup held is typed at the keypad and the companion sends a command.
 */
import { join } from "node:path"
import { backupLock, restoreLock } from "../../companion/backup"
import { command, KeyStore } from "../../companion/protocol"
import { LatchkeyClient } from "../../host/lock-client"
import { attempt, FAST_PROFILE, sleep, SimulatedBoard } from "./board"

const PASSPHRASE = async () => "power-cut bench backup passphrase"

/** What a backup held when it was made: the codes and companions that must work after a restore. */
export interface BackupTaken {
    file: string
    codes: string[]
    companions: number
}

/** `latchkey backup FILE` of the lock as it is now (a new file each time: backups refuse to overwrite). */
export async function takeBackup(client: LatchkeyClient, dir: string, n: number, codes: string[], companions: number): Promise<BackupTaken> {
    const file = join(dir, `lock-${n}.backup`)
    await backupLock(client, file, PASSPHRASE, 5000)
    return { file, codes: [...codes], companions }
}

/** How a restore went: users of the backup (its codes, and the companion's key) that still do not work after it. */
export interface RestoreOutcome {
    restored: boolean
    /** The ritual was needed first: the lock was still set up with what it had left. */
    reset: boolean
    stillLost: number
    /** Of those, the codes (the rest is the companion's key). */
    codesLost: number
    why: string
}

/** Polls the lock's status until `want` holds (the service may not answer right after a restart). */
async function statusUntil(client: LatchkeyClient, want: (s: { provisioned: boolean }) => boolean, ms: number) {
    const end = Date.now() + ms
    for (;;) {
        const s = await client.status().catch(() => null)
        if (s && want(s)) return s
        if (Date.now() > end) throw new Error("the lock's status did not come as expected")
        await sleep(300)
    }
}

/**
 * Restores `backup` the way the owner would and checks it. `opening` is called before and after
 * each code is typed (the latch may open for it).
 */
export async function restoreAndCheck(b: SimulatedBoard, client: LatchkeyClient, store: KeyStore, backup: BackupTaken, opening: () => void): Promise<RestoreOutcome> {
    const total = backup.codes.length + (backup.companions > 0 ? 1 : 0)
    let reset = false
    try {
        const s = await statusUntil(client, () => true, 10000)
        if (s.provisioned) {
            // still set up with what survived: the reset ritual (held past resetHoldSeconds) first
            reset = true
            const mark = b.logs.length
            await b.pressProgramButton(FAST_PROFILE.timing.resetHoldSeconds * 1000 + 600)
            await b.waitForLog(/factory reset/, 8000, mark)
            await statusUntil(client, st => !st.provisioned, 10000)
        }
        await b.pressProgramButton()
        await restoreLock(client, store, { file: backup.file, replaceBoard: false, timeoutMs: 10000 }, PASSPHRASE)
    } catch (e) {
        return { restored: false, reset, stillLost: total, codesLost: backup.codes.length, why: (e as Error).message.split("\n")[0] }
    }
    let stillLost = 0
    let codesLost = 0
    const failed: string[] = []
    for (const code of backup.codes) {
        opening()
        const answer = await attempt(b, code).catch(e => (e as Error).message)
        // typing a code can take longer than the latch check allows on a loaded machine: again after it
        opening()
        if (!/unlocked/.test(answer)) {
            stillLost++
            codesLost++
            failed.push(`a code: ${answer.replace(/^> /, "")}`)
        }
        await sleep(300)
    }
    if (backup.companions > 0) {
        let ok = ""
        for (let i = 0; i < 3; i++) {
            ok = await command(client, store, "lock").then(() => "Ok", e => (e as Error).message)
            if (ok === "Ok" || !/Busy|timeout|no answer/i.test(ok)) break
            await sleep(1000)
        }
        // the companion's key (its store keeps the newest one): one user
        if (ok !== "Ok") {
            stillLost++
            failed.push(`the companion: ${ok}`)
        }
    }
    return { restored: true, reset, stillLost, codesLost, why: failed.join("; ") }
}
