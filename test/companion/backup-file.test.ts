/**
 * The backup file's format (companion/backup-file.ts): it opens only with its passphrase, every
 * changed, cut or foreign byte is refused with a clear reason, and no setting's bytes can be read
 * in it. Real scrypt and AES-256-GCM (node:crypto), at the lowest cost a file may carry (2^14), so
 * each test takes a fraction of a second.
 */
import { createHmac } from "node:crypto"
import { mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { checkSnapshot } from "../../companion/backup"
import { BackupFileError, decodeBackup, encodeBackup, readBackupFile, writeBackupFile, type BackupContents } from "../../companion/backup-file"

const COST = { logN: 14, r: 8, p: 1 }
const PASS = "correct horse battery"
const KEY = Buffer.from("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "hex")

function contents(): BackupContents {
    return { deviceId: "0123456789abcdef", createdAt: "2026-12-03T06:00:00.000Z", settings: { "$lk.key": KEY, "$lk.u0": new Uint8Array(208).fill(7) } }
}

async function reason(f: () => unknown): Promise<string> {
    try {
        await f()
    } catch (e) {
        if (e instanceof BackupFileError) return e.reason
        throw e
    }
    return "opened"
}

describe("backup file format", () => {
    it("opens with its passphrase, giving back every setting exactly", async () => {
        const file = await encodeBackup(contents(), PASS, COST)
        const back = await decodeBackup(file, PASS)
        expect(back.deviceId).toBe("0123456789abcdef")
        expect(Buffer.from(back.settings["$lk.key"]).equals(KEY)).toBe(true)
        expect(Buffer.from(back.settings["$lk.u0"])).toEqual(Buffer.alloc(208, 7))
    })

    it("holds no readable key, device id or setting name", async () => {
        const file = await encodeBackup(contents(), PASS, COST)
        expect(file.includes(KEY)).toBe(false)
        expect(file.includes(Buffer.from(KEY.toString("base64").slice(0, 16)))).toBe(false)
        expect(file.includes(Buffer.from("$lk."))).toBe(false)
        expect(file.includes(Buffer.from("0123456789abcdef"))).toBe(false)
        // two backups of the same contents share nothing but the header's fixed bytes
        const again = await encodeBackup(contents(), PASS, COST)
        expect(again.subarray(12).equals(file.subarray(12))).toBe(false)
    })

    it("refuses a wrong passphrase", async () => {
        const file = await encodeBackup(contents(), PASS, COST)
        expect(await reason(() => decodeBackup(file, "correct horse battery!"))).toBe("WrongPassphrase")
        expect(await reason(() => decodeBackup(file, ""))).toBe("WrongPassphrase")
    })

    it("refuses a truncated file", async () => {
        const file = await encodeBackup(contents(), PASS, COST)
        expect(await reason(() => decodeBackup(file.subarray(0, file.length - 1), PASS))).toBe("Damaged")
        expect(await reason(() => decodeBackup(file.subarray(0, 60), PASS))).toBe("Damaged")
        expect(await reason(() => decodeBackup(file.subarray(0, 20), PASS))).toBe("Damaged")
    })

    it("refuses any changed byte: in the contents, the tag or the header", async () => {
        const file = await encodeBackup(contents(), PASS, COST)
        for (const at of [60, file.length - 20, file.length - 1]) {
            const bad = Buffer.from(file)
            bad[at] ^= 1
            expect(await reason(() => decodeBackup(bad, PASS)), `byte ${at}`).toBe("Damaged")
        }
        // the salt, the IV or the check value: the passphrase no longer checks
        for (const at of [12, 30, 45]) {
            const bad = Buffer.from(file)
            bad[at] ^= 1
            expect(await reason(() => decodeBackup(bad, PASS)), `byte ${at}`).toBe("WrongPassphrase")
        }
        // a cost out of range is refused before any scrypt runs
        const cheap = Buffer.from(file)
        cheap[9] = 4
        expect(await reason(() => decodeBackup(cheap, PASS))).toBe("Damaged")
    })

    it("refuses a foreign file: another magic, another version, text", async () => {
        const file = await encodeBackup(contents(), PASS, COST)
        const other = Buffer.from(file)
        other.write("LKBACKUX", 0, "latin1")
        expect(await reason(() => decodeBackup(other, PASS))).toBe("Foreign")
        const newer = Buffer.from(file)
        newer[8] = 2
        expect(await reason(() => decodeBackup(newer, PASS))).toBe("Foreign")
        expect(await reason(() => decodeBackup(Buffer.from('{"keys": []}\n'), PASS))).toBe("Foreign")
        expect(await reason(() => decodeBackup(Buffer.alloc(0), PASS))).toBe("Foreign")
    })

    it("refuses a short passphrase when writing", async () => {
        expect(await reason(() => encodeBackup(contents(), "short", COST))).toBe("WeakPassphrase")
    })
})

describe("backup file on disk", () => {
    it("is written mode 0600, never over an existing file, and never read through a link", async () => {
        const dir = mkdtempSync(join(tmpdir(), "latchkey-backup-"))
        const path = join(dir, "lock.backup")
        const data = await encodeBackup(contents(), PASS, COST)
        writeBackupFile(path, data)
        expect(statSync(path).mode & 0o777).toBe(0o600)
        expect(readBackupFile(path).equals(data)).toBe(true)
        // a second backup under the same name is refused and leaves the first as it was
        expect(await reason(() => writeBackupFile(path, Buffer.from("other")))).toBe("Exists")
        expect(readFileSync(path).equals(data)).toBe(true)
        const link = join(dir, "link.backup")
        symlinkSync(path, link)
        expect(await reason(() => readBackupFile(link))).toBe("Unsafe")
        // a link at the target name is not followed either
        const target = join(dir, "elsewhere")
        writeFileSync(target, "untouched")
        symlinkSync(target, join(dir, "new.backup"))
        expect(await reason(() => writeBackupFile(join(dir, "new.backup"), data))).toBe("Exists")
        expect(readFileSync(target, "utf8")).toBe("untouched")
        expect(await reason(() => readBackupFile(join(dir, "missing.backup")))).toBe("Foreign")
    })
})

describe("what a backup must hold", () => {
    const seal = (key: Buffer, kind: string, data: Buffer) =>
        new Uint8Array(Buffer.concat([data, createHmac("sha256", key).update(Buffer.concat([Buffer.from(kind), data])).digest().subarray(0, 4)]))
    const snapshot = () => ({ "$lk.key": new Uint8Array(KEY), "$lk.meta": seal(KEY, "M", Buffer.alloc(20, 1)), "$lk.u0": seal(KEY, "U0", Buffer.alloc(204, 3)) })

    it("a device key, and a meta and a user chunk sealed under it", async () => {
        expect(() => checkSnapshot(snapshot())).not.toThrow()
        const otherKey = { ...snapshot(), "$lk.key": new Uint8Array(32).fill(9) }
        expect(await reason(() => checkSnapshot(otherKey))).toBe("Damaged")
        const noUser: { [k: string]: Uint8Array } = snapshot()
        delete noUser["$lk.u0"]
        expect(await reason(() => checkSnapshot(noUser))).toBe("Damaged")
        const badMeta = snapshot()
        badMeta["$lk.meta"][3] ^= 1
        expect(await reason(() => checkSnapshot(badMeta))).toBe("Damaged")
        expect(await reason(() => checkSnapshot({ ...snapshot(), "$lk.key": new Uint8Array(31) }))).toBe("Damaged")
    })
})
