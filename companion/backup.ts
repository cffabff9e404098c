/**
 * `latchkey backup FILE` and `latchkey restore FILE` (docs/companion.md#backup-and-restore).
 *
 * The Jacdac bus is trusted by DeviceScript's runtime: its settings service answers a GET of any
 * key, the lock's own included, and applies a SET from any peer (../../shared notes; docs/security.md).
 * So a backup reads the lock's settings over the bus, and a restore writes them back over the
 * bus, inside a window the lock opens for it: its service's `restore` command (services/latchkey.md)
 * answers `Ok` only in setup mode and within 30 s of a press of the inside program button, and
 * then the lock stops (nothing stepped, nothing written, no store check: the writes are not a
 * foreign change) until step 2 makes it restart from what the store holds. Nothing here crosses a
 * broker: the settings service and the restore command exist on the bus only.
 *
 * Order of a restore's writes: the settings the backup lacks are deleted, the others written
 * (each read back), the device key last, then the loss mark deleted. Until the key is written,
 * every value written carries tags the lock's current key refuses: a restore cut short leaves a
 * lock that boots into setup mode again (and reports the loss), never a mix.
 */
import { promptLine } from "./prompt"
import { createHmac } from "node:crypto"
import { jdpack, jdunpack, JDService, Packet, REPORT_RECEIVE, SettingsClient, SettingsCmd, SRV_DEVICE_SCRIPT_MANAGER, SRV_SETTINGS } from "jacdac-ts"
import {
    appendAudit,
    AUDIT_SEGMENTS,
    AuditKind,
    AuditSource,
    COMPANION_RECORDS,
    NAME_CHUNKS,
    newestSegment,
    RESTORED_SLOT,
    resumeAuditWriter,
    segmentFirstSeq,
    segmentOf,
    USER_CHUNKS,
} from "../src/core/index"
import type { LatchkeyClient } from "../host/lock-client"
import { BackupContents, BackupFileError, decodeBackup, encodeBackup, readBackupFile, writeBackupFile } from "./backup-file"
import { localNowSeconds } from "./admin"
import type { KeyStore } from "./keyfile"

/** The lock service's restore command (services/latchkey.md). */
const CMD_RESTORE = 0x84
const STATUS_NAMES = ["Ok", "NoPresence", "Full", "BadFrame", "UnknownKey", "Revoked", "StaleNonce", "Replay", "BadTag", "Refused", "Busy", "Invalid", "UpdateCompanion"]

/** Every setting the lock writes and a restore puts back (docs/architecture.md, "What is on flash"). */
export function lockSettingKeys(): string[] {
    const keys = ["$lk.meta", "$lk.c0", "$lk.c1", "$lk.plast"]
    for (let i = 0; i < USER_CHUNKS; i++) keys.push(`$lk.u${i}`)
    for (let i = 0; i < NAME_CHUNKS; i++) keys.push(`$lk.n${i}`)
    for (let i = 0; i < AUDIT_SEGMENTS; i++) keys.push(`$lk.a${i}`)
    for (let i = 0; i < COMPANION_RECORDS; i++) keys.push(`$lk.p${i}`)
    // the device key last: see the order above
    keys.push("$lk.key")
    return keys
}
/** What the boot guard keeps while it works (./src/firmware/boot-guard.ts): never backed up; deleted by a restore. */
const TRANSIENT = ["$lk.boot", "$lk.fill", "$lk.lost"]
/** The broker settings of a deploy (.env files): backed up, restored only where the lock lacks them (a deploy since may hold newer ones). */
const BROKER = ["MQTT_HOST", "MQTT_PORT", "MQTT_USER", "MQTT_PASS"]

/** A restore or backup the lock refused, or that cannot be made: nothing on the lock was changed unless it says so. */
export class RestoreRefused extends Error {
    constructor(
        readonly reason: string,
        message: string,
    ) {
        super(message)
        this.name = "RestoreRefused"
    }
}

const hmac = (key: Uint8Array, msg: Uint8Array | string) => createHmac("sha256", key).update(msg).digest()

function sealed(key: Uint8Array, kind: string, data: Uint8Array): Uint8Array {
    return Uint8Array.from([...data, ...hmac(key, Buffer.concat([Buffer.from(kind), data])).subarray(0, 4)])
}

/** The tag kind of a sealed setting (./src/firmware/store.ts, remote.ts), or null for the unsealed ones. */
function tagKind(key: string): string | null {
    const m = /^\$lk\.([ucnpm])(\d*|eta|last)$/.exec(key)
    if (!m) return null
    if (key === "$lk.meta") return "M"
    if (key === "$lk.plast") return "I"
    if (m[1] === "c") return "C"
    if (m[1] === "p") return "P"
    return m[1].toUpperCase() + m[2]
}

/**
 * Checks what a backup holds before anything is sent: a 32-byte device key, a meta and at least
 * one user chunk whose tags match under that key (a file whose settings do not belong to its key
 * would restore a lock that opens for nobody). Other values go back as the lock had them: a
 * damaged companion record, say, is one the lock counts as revoked and keeps in its place.
 */
export function checkSnapshot(settings: { [key: string]: Uint8Array }) {
    const key = settings["$lk.key"]
    if (!key || key.length !== 32) throw new BackupFileError("Damaged", "the backup holds no device key")
    const valid = (k: string) => {
        const v = settings[k]
        const kind = tagKind(k)
        if (!v || v.length < 5 || !kind) return false
        return Buffer.from(sealed(key, kind, v.subarray(0, v.length - 4))).equals(Buffer.from(v))
    }
    if (!valid("$lk.meta")) throw new BackupFileError("Damaged", "the backup's $lk.meta is missing or does not match its device key")
    if (!Object.keys(settings).some(k => /^\$lk\.u\d+$/.test(k) && valid(k))) throw new BackupFileError("Damaged", "the backup holds no user chunk that matches its device key")
}

/** The settings service of the DeviceScript device on the bus (the lock's runtime: one per bus). */
async function lockSettings(client: LatchkeyClient, timeoutMs: number): Promise<JDService> {
    const end = Date.now() + timeoutMs
    for (;;) {
        const devs = client.bus.devices({ serviceClass: SRV_DEVICE_SCRIPT_MANAGER }).filter(d => d.services({ serviceClass: SRV_SETTINGS }).length > 0)
        if (devs.length === 1) return devs[0].services({ serviceClass: SRV_SETTINGS })[0]
        if (devs.length > 1) throw new RestoreRefused("SeveralLocks", `several DeviceScript devices on the bus (${devs.map(d => d.deviceId).join(", ")}): connect only the lock`)
        if (Date.now() > end) throw new RestoreRefused("NoSettings", "the lock's settings service did not appear on the bus")
        await new Promise(r => setTimeout(r, 100))
    }
}

/**
 * One settings GET of `key`: its value (empty when missing). Only an answer naming `key`
 * counts (the lock reads its own settings over the same bus); asked again when none comes.
 */
async function getSetting(srv: JDService, key: string): Promise<Uint8Array> {
    for (let attempt = 1; ; attempt++) {
        const got = await new Promise<Uint8Array | undefined>(resolve => {
            const onReport = (pkt: Packet) => {
                if (pkt.serviceCommand !== SettingsCmd.Get) return
                const [k, v] = jdunpack<[string, Uint8Array]>(pkt.data, "z b")
                if (k !== key) return
                done(v ?? new Uint8Array(0))
            }
            const timer = setTimeout(() => done(undefined), 1000)
            const done = (v: Uint8Array | undefined) => {
                clearTimeout(timer)
                srv.off(REPORT_RECEIVE, onReport)
                resolve(v)
            }
            srv.on(REPORT_RECEIVE, onReport)
            void srv.sendPacketAsync(Packet.from(SettingsCmd.Get, jdpack("s", [key]))).catch(() => done(undefined))
        })
        if (got) return got
        if (attempt >= 5) throw new RestoreRefused("NoAnswer", `the lock's settings service did not answer a read of ${key}`)
    }
}

/** Writes (or deletes, with an empty value) one setting and reads it back; false when it does not hold it. */
async function putSetting(srv: JDService, key: string, value: Uint8Array): Promise<boolean> {
    const sc = new SettingsClient(srv)
    for (let attempt = 0; attempt < 3; attempt++) {
        if (value.length) await sc.setValue(key, value)
        else await sc.deleteValue(key)
        for (let i = 0; i < 3; i++) if (Buffer.from(await getSetting(srv, key)).equals(Buffer.from(value))) return true
    }
    return false
}

/** Reads the settings of `keys` that are present. */
async function readAll(srv: JDService, keys: string[]): Promise<{ [key: string]: Uint8Array }> {
    const out: { [key: string]: Uint8Array } = {}
    for (const k of keys) {
        const v = await getSetting(srv, k)
        if (v.length) out[k] = v
    }
    return out
}

function sameSnapshot(a: { [key: string]: Uint8Array }, b: { [key: string]: Uint8Array }): boolean {
    const ka = Object.keys(a).sort()
    const kb = Object.keys(b).sort()
    return ka.join() === kb.join() && ka.every(k => Buffer.from(a[k]).equals(Buffer.from(b[k])))
}

/** Reads the passphrase: LATCHKEY_BACKUP_PASSPHRASE (for scripts), else a hidden prompt on the terminal (twice for a backup). */
export async function readPassphrase(twice: boolean): Promise<string> {
    const env = process.env.LATCHKEY_BACKUP_PASSPHRASE
    if (env !== undefined) return env
    const stdin = process.stdin
    if (!stdin.isTTY) throw new Error("no passphrase: set LATCHKEY_BACKUP_PASSPHRASE, or run on a terminal to type it (never on the command line)")
    const hidden = (prompt: string) => promptLine(prompt, true)
    const first = await hidden("backup passphrase: ")
    if (!twice) return first
    if ((await hidden("the same passphrase again: ")) !== first) throw new Error("the two passphrases differ: nothing was written")
    return first
}

/** `latchkey backup FILE`: reads the lock's settings over the bus into a new encrypted file. */
export async function backupLock(client: LatchkeyClient, file: string, passphrase: () => Promise<string>, timeoutMs: number) {
    const lock = (await client.service(timeoutMs)).device.deviceId
    const s = await client.status()
    if (!s.provisioned) throw new RestoreRefused("NotSetUp", "the lock is in setup mode: it holds nothing to back up")
    const srv = await lockSettings(client, timeoutMs)
    const keys = [...lockSettingKeys(), ...BROKER]
    // read until two reads in a row agree: a write of the lock's own between them is not half kept
    let snap = await readAll(srv, keys)
    for (let round = 0; ; round++) {
        const again = await readAll(srv, keys)
        if (sameSnapshot(snap, again)) break
        if (round >= 3) throw new RestoreRefused("Busy", "the lock's settings kept changing while they were read: try again when the lock is idle")
        snap = again
    }
    checkSnapshot(snap)
    const pass = await passphrase()
    const data = await encodeBackup({ deviceId: lock, createdAt: new Date().toISOString(), settings: snap }, pass)
    writeBackupFile(file, data)
    const users = Object.keys(snap).filter(k => /^\$lk\.u\d+$/.test(k)).length
    const companions = Object.keys(snap).filter(k => /^\$lk\.p\d+$/.test(k)).length
    return { lock, file, settings: Object.keys(snap).length, userChunks: users, companionRecords: companions }
}

/**
 * The backup's settings with one more audit entry, StoreRestored (LockFactoryReset, slot
 * RESTORED_SLOT, source Button: the press that let it in), chained after the newest entry under
 * the backup's own audit key, and the meta listing its segment.
 */
function withRestoreEntry(settings: { [key: string]: Uint8Array }, now: number): { [key: string]: Uint8Array } {
    const out = { ...settings }
    const key = settings["$lk.key"]
    const segs: Uint8Array[] = []
    for (let i = 0; i < AUDIT_SEGMENTS; i++) if (settings[`$lk.a${i}`]) segs.push(Uint8Array.from(settings[`$lk.a${i}`]))
    segs.sort((x, y) => segmentFirstSeq(x) - segmentFirstSeq(y))
    const auditKey = hmac(key, "latchkey audit")
    const w = resumeAuditWriter(newestSegment(segs))
    const seg = appendAudit(w, now, AuditKind.LockFactoryReset, AuditSource.Button, RESTORED_SLOT, m => new Uint8Array(hmac(auditKey, m as Uint8Array))) as Uint8Array
    const index = segmentOf(segmentFirstSeq(seg))
    out[`$lk.a${index}`] = Uint8Array.from(seg)
    // the meta lists every audit segment that may exist: add this one's bit, sealed again (all its
    // data kept: the store generation too, so the companion finds the restored lock behind only
    // by the changes made since the backup)
    const meta = Uint8Array.from(settings["$lk.meta"].subarray(0, settings["$lk.meta"].length - 4))
    const bits = (meta[7] | (meta[8] << 8) | (meta[9] << 16)) | (1 << index)
    meta[7] = bits & 255
    meta[8] = (bits >> 8) & 255
    meta[9] = (bits >> 16) & 255
    out["$lk.meta"] = sealed(key, "M", meta)
    return out
}

async function restoreStep(client: LatchkeyClient, step: number, timeoutMs: number): Promise<string> {
    const srv = await client.service(timeoutMs)
    const resp = await srv.sendCmdAwaitResponseAsync(Packet.from(CMD_RESTORE, jdpack("u8", [step])), 3000)
    const [status] = jdunpack<[number]>(resp.data, "u8")
    return STATUS_NAMES[status] ?? `status ${status}`
}

export interface RestoreOptions {
    file: string
    replaceBoard: boolean
    timeoutMs: number
}

/** `latchkey restore FILE`: puts a backup into a lock in setup mode (see the file's comment). */
export async function restoreLock(client: LatchkeyClient, store: KeyStore, o: RestoreOptions, passphrase: () => Promise<string>) {
    const raw = readBackupFile(o.file)
    const backup: BackupContents = await decodeBackup(raw, await passphrase())
    checkSnapshot(backup.settings)
    const lock = (await client.service(o.timeoutMs)).device.deviceId
    if (backup.deviceId !== lock && !o.replaceBoard)
        throw new RestoreRefused(
            "OtherBoard",
            `the backup is of lock ${backup.deviceId}, this is lock ${lock}: refused (a replacement board? add --replace-board); nothing was changed`,
        )
    const s = await client.status()
    if (s.provisioned)
        throw new RestoreRefused("NotInSetup", "the lock is set up: a restore goes only into a lock in setup mode (a lost or wiped store); nothing was changed")
    const begun = await restoreStep(client, 1, o.timeoutMs)
    if (begun === "NoPresence")
        throw new RestoreRefused("NoPresence", "press the lock's inside program button, then restore within 30 s; nothing was changed")
    if (begun !== "Ok") throw new RestoreRefused(begun, `the lock refused the restore (${begun}: not in setup mode, or a restore under way); nothing was changed`)
    // a step the lock had begun before the window opened (a flash write takes milliseconds) ends first
    await new Promise(r => setTimeout(r, 1000))
    const srv = await lockSettings(client, o.timeoutMs)
    const settings = withRestoreEntry(backup.settings, localNowSeconds())
    let failed: string | null = null
    try {
        const present = await readAll(srv, [...lockSettingKeys(), ...TRANSIENT, ...BROKER])
        // the settings the backup lacks go first, then the backup's, the device key last
        for (const k of lockSettingKeys())
            if (!settings[k] && present[k] && !(await putSetting(srv, k, new Uint8Array(0)))) throw new Error(k)
        for (const k of lockSettingKeys()) if (settings[k] && !(await putSetting(srv, k, settings[k]))) throw new Error(k)
        for (const k of BROKER) if (settings[k] && !present[k] && !(await putSetting(srv, k, settings[k]))) throw new Error(k)
        for (const k of TRANSIENT) if (present[k]) await putSetting(srv, k, new Uint8Array(0))
    } catch (e) {
        failed = (e as Error).message
    }
    // either way the lock restarts from what its store holds
    const done = await restoreStep(client, 2, o.timeoutMs)
    if (failed !== null)
        throw new RestoreRefused("WriteFailed", `${failed} did not read back from the lock's flash; the lock restarts (${done}) and, its device key not restored, is in setup mode again: run the restore again`)
    // back when it answers set up (it answered setup mode until it restarted)
    const end = Date.now() + 30000
    let after = null
    while (Date.now() < end) {
        await new Promise(r => setTimeout(r, 500))
        after = await client.status().catch(() => null)
        if (after?.provisioned) break
    }
    if (!after?.provisioned) throw new RestoreRefused("NotBack", "the restore was written, but the lock did not come back set up within 30 s: check `latchkey status`")
    // a replacement board: this computer's key for the old lock is its key for the new one
    let keyMoved = false
    if (backup.deviceId !== lock) {
        const held = store.get(backup.deviceId)
        if (held && !store.get(lock)) {
            store.put({ ...held, lock })
            keyMoved = true
        }
    }
    return { lock, from: backup.deviceId, createdAt: backup.createdAt, settings: Object.keys(settings).length, keyMoved }
}
