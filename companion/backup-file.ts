/**
 * The backup file of `latchkey backup` / `latchkey restore` (./backup.ts): the lock's settings,
 * encrypted under a passphrase the owner types, so the file never holds a readable code, digest
 * or key.
 *
 * Layout (integers little-endian):
 *   [0..8)    magic "LKBACKUP"
 *   [8]       format version (1)
 *   [9]       scrypt log2 N, [10] r, [11] p
 *   [12..28)  salt (16 random bytes)
 *   [28..40)  AES-256-GCM IV (12 random bytes)
 *   [40..56)  passphrase check: HMAC-SHA256(check key, bytes 0..40) truncated to 16 bytes
 *   [56..)    AES-256-GCM ciphertext of the contents (JSON), then its 16-byte tag; the
 *             associated data is bytes 0..56, so no header byte can be changed unnoticed
 * scrypt(passphrase, salt, 64 bytes; N, r, p) gives the encryption key (first 32 bytes) and the
 * check key (last 32): a wrong passphrase is told apart from a changed file, and either costs a
 * guesser one scrypt.
 *
 * Written like the key file (./keyfile.ts): a new file (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600),
 * synced, then linked to its name, which must not exist yet (a backup never replaces a file, and
 * a crash never leaves half a backup under the name); read with O_NOFOLLOW (a link is refused).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt, timingSafeEqual } from "node:crypto"
import { closeSync, constants, fstatSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs"
import { dirname, join } from "node:path"

export const BACKUP_MAGIC = "LKBACKUP"
const VERSION = 1
const HEADER_BYTES = 56
const TAG_BYTES = 16
/** scrypt cost chosen for a backup: N = 2^17, r = 8, p = 1 (128 MiB, about a second); docs/security.md says why. */
export const BACKUP_SCRYPT = { logN: 17, r: 8, p: 1 }
/** Costs a file may ask for: below 2^14 a guess is too cheap; above 2^20 (1 GiB) a file could exhaust memory. */
const MIN_LOG_N = 14
const MAX_LOG_N = 20
/** A backup is a few KB; anything much larger is not one. */
const MAX_FILE_BYTES = 1 << 20
/** Shortest passphrase accepted when a backup is written. */
export const MIN_PASSPHRASE = 10

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0
const O_NONBLOCK = constants.O_NONBLOCK ?? 0

/** What a backup holds: the lock it came from and its settings as raw bytes. */
export interface BackupContents {
    /** Jacdac device id of the lock the backup was made from. */
    deviceId: string
    /** When it was made (ISO 8601). */
    createdAt: string
    /** Settings key -> value. */
    settings: { [key: string]: Uint8Array }
}

/** A backup that cannot be used: wrong passphrase, damaged, foreign or unsafe file. Nothing was changed. */
export class BackupFileError extends Error {
    constructor(
        readonly reason: "WrongPassphrase" | "Damaged" | "Foreign" | "Unsafe" | "Exists" | "WeakPassphrase",
        message: string,
    ) {
        super(message)
        this.name = "BackupFileError"
    }
}

/** scrypt off the event loop (libuv's thread pool): a second of hashing stops nothing else in the process. */
async function keys(passphrase: string, salt: Uint8Array, logN: number, r: number, p: number) {
    const N = 2 ** logN
    const k = await new Promise<Buffer>((resolve, reject) =>
        scrypt(passphrase.normalize("NFC"), salt, 64, { N, r, p, maxmem: 256 * N * r + (1 << 20) }, (e, key) => (e ? reject(e) : resolve(key))),
    )
    return { enc: k.subarray(0, 32), check: k.subarray(32, 64) }
}

function checkValue(checkKey: Uint8Array, head: Uint8Array): Buffer {
    return createHmac("sha256", checkKey).update(head).digest().subarray(0, 16)
}

/** Encrypts `contents` under `passphrase` (cost: BACKUP_SCRYPT unless given, for tests). */
export async function encodeBackup(contents: BackupContents, passphrase: string, cost = BACKUP_SCRYPT): Promise<Buffer> {
    if (passphrase.length < MIN_PASSPHRASE)
        throw new BackupFileError("WeakPassphrase", `the passphrase must have at least ${MIN_PASSPHRASE} characters`)
    const settings: { [key: string]: string } = {}
    for (const [k, v] of Object.entries(contents.settings)) settings[k] = Buffer.from(v).toString("base64")
    const plain = Buffer.from(JSON.stringify({ deviceId: contents.deviceId, createdAt: contents.createdAt, settings }))
    const head = Buffer.alloc(HEADER_BYTES)
    head.write(BACKUP_MAGIC, 0, "latin1")
    head[8] = VERSION
    head[9] = cost.logN
    head[10] = cost.r
    head[11] = cost.p
    randomBytes(16).copy(head, 12)
    randomBytes(12).copy(head, 28)
    const k = await keys(passphrase, head.subarray(12, 28), cost.logN, cost.r, cost.p)
    checkValue(k.check, head.subarray(0, 40)).copy(head, 40)
    const c = createCipheriv("aes-256-gcm", k.enc, head.subarray(28, 40))
    c.setAAD(head)
    const body = Buffer.concat([c.update(plain), c.final()])
    plain.fill(0)
    return Buffer.concat([head, body, c.getAuthTag()])
}

/** Decrypts a backup; a clear BackupFileError for a foreign, damaged or changed file or a wrong passphrase. */
export async function decodeBackup(file: Uint8Array, passphrase: string): Promise<BackupContents> {
    const b = Buffer.from(file)
    if (b.length < 8 || b.subarray(0, 8).toString("latin1") !== BACKUP_MAGIC)
        throw new BackupFileError("Foreign", "not a Latchkey backup file (it does not start with LKBACKUP)")
    if (b[8] !== VERSION) throw new BackupFileError("Foreign", `backup format ${b[8]} is not one this companion reads (it reads ${VERSION}): update the companion`)
    if (b.length < HEADER_BYTES + TAG_BYTES + 2) throw new BackupFileError("Damaged", `the backup file is truncated (${b.length} bytes)`)
    const [logN, r, p] = [b[9], b[10], b[11]]
    if (logN < MIN_LOG_N || logN > MAX_LOG_N || r < 1 || r > 32 || p < 1 || p > 4)
        throw new BackupFileError("Damaged", `the backup file's scrypt cost (2^${logN}, r ${r}, p ${p}) is out of range: damaged or not made by latchkey`)
    const head = b.subarray(0, HEADER_BYTES)
    const k = await keys(passphrase, head.subarray(12, 28), logN, r, p)
    if (!timingSafeEqual(checkValue(k.check, head.subarray(0, 40)), head.subarray(40, 56)))
        throw new BackupFileError("WrongPassphrase", "wrong passphrase (or the file's header was changed): nothing was restored")
    const d = createDecipheriv("aes-256-gcm", k.enc, head.subarray(28, 40))
    d.setAAD(head)
    d.setAuthTag(b.subarray(b.length - TAG_BYTES))
    let plain: Buffer
    try {
        plain = Buffer.concat([d.update(b.subarray(HEADER_BYTES, b.length - TAG_BYTES)), d.final()])
    } catch {
        throw new BackupFileError("Damaged", "the backup file is damaged or was changed (its contents fail their check): nothing was restored")
    }
    try {
        const j = JSON.parse(plain.toString("utf8"))
        if (typeof j.deviceId !== "string" || typeof j.settings !== "object" || !j.settings) throw new Error("fields missing")
        const settings: { [key: string]: Uint8Array } = {}
        for (const [key, v] of Object.entries(j.settings)) {
            if (typeof v !== "string") throw new Error(`setting ${key} is not base64`)
            settings[key] = new Uint8Array(Buffer.from(v, "base64"))
        }
        return { deviceId: j.deviceId, createdAt: String(j.createdAt ?? ""), settings }
    } catch (e) {
        throw new BackupFileError("Damaged", `the backup's contents are not readable (${(e as Error).message})`)
    } finally {
        plain.fill(0)
    }
}

function writeAll(fd: number, data: Buffer) {
    for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at)
}

/** Writes `data` as a new file at `path` (never replacing one), mode 0600, synced. */
export function writeBackupFile(path: string, data: Buffer) {
    const tmp = join(dirname(path), `.latchkey-backup.${process.pid}-${randomBytes(6).toString("hex")}.tmp`)
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o600)
    try {
        writeAll(fd, data)
        fsyncSync(fd)
    } finally {
        closeSync(fd)
    }
    try {
        // link: fails when the name exists (a file, a link, anything): no backup is ever replaced
        linkSync(tmp, path)
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST")
            throw new BackupFileError("Exists", `${path} already exists: a backup never replaces a file (choose another name, or move it away)`)
        throw e
    } finally {
        unlinkSync(tmp)
    }
}

/** Reads a backup file: a regular file, not through a link, at most 1 MB. */
export function readBackupFile(path: string): Buffer {
    let fd: number
    try {
        fd = openSync(path, constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if (code === "ELOOP" || code === "EMLINK") throw new BackupFileError("Unsafe", `${path} is a symbolic link: refused (give the real file)`)
        if (code === "ENOENT") throw new BackupFileError("Foreign", `${path} does not exist`)
        throw e
    }
    try {
        const st = fstatSync(fd)
        if (!st.isFile()) throw new BackupFileError("Foreign", `${path} is not a regular file`)
        if (st.size > MAX_FILE_BYTES) throw new BackupFileError("Foreign", `${path} is ${st.size} bytes: too large to be a Latchkey backup`)
        return readFileSync(fd)
    } finally {
        closeSync(fd)
    }
}
