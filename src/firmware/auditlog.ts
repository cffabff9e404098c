/**
 * The audit log on flash: the pure ring and chain of ../core/audit.ts, kept in settings
 * $lk.a0..$lk.a21 (./store.ts). The segment being filled lives in RAM; it is written at once
 * after an urgent entry (unlock, alarm, user or mode change, ...) and otherwise batched: within
 * BATCH_MS once the lock is idle, or when the segment is full. A Lock entry (the auto-relock after
 * each unlock, a lock) rides along with the next write instead, or waits LAZY_MS at most: an unlock
 * and its relock cost one segment write, not two. A key storm writes nothing (keys make no
 * entries), and the failed attempts it causes are throttled by the lockout.
 */
import * as ds from "@devicescript/core"
import { hmac } from "@devicescript/crypto"
import {
    appendAudit,
    AuditKind,
    AUDIT_PER_SEGMENT,
    AUDIT_SEGMENT_BYTES,
    AUDIT_SEGMENTS,
    AuditWriter,
    Bytes,
    checkSegment,
    createAuditWriter,
    isUrgent,
    newestSegment,
    resumeAuditWriter,
    segmentFirstSeq,
    segmentOf,
    startChainCheck,
} from "../core/index"
import { currentDeviceKey, loadAuditSegment, saveAuditSegment } from "./store"

/** Longest time a non-urgent entry waits in RAM (while the lock is idle). */
const BATCH_MS = 5000
/** Longest time Lock entries alone wait in RAM for another entry's write (a cut loses them). */
const LAZY_MS = 600000

let key: Buffer
let writer: AuditWriter = createAuditWriter()
let dirty = false
let urgent = false
let dirtySince = 0
/** Only Lock entries wait in RAM (LAZY_MS applies). */
let lazyOnly = false

/** The key of the chain's MAC, derived from the device key. */
function deriveKey(): Buffer {
    return hmac(currentDeviceKey(), "sha256", "latchkey audit")
}

function auditMac(message: Bytes): Bytes {
    return hmac(key, "sha256", message as Buffer)
}

/**
 * The key of the chain's MAC, for an authenticated companion to check the log itself (it is
 * derived from the device key, which it does not reveal).
 */
export function auditChainKey(): Buffer {
    return key
}

/** Reads the ring, checks the whole chain (logging the verdict) and resumes after the newest entry. */
export async function startAuditLog() {
    key = deriveKey()
    const segs: Buffer[] = []
    for (let i = 0; i < AUDIT_SEGMENTS; i++) {
        const s = await loadAuditSegment(i)
        if (s && s.length === AUDIT_SEGMENT_BYTES) segs.push(s)
    }
    // oldest first
    for (let i = 1; i < segs.length; i++)
        for (let j = i; j > 0 && segmentFirstSeq(segs[j - 1]) > segmentFirstSeq(segs[j]); j--) {
            const t = segs[j]
            segs[j] = segs[j - 1]
            segs[j - 1] = t
        }
    const c = startChainCheck()
    for (const s of segs) {
        checkSegment(c, s, auditMac)
        await ds.sleep(0)
    }
    if (segs.length === 0) console.log("lock: audit: empty log")
    else if (c.brokenAt >= 0) console.log(`lock: audit: chain BROKEN at entry ${c.brokenAt} (${c.entries} entries intact before it)`)
    else console.log(`lock: audit: chain intact, ${c.entries} entries (${c.firstSeq}..${c.nextSeq - 1})`)
    writer = resumeAuditWriter(newestSegment(segs))
    dirty = false
    urgent = false
}

/** After a factory reset: an empty log under the new device key. */
export function resetAuditLog() {
    key = deriveKey()
    writer = createAuditWriter()
    dirty = false
    urgent = false
}

/** Appends an entry (written to flash later: see auditFlushDue / flushAudit). */
export async function appendEntry(time: number, kind: number, source: number, slot: number) {
    // a segment that is about to be left is written first
    if (dirty && writer.nextSeq % AUDIT_PER_SEGMENT === 0) await flushAudit()
    appendAudit(writer, time, kind, source, slot, auditMac)
    if (!dirty) {
        dirtySince = ds.millis()
        lazyOnly = true
    }
    dirty = true
    if (kind !== AuditKind.Lock) lazyOnly = false
    if (isUrgent(kind)) urgent = true
}

/** Whether the RAM segment should be written now (`idle`: no entry being typed or checked). */
export function auditFlushDue(now: number, idle: boolean): boolean {
    return dirty && (urgent || (idle && now - dirtySince >= (lazyOnly ? LAZY_MS : BATCH_MS)))
}

export async function flushAudit() {
    if (!dirty || !writer.seg) return
    dirty = false
    urgent = false
    await saveAuditSegment(segmentOf(segmentFirstSeq(writer.seg)), writer.seg)
}
