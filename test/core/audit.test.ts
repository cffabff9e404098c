import { createHmac } from "node:crypto"
import { describe, expect, it } from "vitest"
import {
    appendAudit,
    AUDIT_CAPACITY,
    AUDIT_MIN_KEPT,
    AUDIT_PER_SEGMENT,
    AUDIT_SEGMENT_BYTES,
    AUDIT_SEGMENTS,
    AuditKind,
    AuditSource,
    Bytes,
    checkSegment,
    createAuditWriter,
    entryKind,
    entryLink,
    entrySlot,
    entrySource,
    entryTime,
    isUrgent,
    newestSegment,
    resumeAuditWriter,
    segmentCount,
    segmentFirstSeq,
    segmentOf,
    startChainCheck,
} from "../../src/core/index"

const mac = (m: Bytes) => createHmac("sha256", "audit-key").update(m as Uint8Array).digest()

/** Writes `n` entries; returns the ring as it would be on flash (segment index -> bytes). */
function ring(n: number): Map<number, Uint8Array> {
    const w = createAuditWriter()
    const out = new Map<number, Uint8Array>()
    for (let i = 0; i < n; i++) {
        const seg = appendAudit(w, 1740000000 + i, 1 + (i % 20), AuditSource.Keypad, i % 250, mac)
        out.set(segmentOf(i), Uint8Array.from(seg as Uint8Array))
    }
    return out
}

function check(segs: Iterable<Uint8Array>) {
    const sorted = [...segs].sort((a, b) => segmentFirstSeq(a) - segmentFirstSeq(b))
    const c = startChainCheck()
    for (const s of sorted) checkSegment(c, s, mac)
    return c
}

describe("audit ring", () => {
    it("keeps at least 500 entries in 22 segments that each fit a settings value", () => {
        expect(AUDIT_CAPACITY).toBe(528)
        expect(AUDIT_MIN_KEPT).toBe(505)
        expect(AUDIT_SEGMENT_BYTES).toBe(196)
        expect(6 + 1 + AUDIT_SEGMENT_BYTES).toBeLessThanOrEqual(232)
    })

    it("packs time, kind, source, slot and a link into 8 bytes", () => {
        const w = createAuditWriter()
        const seg = appendAudit(w, 1740745800, AuditKind.ForcedUser, AuditSource.Keypad, 42, mac)
        appendAudit(w, 0, AuditKind.Lock, AuditSource.Auto, 0, mac)
        expect([entryTime(seg, 0), entryKind(seg, 0), entrySource(seg, 0), entrySlot(seg, 0)]).toEqual([1740745800, 10, 3, 42])
        expect([entryTime(seg, 1), entryKind(seg, 1), entrySource(seg, 1)]).toEqual([0, AuditKind.Lock, AuditSource.Auto])
        expect(entryLink(seg, 0)).toBe(mac(new Uint8Array(12))[0] + 256 * mac(new Uint8Array(12))[1])
        expect(segmentCount(seg)).toBe(2)
    })

    it("an intact chain checks out, also after wrapping around the ring", () => {
        for (const n of [1, 23, 24, 25, 504, 505, 528, 529, 1300]) {
            const c = check(ring(n).values())
            expect(c.brokenAt, `n=${n}`).toBe(-1)
            // the newest segment and the 21 before it are kept: never fewer than 505 once wrapped
            const firstKept = Math.max(0, Math.floor((n - 1) / 24) - (AUDIT_SEGMENTS - 1)) * 24
            if (n > AUDIT_CAPACITY) expect(n - firstKept).toBeGreaterThanOrEqual(AUDIT_MIN_KEPT)
            expect(c.entries).toBe(n - firstKept)
            expect(c.firstSeq).toBe(firstKept)
            expect(c.nextSeq).toBe(n)
        }
    })

    it("detects any single changed byte of any entry but the newest one's content", () => {
        const segs = ring(60)
        for (const [index, seg] of segs)
            for (let i = 0; i < segmentCount(seg); i++)
                for (let b = 0; b < 8; b++) {
                    const copy = new Map(segs)
                    const bad = Uint8Array.from(seg)
                    bad[4 + i * 8 + b] ^= 0x10
                    copy.set(index, bad)
                    const seq = segmentFirstSeq(seg) + i
                    const c = check(copy.values())
                    if (seq === 59 && b < 6) {
                        // the newest entry is vouched for only by the next one (not written yet)
                        expect(c.brokenAt).toBe(-1)
                    } else {
                        // caught at the entry itself (its link) or at the next one (which hashes it)
                        expect([seq, seq + 1], `entry ${seq} byte ${b}`).toContain(c.brokenAt)
                    }
                }
    })

    it("detects a removed entry, a removed segment, a reordered pair and a changed header", () => {
        const segs = ring(80)
        // removed entry (later ones shifted down)
        const s1 = Uint8Array.from(segs.get(1)!)
        s1.copyWithin(4 + 5 * 8, 4 + 6 * 8)
        s1.fill(0, 4 + 23 * 8)
        expect(check([segs.get(0)!, s1, segs.get(2)!, segs.get(3)!]).brokenAt).toBe(24 + 5)
        // removed segment in the middle
        expect(check([segs.get(0)!, segs.get(2)!, segs.get(3)!]).brokenAt).toBe(24)
        // two entries swapped
        const s2 = Uint8Array.from(segs.get(2)!)
        const a = s2.slice(4 + 3 * 8, 4 + 4 * 8)
        s2.copyWithin(4 + 3 * 8, 4 + 4 * 8, 4 + 5 * 8)
        s2.set(a, 4 + 4 * 8)
        expect(check([segs.get(0)!, segs.get(1)!, s2, segs.get(3)!]).brokenAt).toBe(48 + 3)
        // header sequence changed
        const s3 = Uint8Array.from(segs.get(3)!)
        s3[0] = 96 + 24
        expect(check([segs.get(0)!, segs.get(1)!, segs.get(2)!, s3]).brokenAt).toBe(72)
        // garbage after the last used entry
        const s4 = Uint8Array.from(segs.get(3)!)
        s4[4 + 20 * 8 + 4] = AuditKind.Unlock
        expect(check([segs.get(0)!, segs.get(1)!, segs.get(2)!, s4]).brokenAt).toBe(92)
        // a segment of the wrong size
        expect(check([segs.get(0)!, new Uint8Array(10)]).brokenAt).toBe(24)
        // a header erased (0xff): reported at the next entry expected, never as "entry 4294967295"
        const s5 = Uint8Array.from(segs.get(0)!)
        s5.fill(0xff, 0, 4)
        expect(check([s5, segs.get(1)!]).brokenAt).toBe(48) // sorted last, after segment 1
        const first = startChainCheck()
        checkSegment(first, s5, mac)
        expect(first.brokenAt).toBe(0) // met first: nothing could be vouched for
    })

    it("resumes after the newest segment as if it had never stopped", () => {
        const w = createAuditWriter()
        let seg: Bytes | null = null
        for (let i = 0; i < 30; i++) seg = appendAudit(w, 0, AuditKind.Lock, AuditSource.Auto, 0, mac)
        const r = resumeAuditWriter(Uint8Array.from(seg as Uint8Array))
        expect(r.nextSeq).toBe(30)
        const a = appendAudit(w, 5, AuditKind.Unlock, AuditSource.Keypad, 1, mac)
        const b = appendAudit(r, 5, AuditKind.Unlock, AuditSource.Keypad, 1, mac)
        expect(Array.from(b as Uint8Array)).toEqual(Array.from(a as Uint8Array))
        expect(resumeAuditWriter(null).nextSeq).toBe(0)
        // a full newest segment: the next entry opens the following one
        const full = createAuditWriter()
        for (let i = 0; i < AUDIT_PER_SEGMENT; i++) seg = appendAudit(full, 0, AuditKind.Lock, AuditSource.Auto, 0, mac)
        const next = resumeAuditWriter(seg)
        appendAudit(next, 0, AuditKind.Lock, AuditSource.Auto, 0, mac)
        expect(segmentFirstSeq(next.seg!)).toBe(24)
        expect(segmentOf(24 * AUDIT_SEGMENTS)).toBe(0)
    })

    it("never resumes after a damaged header (an erased one sorts last): the newest sound segment instead", () => {
        const segs = ring(30)
        const erased = Uint8Array.from(segs.get(0)!)
        erased.fill(0xff, 0, 4)
        const oldestFirst = [segs.get(1)!, erased]
        expect(newestSegment(oldestFirst)).toBe(segs.get(1))
        const w = resumeAuditWriter(newestSegment(oldestFirst))
        expect(w.nextSeq).toBe(30)
        expect(newestSegment([erased])).toBe(null)
        expect(resumeAuditWriter(erased).nextSeq).toBe(0)
    })

    it("writes wrong codes and other routine entries in batches, security events at once", () => {
        for (const k of [AuditKind.Unlock, AuditKind.ForcedUser, AuditKind.LockFactoryReset, AuditKind.UserAdded, AuditKind.ModeChanged, AuditKind.RecoveryUsed, AuditKind.WrongCodeEntryLimit])
            expect(isUrgent(k)).toBe(true)
        for (const k of [AuditKind.InvalidCredential, AuditKind.Lock, AuditKind.PowerOn, AuditKind.RestrictedSchedule])
            expect(isUrgent(k)).toBe(false)
    })
})
