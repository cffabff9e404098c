/**
 * Backup and restore on the real firmware: `latchkey backup` of a set-up
 * lock, its store wiped, `latchkey restore` after a press of the program button, and every old
 * code and the companion key work again, with the restore in the audit log and no StoreTampered.
 * Each refusal (wrong passphrase, damaged file, another board, no press, a lock that is set up)
 * leaves the lock's settings exactly as they were. Real scrypt and AES-256-GCM at the shipping
 * cost; the passphrase comes from LATCHKEY_BACKUP_PASSPHRASE, as in a script.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { jdpack, jdunpack, Packet } from "jacdac-ts"
import { parseCli, runCommand, type CliOptions } from "../../companion/cli"
import { addUser } from "../../companion/admin"
import { command } from "../../companion/protocol"
import { decodeBackup, encodeBackup, BackupFileError } from "../../companion/backup-file"
import { lockSettingKeys, RestoreRefused } from "../../companion/backup"
import { LatchkeyClient } from "../../host/lock-client"
import { SimulatedBoard } from "../../sim/board"
import { InProcessDevice } from "../../sim/devices/device"
import { fstorValue, writeFstorValue } from "../../sim/fstor"
import { UserType } from "../../src/core/index"
import { serveBusOverTcp, TcpHub } from "../../sim/hub"
import { cli as cliProcess } from "./cli-run"
import { attempt, enrolled, FAST_PROFILE, freshBoard, itNeeds, MASTER, retry, setUpBoard, setUpMaster, sleep } from "./helpers"

const PASS = "a long backup passphrase"
let before: string | undefined
beforeAll(() => {
    before = process.env.LATCHKEY_BACKUP_PASSPHRASE
    process.env.LATCHKEY_BACKUP_PASSPHRASE = PASS
})
let hub: TcpHub | undefined
/** A second board a test made itself (the helpers dispose their own). */
let replacement: SimulatedBoard | undefined
afterEach(async () => {
    await hub?.close()
    hub = undefined
    await replacement?.dispose()
    replacement = undefined
})
afterAll(() => {
    if (before === undefined) delete process.env.LATCHKEY_BACKUP_PASSPHRASE
    else process.env.LATCHKEY_BACKUP_PASSPHRASE = before
})

function cli(client: LatchkeyClient, keys: string, ...argv: string[]) {
    return runCommand(parseCli(["--keys", keys, ...argv]) as CliOptions, client)
}

/** Why `p` was refused: a BackupFileError's or RestoreRefused's reason. */
async function refusal(p: Promise<unknown>): Promise<string> {
    try {
        await p
    } catch (e) {
        if (e instanceof BackupFileError || e instanceof RestoreRefused) return e.reason
        throw e
    }
    return "done"
}

/** The lock's own settings as its flash holds them. */
function lockFlash(b: SimulatedBoard): string {
    return lockSettingKeys()
        .map(k => `${k}=${Buffer.from(fstorValue(b.flash.image, k) ?? []).toString("hex")}`)
        .join("\n")
}

/** A lock with a master, a named user and a companion, backed up; then its flash wiped. */
async function backedUpAndWiped() {
    const { b, client, store, rec } = await enrolled()
    const slot = await addUser(client, store, { type: UserType.Unrestricted, name: "Ana", params: [0, 0, 0, 0, 0, 0, 0, 0] }, "3917")
    const dir = mkdtempSync(join(tmpdir(), "latchkey-restore-"))
    const file = join(dir, "lock.backup")
    const made = await cli(client, store.path, "backup", file)
    expect(made.text).toMatch(/backed up to/)
    // nothing readable in it
    expect(readFileSync(file).includes(Buffer.from("$lk."))).toBe(false)
    b.powerCut()
    await b.wipeFlash()
    await b.powerOn()
    expect((await retry(() => client.status())).provisioned).toBe(false)
    return { b, client, store, rec, slot, file, dir }
}

describe("backup and restore", () => {
    itNeeds("wipeFlash")("a wiped lock restored after a program-button press: every old code opens, the companion key works, the audit says so", async () => {
        const { b, client, store, slot, file } = await backedUpAndWiped()
        expect(await attempt(b, MASTER)).toBe("failure")
        const from = client.events.length
        await b.pressProgramButton()
        const r = await cli(client, store.path, "restore", file)
        expect(r.text).toMatch(/restored: the lock restarted set up/)
        expect(await attempt(b, MASTER)).toBe("success")
        await sleep(300)
        expect(await attempt(b, "3917")).toBe("success")
        await retry(() => command(client, store, "unlock"))
        const users = await retry(() => cli(client, store.path, "users", "list"))
        expect(users.text).toMatch(new RegExp(`\\b${slot}\\s+Unrestricted\\s+enabled\\s+Ana`))
        const audit = await retry(() => cli(client, store.path, "audit"))
        expect(audit.exit).toBe(0)
        expect(audit.text).toMatch(/StoreRestored/)
        expect(audit.text).toMatch(/chain intact/)
        const s = await client.status()
        expect(s.provisioned).toBe(true)
        expect(s.storeLost).toBe(false)
        // the restore's writes were the lock's to accept: no tamper alarm, and commands still work
        await sleep(1500)
        expect(client.alarmSeen("StoreTampered", from)).toBe(false)
        await retry(() => command(client, store, "lock"))
    }, 240_000)

    itNeeds("flashImage")("a store lost at a power cut (its device key torn): the loss reported, then restored, and reported no more", async () => {
        const { b, client, store } = await enrolled()
        const dir = mkdtempSync(join(tmpdir(), "latchkey-restore-"))
        const file = join(dir, "lock.backup")
        await cli(client, store.path, "backup", file)
        b.powerCut()
        // the device key's newest value torn short: the boot cannot trust anything made with it
        writeFstorValue(b.flash.image, "$lk.key", new Uint8Array(5).fill(0xa5))
        await b.powerOn()
        const lost = await retry(() => client.status())
        expect(lost.provisioned).toBe(false)
        expect(lost.storeLost).toBe(true)
        expect(await attempt(b, MASTER)).toBe("failure")
        await b.pressProgramButton()
        await cli(client, store.path, "restore", file)
        const s = await retry(() => client.status())
        expect(s.provisioned).toBe(true)
        expect(s.storeLost).toBe(false)
        expect(await attempt(b, MASTER)).toBe("success")
        await retry(() => command(client, store, "lock"))
    }, 240_000)

    it("the CLI as a user runs it: a 0600 backup with the passphrase from the environment, and refusals that exit 1 with their reason", async () => {
        const b = await setUpBoard()
        hub = await serveBusOverTcp(b.bus, 0)
        const dir = mkdtempSync(join(tmpdir(), "latchkey-restore-"))
        const keys = join(dir, "keys.json")
        const file = join(dir, "lock.backup")
        const made = await cliProcess(hub.port, keys, "backup", file)
        expect(made.code, made.err).toBe(0)
        expect(made.out).toMatch(/backed up to/)
        expect(statSync(file).mode & 0o777).toBe(0o600)
        const again = await cliProcess(hub.port, keys, "backup", file, "--json")
        expect(again.code).toBe(1)
        expect(JSON.parse(again.out)).toMatchObject({ ok: false, error: "Exists" })
        const setUp = await cliProcess(hub.port, keys, "restore", file, "--json")
        expect(setUp.code).toBe(1)
        expect(JSON.parse(setUp.out)).toMatchObject({ ok: false, error: "NotInSetup" })
        delete process.env.LATCHKEY_BACKUP_PASSPHRASE
        try {
            const noPass = await cliProcess(hub.port, keys, "backup", join(dir, "other.backup"))
            expect(noPass.code).toBe(1)
            expect(noPass.err).toMatch(/no passphrase: set LATCHKEY_BACKUP_PASSPHRASE, or run on a terminal/)
        } finally {
            process.env.LATCHKEY_BACKUP_PASSPHRASE = PASS
        }
        expect(await attempt(b, MASTER)).toBe("success")
    }, 240_000)

    it("a restore that never finishes (the companion gone after its first step): the lock restarts by itself at the end of the window, and is set up as usual", async () => {
        const b = await freshBoard()
        const client = new LatchkeyClient(b.bus)
        await b.pressProgramButton()
        const srv = await client.service()
        const resp = await srv.sendCmdAwaitResponseAsync(Packet.from(0x84, jdpack("u8", [1])), 3000)
        expect(jdunpack<[number]>(resp.data, "u8")[0]).toBe(0) // Ok: the lock stops for the restore
        const mark = b.logs.length
        // the window is 120 s (RESTORE_MS in src/firmware/lock.ts)
        await b.waitUntil(() => b.logs.slice(mark).some(l => /lock: ready/.test(l)), "the lock's restart at the end of the restore window", 150_000)
        await setUpMaster(b)
        expect(await attempt(b, MASTER)).toBe("success")
    }, 200_000)

    itNeeds("flashImage")("refused, with the lock unchanged: wrong passphrase, damaged file, another board, no button press, a lock that is set up", async () => {
        const { b, client, store, file, dir } = await backedUpAndWiped()
        // the boot's batched audit entry reaches flash within 5 s: compare after it
        await sleep(6000)
        let flash = lockFlash(b)
        // no press: the lock itself refuses (NoPresence), and the CLI writes nothing
        expect(await refusal(cli(client, store.path, "restore", file))).toBe("NoPresence")
        expect(lockFlash(b)).toBe(flash)
        await b.pressProgramButton()
        await sleep(6000)
        flash = lockFlash(b)
        process.env.LATCHKEY_BACKUP_PASSPHRASE = "not the passphrase"
        try {
            expect(await refusal(cli(client, store.path, "restore", file))).toBe("WrongPassphrase")
        } finally {
            process.env.LATCHKEY_BACKUP_PASSPHRASE = PASS
        }
        const damaged = join(dir, "damaged.backup")
        const bytes = readFileSync(file)
        bytes[bytes.length - 30] ^= 0x40
        writeFileSync(damaged, bytes)
        expect(await refusal(cli(client, store.path, "restore", damaged))).toBe("Damaged")
        const truncated = join(dir, "truncated.backup")
        writeFileSync(truncated, readFileSync(file).subarray(0, 100))
        expect(await refusal(cli(client, store.path, "restore", truncated))).toBe("Damaged")
        const other = join(dir, "other.backup")
        const contents = await decodeBackup(readFileSync(file), PASS)
        writeFileSync(other, await encodeBackup({ ...contents, deviceId: "0011223344556677" }, PASS))
        expect(await refusal(cli(client, store.path, "restore", other))).toBe("OtherBoard")
        expect(lockFlash(b)).toBe(flash)
        expect((await client.status()).provisioned).toBe(false)
        // a lock that is set up: the CLI refuses, and so does the lock itself, button or not
        await setUpMaster(b, "8642")
        await sleep(6000)
        const setUp = lockFlash(b)
        await b.pressProgramButton()
        expect(await refusal(cli(client, store.path, "restore", file))).toBe("NotInSetup")
        const srv = await client.service()
        const resp = await srv.sendCmdAwaitResponseAsync(Packet.from(0x84, jdpack("u8", [1])), 3000)
        expect(jdunpack<[number]>(resp.data, "u8")[0]).toBe(9) // Refused
        expect(lockFlash(b)).toBe(setUp)
        expect(await attempt(b, "8642")).toBe("success")
        expect(await attempt(b, MASTER)).toBe("failure")
    }, 240_000)

    // two boards at once, each with its own device id: the in-process VM only
    itNeeds("secondBoard")(
        "onto a replacement board only with --replace-board: then every old code opens there and this computer's companion key works with it",
        async () => {
            const { b: old, client: oldClient, store } = await enrolled()
            await addUser(oldClient, store, { type: UserType.Unrestricted, name: "Ana", params: [0, 0, 0, 0, 0, 0, 0, 0] }, "3917")
            const dir = mkdtempSync(join(tmpdir(), "latchkey-restore-"))
            const file = join(dir, "lock.backup")
            expect((await cli(oldClient, store.path, "backup", file)).text).toMatch(/backed up to/)
            const oldId = (await oldClient.service()).device.deviceId
            const b = new SimulatedBoard({ profile: FAST_PROFILE, firmware: "firmware-fast", device: new InProcessDevice("5e0b7d21c4a9f386") })
            replacement = b
            await b.powerOn()
            const client = new LatchkeyClient(b.bus)
            const newId = (await client.service()).device.deviceId
            expect(newId).not.toBe(oldId)
            await b.pressProgramButton()
            await sleep(6000)
            const flash = lockFlash(b)
            expect(await refusal(cli(client, store.path, "restore", file))).toBe("OtherBoard")
            expect(lockFlash(b)).toBe(flash)
            expect(store.get(newId)).toBeUndefined()
            const r = await cli(client, store.path, "restore", file, "--replace-board")
            expect(r.text).toMatch(new RegExp(`onto replacement board ${newId} \\(this computer's companion key moved to it\\)`))
            expect(await attempt(b, MASTER)).toBe("success")
            await sleep(300)
            expect(await attempt(b, "3917")).toBe("success")
            expect(store.get(newId)?.keyId).toBe(store.get(oldId)?.keyId)
            await retry(() => command(client, store, "lock"))
            const users = await retry(() => cli(client, store.path, "users", "list"))
            expect(users.text).toMatch(/Unrestricted\s+enabled\s+Ana/)
        },
        240_000,
    )
})
