/** The audit log: its ring of segments on flash, the MAC chain that vouches for it, and which entries are urgent. */
import {
    appendAudit,
    AUDIT_CAPACITY,
    AUDIT_MIN_KEPT,
    AUDIT_PER_SEGMENT,
    AUDIT_SEGMENT_BYTES,
    AUDIT_SEGMENTS,
    AuditKind,
    AuditMac,
    AuditSource,
    Bytes,
    ChainCheck,
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
import { Check, Suite } from "./check"
import { bytesText, copyBytes, list, str } from "./compare"

const AUDIT_KEY = "audit-key"

function macOf(check: Check): AuditMac {
    return (m: Bytes) => check.hmac(AUDIT_KEY, m)
}

/** Writes `n` entries; returns the ring as it would be on flash (index: segment; null: never written). */
async function ring(check: Check, n: number): Promise<(Bytes | null)[]> {
    const mac = macOf(check)
    const w = createAuditWriter()
    const out: (Bytes | null)[] = []
    for (let i = 0; i < AUDIT_SEGMENTS; i++) out.push(null)
    for (let i = 0; i < n; i++) {
        const seg = appendAudit(w, 1740000000 + i, 1 + (i % 20), AuditSource.Keypad, i % 250, mac)
        out[segmentOf(i)] = copyBytes(seg)
        if (i % 24 === 23) await check.breathe()
    }
    return out
}

/** The written segments, oldest first (by their first sequence number). */
function sorted(segs: (Bytes | null)[]): Bytes[] {
    const out: Bytes[] = []
    for (const s of segs) {
        if (s === null) continue
        out.push(s)
        for (let at = out.length - 1; at > 0 && segmentFirstSeq(out[at - 1]) > segmentFirstSeq(out[at]); at--) {
            const x = out[at - 1]
            out[at - 1] = out[at]
            out[at] = x
        }
    }
    return out
}

/** Checks the chain over the segments, sorted oldest first. */
async function chain(check: Check, segs: (Bytes | null)[]): Promise<ChainCheck> {
    const mac = macOf(check)
    const c = startChainCheck()
    for (const s of sorted(segs)) {
        checkSegment(c, s, mac)
        await check.breathe()
    }
    return c
}

/** Segments 0..n-1 of a ring with one of them replaced. */
function withSegment(segs: (Bytes | null)[], index: number, replacement: Bytes): (Bytes | null)[] {
    const out: (Bytes | null)[] = []
    for (let i = 0; i < segs.length; i++) out.push(i === index ? replacement : segs[i])
    return out
}

function swapEntries(seg: Bytes, a: number, b: number) {
    for (let k = 0; k < 8; k++) {
        const x = seg[4 + a * 8 + k]
        seg[4 + a * 8 + k] = seg[4 + b * 8 + k]
        seg[4 + b * 8 + k] = x
    }
}

export function auditSuite(): Suite {
    return {
        name: "the audit log",
        cases: [
            {
                name: "keeps at least 500 entries in 22 segments that each fit a settings value",
                run: async check => {
                    check.eq(str(AUDIT_CAPACITY), "528", "capacity")
                    check.eq(str(AUDIT_MIN_KEPT), "505", "kept at least")
                    check.eq(str(AUDIT_SEGMENT_BYTES), "196", "segment size")
                    check.eq(str(6 + 1 + AUDIT_SEGMENT_BYTES <= 232), "true", "a segment fits a packet")
                },
            },
            {
                name: "packs time, kind, source, slot and a link into 8 bytes",
                run: async check => {
                    const mac = macOf(check)
                    const w = createAuditWriter()
                    const seg = appendAudit(w, 1740745800, AuditKind.ForcedUser, AuditSource.Keypad, 42, mac)
                    appendAudit(w, 0, AuditKind.Lock, AuditSource.Auto, 0, mac)
                    appendAudit(w, 4102444799, AuditKind.Unlock, AuditSource.Remote, 250, mac)
                    check.eq(list([str(entryTime(seg, 2)), str(entryKind(seg, 2)), str(entrySource(seg, 2)), str(entrySlot(seg, 2))]), "4102444799, 1, 7, 250", "entry 2, in 2099")
                    check.eq(list([str(entryTime(seg, 0)), str(entryKind(seg, 0)), str(entrySource(seg, 0)), str(entrySlot(seg, 0))]), "1740745800, 10, 3, 42", "entry 0")
                    check.eq(list([str(entryTime(seg, 1)), str(entryKind(seg, 1)), str(entrySource(seg, 1))]), `0, ${AuditKind.Lock}, ${AuditSource.Auto}`, "entry 1")
                    const first = mac(Buffer.alloc(12))
                    check.eq(str(entryLink(seg, 0)), str(first[0] + 256 * first[1]), "entry 0's link")
                    check.eq(str(segmentCount(seg)), "3", "entries in the segment")
                },
            },
            {
                name: "an intact chain checks out, also after wrapping around the ring",
                run: async check => {
                    for (const n of [1, 23, 24, 25, 30, 504, 505, 528, 529, 1300]) {
                        const c = await chain(check, await ring(check, n))
                        check.eq(str(c.brokenAt), "-1", `n=${n}: intact`)
                        // the newest segment and the 21 before it are kept: never fewer than 505 once wrapped
                        const firstKept = Math.max(0, Math.floor((n - 1) / 24) - (AUDIT_SEGMENTS - 1)) * 24
                        if (n > AUDIT_CAPACITY) check.eq(str(n - firstKept >= AUDIT_MIN_KEPT), "true", `n=${n}: at least 505 kept`)
                        check.eq(`${c.entries} ${c.firstSeq} ${c.nextSeq}`, `${n - firstKept} ${firstKept} ${n}`, `n=${n}: entries, first, next`)
                    }
                },
            },
            {
                name: "detects any single changed byte of any entry but the newest one's content",
                run: async check => {
                    const segs = await ring(check, 60)
                    for (let index = 0; index < segs.length; index++) {
                        const seg = segs[index]
                        if (seg === null) continue
                        for (let i = 0; i < segmentCount(seg); i++)
                            for (let b = 0; b < 8; b++) {
                                const bad = copyBytes(seg)
                                bad[4 + i * 8 + b] = bad[4 + i * 8 + b] ^ 0x10
                                const seq = segmentFirstSeq(seg) + i
                                const c = await chain(check, withSegment(segs, index, bad))
                                if (seq === 59 && b < 6) {
                                    // the newest entry is vouched for only by the next one (not written yet)
                                    check.eq(str(c.brokenAt), "-1", `entry ${seq} byte ${b}: not caught yet`)
                                } else {
                                    // caught at the entry itself (its link) or at the next one (which hashes it)
                                    const at = c.brokenAt === seq || c.brokenAt === seq + 1 ? "caught" : `broken at ${c.brokenAt}`
                                    check.eq(at, "caught", `entry ${seq} byte ${b}`)
                                }
                            }
                    }
                },
            },
            {
                name: "detects a removed entry, a removed segment, a reordered pair and a changed header",
                run: async check => {
                    const segs = await ring(check, 80)
                    const s0 = segs[0] as Bytes
                    const s1 = segs[1] as Bytes
                    const s2 = segs[2] as Bytes
                    const s3 = segs[3] as Bytes
                    // removed entry (later ones shifted down)
                    const r1 = copyBytes(s1)
                    for (let k = 4 + 5 * 8; k < 4 + 23 * 8; k++) r1[k] = s1[k + 8]
                    for (let k = 4 + 23 * 8; k < r1.length; k++) r1[k] = 0
                    check.eq(str((await chain(check, [s0, r1, s2, s3])).brokenAt), str(24 + 5), "a removed entry")
                    // removed segment in the middle
                    check.eq(str((await chain(check, [s0, s2, s3])).brokenAt), "24", "a removed segment")
                    // two entries swapped
                    const r2 = copyBytes(s2)
                    swapEntries(r2, 3, 4)
                    check.eq(str((await chain(check, [s0, s1, r2, s3])).brokenAt), str(48 + 3), "two entries swapped")
                    // header sequence changed
                    const r3 = copyBytes(s3)
                    r3[0] = 96 + 24
                    check.eq(str((await chain(check, [s0, s1, s2, r3])).brokenAt), "72", "a changed header")
                    // garbage after the last used entry
                    const r4 = copyBytes(s3)
                    r4[4 + 20 * 8 + 4] = AuditKind.Unlock
                    check.eq(str((await chain(check, [s0, s1, s2, r4])).brokenAt), "92", "garbage after the last entry")
                    // a segment of the wrong size
                    check.eq(str((await chain(check, [s0, Buffer.alloc(10)])).brokenAt), "24", "a segment of the wrong size")
                    // a header erased (0xff): reported at the next entry expected, never as "entry 4294967295"
                    const r5 = copyBytes(s0)
                    for (let k = 0; k < 4; k++) r5[k] = 0xff
                    check.eq(str((await chain(check, [r5, s1])).brokenAt), "48", "an erased header, sorted last after segment 1")
                    const first = startChainCheck()
                    checkSegment(first, r5, macOf(check))
                    check.eq(str(first.brokenAt), "0", "an erased header met first: nothing could be vouched for")
                },
            },
            {
                name: "resumes after the newest segment as if it had never stopped",
                run: async check => {
                    const mac = macOf(check)
                    const w = createAuditWriter()
                    let seg: Bytes | null = null
                    for (let i = 0; i < 30; i++) seg = appendAudit(w, 0, AuditKind.Lock, AuditSource.Auto, 0, mac)
                    const r = resumeAuditWriter(copyBytes(seg as Bytes))
                    check.eq(str(r.nextSeq), "30", "next entry")
                    const a = appendAudit(w, 5, AuditKind.Unlock, AuditSource.Keypad, 1, mac)
                    const b = appendAudit(r, 5, AuditKind.Unlock, AuditSource.Keypad, 1, mac)
                    check.eq(bytesText(b), bytesText(a), "the same segment written")
                    check.eq(str(resumeAuditWriter(null).nextSeq), "0", "an empty log")
                    // a full newest segment: the next entry opens the following one
                    const fullRing = createAuditWriter()
                    for (let i = 0; i < AUDIT_PER_SEGMENT; i++) seg = appendAudit(fullRing, 0, AuditKind.Lock, AuditSource.Auto, 0, mac)
                    const next = resumeAuditWriter(seg)
                    appendAudit(next, 0, AuditKind.Lock, AuditSource.Auto, 0, mac)
                    check.eq(str(segmentFirstSeq(next.seg as Bytes)), "24", "the following segment")
                    check.eq(str(segmentOf(24 * AUDIT_SEGMENTS)), "0", "the ring wraps")
                },
            },
            {
                name: "never resumes after a damaged header (an erased one sorts last): the newest sound segment instead",
                run: async check => {
                    const segs = await ring(check, 30)
                    const erased = copyBytes(segs[0] as Bytes)
                    for (let k = 0; k < 4; k++) erased[k] = 0xff
                    const oldestFirst = [segs[1] as Bytes, erased]
                    check.eq(str(newestSegment(oldestFirst) === segs[1]), "true", "segment 1 is the newest sound one")
                    const w = resumeAuditWriter(newestSegment(oldestFirst))
                    check.eq(str(w.nextSeq), "30", "resumed after it")
                    check.eq(newestSegment([erased]) === null ? "none" : "a segment", "none", "no sound segment")
                    check.eq(str(resumeAuditWriter(erased).nextSeq), "0", "an erased header is not resumed")
                },
            },
            {
                name: "writes wrong codes and other routine entries in batches, security events at once",
                run: async check => {
                    const urgent = [AuditKind.Unlock, AuditKind.ForcedUser, AuditKind.LockFactoryReset, AuditKind.UserAdded, AuditKind.ModeChanged, AuditKind.RecoveryUsed, AuditKind.WrongCodeEntryLimit]
                    for (const k of urgent) check.eq(str(isUrgent(k)), "true", `kind ${k}`)
                    for (const k of [AuditKind.InvalidCredential, AuditKind.Lock, AuditKind.PowerOn, AuditKind.RestrictedSchedule]) check.eq(str(isUrgent(k)), "false", `kind ${k}`)
                },
            },
            {
                name: "AuditKind numbers are stable (they are on flash)",
                run: async check => {
                    check.eq(list([str(AuditKind.Unlock), str(AuditKind.LockFactoryReset), str(AuditKind.UserNamed)]), "1, 11, 24", "Unlock, LockFactoryReset, UserNamed")
                },
            },
        ],
    }
}
