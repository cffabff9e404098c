/**
 * What the key file remembers of each lock besides its key (companion/keyfile.ts): the highest
 * store generation its sealed answers carried, and the changes this computer made that a store
 * gone back in time would undo. Kept when the key is removed or replaced; a file without it (an
 * older CLI's) still reads; a damaged history record is dropped, never trusted.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { CompanionKey, KeyStore, LOG_LIMIT } from "../../companion/keyfile"
import { describeChange, isLogged, rollbackText } from "../../companion/rollback"

const LOCK = "a1b2c3d4e5f60718"
const REC: CompanionKey = { lock: LOCK, keyId: 3, key: "ab".repeat(32), counter: 7 }

function store(): KeyStore {
    return new KeyStore(join(mkdtempSync(join(tmpdir(), "latchkey-history-")), "keys.json"))
}

describe("the key file's lock history", () => {
    it("remembers the highest generation seen, and says what it was before each answer", () => {
        const s = store()
        expect(s.history(LOCK)).toEqual({ lock: LOCK, generation: 0, changes: [] })
        expect(s.seeGeneration(LOCK, 5)).toBe(0)
        expect(s.seeGeneration(LOCK, 9)).toBe(5)
        // a lower one is not remembered: the caller compares it with what is returned
        expect(s.seeGeneration(LOCK, 4)).toBe(9)
        expect(s.history(LOCK).generation).toBe(9)
        // other locks are apart
        expect(s.history("0011223344556677").generation).toBe(0)
    })

    it("logs changes in order with their generation, relogs a change applied again, and keeps the newest LOG_LIMIT", () => {
        const s = store()
        s.logChange(LOCK, { command: "revoke", args: [2], generation: 11 })
        s.logChange(LOCK, { command: "user-remove", args: [4], generation: 12 })
        expect(s.history(LOCK)).toEqual({
            lock: LOCK,
            generation: 12,
            changes: [
                { command: "revoke", args: [2], generation: 11 },
                { command: "user-remove", args: [4], generation: 12 },
            ],
        })
        s.relogChange(LOCK, 0, 20)
        expect(s.history(LOCK).changes[0].generation).toBe(20)
        expect(s.history(LOCK).generation).toBe(20)
        for (let i = 0; i < LOG_LIMIT + 5; i++) s.logChange(LOCK, { command: "mode", args: [i % 5], generation: 100 + i })
        const h = s.history(LOCK)
        expect(h.changes).toHaveLength(LOG_LIMIT)
        expect(h.changes[LOG_LIMIT - 1].generation).toBe(100 + LOG_LIMIT + 4)
    })

    it("keeps the history when the key is removed, put back or its counter taken", () => {
        const s = store()
        s.put(REC)
        s.logChange(LOCK, { command: "lost-phone", args: [], generation: 7 })
        s.takeCounter(LOCK)
        s.remove(LOCK)
        s.put({ ...REC, keyId: 4 })
        expect(s.get(LOCK)?.keyId).toBe(4)
        expect(s.history(LOCK).changes).toEqual([{ command: "lost-phone", args: [], generation: 7 }])
    })

    it("starts afresh when a new key is enrolled (forgetHistory): nothing logged before can need applying again", () => {
        const s = store()
        s.put(REC)
        s.seeGeneration(LOCK, 30)
        s.logChange(LOCK, { command: "user-remove", args: [3], generation: 31 })
        s.seeGeneration("0011223344556677", 4)
        s.forgetHistory(LOCK)
        expect(s.history(LOCK)).toEqual({ lock: LOCK, generation: 0, changes: [] })
        expect(s.history("0011223344556677").generation).toBe(4)
        expect(s.get(LOCK)).toEqual(REC)
    })

    it("reads a key file without a history (an older CLI's), and drops a damaged history record", () => {
        const s = store()
        writeFileSync(s.path, JSON.stringify({ keys: [REC] }), { mode: 0o600 })
        expect(s.get(LOCK)).toEqual(REC)
        expect(s.history(LOCK).generation).toBe(0)
        writeFileSync(
            s.path,
            JSON.stringify({
                keys: [REC],
                history: [
                    { lock: LOCK, generation: "9", changes: [] },
                    { lock: "0011223344556677", generation: 3, changes: [{ command: "revoke", args: [300], generation: 2 }] },
                    { lock: "8899aabbccddeeff", generation: 3, changes: [{ command: "revoke", args: [2], generation: 2 }] },
                ],
            }),
            { mode: 0o600 },
        )
        expect(s.history(LOCK).generation).toBe(0)
        expect(s.history("0011223344556677").generation).toBe(0)
        expect(s.history("8899aabbccddeeff").generation).toBe(3)
        // the next write keeps only what was read as valid
        s.seeGeneration(LOCK, 1)
        expect(JSON.parse(readFileSync(s.path, "utf8")).history.map((h: { lock: string }) => h.lock)).toEqual(["8899aabbccddeeff", LOCK])
    })
})

describe("what is logged and how a rollback is told", () => {
    it("logs revocations, lost phone, user removals, enables, disables and mode changes only", () => {
        for (const c of ["revoke", "lost-phone", "user-remove", "user-disable", "user-enable", "mode"]) expect(isLogged(c)).toBe(true)
        for (const c of ["unlock", "lock", "user-add", "user-name", "user-list", "audit-read", "clock", "clear-lockout", "rolled-back"]) expect(isLogged(c)).toBe(false)
        expect(describeChange({ command: "revoke", args: [2], generation: 1 })).toBe("revoke 2")
        expect(describeChange({ command: "lost-phone", args: [], generation: 1 })).toBe("lost-phone")
    })

    it("says the generations, what was applied again and what was not", () => {
        const text = rollbackText({ lock: LOCK, found: 6, remembered: 9, told: true, reapplied: ["revoke 2"], failed: ["user-remove 3: refused by the lock: Invalid: no user in that slot"] })
        expect(text).toMatch(/store went back in time: generation 6 < 9/)
        expect(text).toMatch(/audited StoreRolledBack and raised the StoreLost alarm/)
        expect(text).toMatch(/applied again: revoke 2/)
        expect(text).toMatch(/NOT applied again: user-remove 3/)
    })
})
