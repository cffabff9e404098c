/**
 * The audit log: a ring of 22 flash segments of 24 entries, each entry carrying a hash of
 * the one before it, so a changed, removed or reordered entry breaks the chain. Pure: the hash
 * (a MAC under a key derived from the device key) is passed in, so Node can build and check the
 * very chains the firmware writes.
 *
 * A segment (196 bytes) is a 4-byte header, the sequence number of its first entry (u32 LE,
 * a multiple of 24), then 24 entries of 8 bytes:
 *   [0..3] time: wall-clock seconds since 1970, 0 when the clock was not set
 *   [4]    kind (AuditKind, 5 bits) | source << 5 (AuditSource, 3 bits; Matter OperationSource)
 *   [5]    user slot (1..250), or the new mode for ModeChanged; 0 = none
 *   [6..7] link: first 2 bytes of MAC(previous entry's 8 bytes ++ u32 LE sequence number of
 *          this entry); the entry with sequence 0 links to 8 zero bytes
 * Entry n lives in segment (n / 24) mod 22 at index n mod 24. Kind 0 marks an unused entry;
 * used entries of a segment are contiguous from its start. Never a code, never a digest.
 */
import { Bytes } from "./ct"
import { getUint, newBytes, putUint } from "./users"

/**
 * What an entry records. Names follow Matter events and alarms where one exists. An entry keeps
 * the kind in 5 bits: 0..31 are all taken (a new kind needs a wider field, or a shared one).
 */
export enum AuditKind {
    None = 0,
    /** LockOperation Unlock. */
    Unlock = 1,
    /** LockOperation Lock. */
    Lock = 2,
    /** LockOperationError InvalidCredential: no user has this code, or a malformed entry. */
    InvalidCredential = 3,
    /** LockOperationError DisabledUserDenied. */
    DisabledUserDenied = 4,
    /** LockOperationError Restricted: outside the user's schedule, or an Expiring user expired. */
    RestrictedSchedule = 5,
    /** Restricted: a schedule user while the wall clock is not set. */
    RestrictedClock = 6,
    /** Restricted: the operating mode refuses this user (Vacation, Privacy). */
    RestrictedMode = 7,
    /** Restricted: a NonAccess or RemoteOnly user at the keypad. */
    RestrictedUserType = 8,
    /** Alarm WrongCodeEntryLimit: a lockout started. */
    WrongCodeEntryLimit = 9,
    /** Alarm ForcedUser: a duress code opened the door. */
    ForcedUser = 10,
    /** Alarm LockFactoryReset. */
    LockFactoryReset = 11,
    /** LockUserChange: a user was added. */
    UserAdded = 12,
    UserDeleted = 13,
    UserEnabled = 14,
    UserDisabled = 15,
    /** The master code (Programming user) was set or changed. */
    MasterChanged = 16,
    /** Operating mode changed; slot = the new mode. */
    ModeChanged = 17,
    ClockSet = 18,
    /** The recovery code opened the door (it is used up). */
    RecoveryUsed = 19,
    /** A new recovery code was issued (shown once). */
    RecoveryIssued = 20,
    /** The keypad programming menu was opened with the master code. */
    MenuOpened = 21,
    /** Power on (the clock is unknown until set again). */
    PowerOn = 22,
    /** A remote operation refused by the operating mode (NoRemoteLockUnlock). */
    RemoteRefused = 23,
    /** A user name was set. */
    UserNamed = 24,
    /** An enrolled companion cleared the failure counter and any keypad lockout. */
    LockoutCleared = 25,
    /** A companion's sealed command was refused (unknown/revoked key, replay, bad tag, stale nonce). */
    RemoteRejected = 26,
    /** Alarm DoorForcedOpen: the door opened while the latch was locked. */
    DoorForcedOpen = 27,
    /** Alarm DoorAjar: the door stayed open longer than the policy allows. */
    DoorAjar = 28,
    /** Alarm LockJammed: the latch switch did not confirm a move, even on its retry. */
    LockJammed = 29,
    /** A companion key was enrolled; slot = its key id. */
    CompanionEnrolled = 30,
    /** A companion key was revoked; slot = its key id, 0 for every key (lost phone). */
    CompanionRevoked = 31,
}

/**
 * Tamper entries. Every kind value is taken, so they share DoorForcedOpen's (the door, or the
 * lock's insides, forced); the slot byte, 0 for a forced door, says which:
 *   TAMPER_STORE         a setting the lock keeps (device key, failure counter, companion
 *                        records) changed on flash without the lock: a bus peer's settings write
 *   TAMPER_PART + part   a part of the lock (LockPart) answered from a device that is not the
 *                        board's own: its role was bound to a foreign device
 */
export const TAMPER_KIND = AuditKind.DoorForcedOpen
/**
 * A restore (`latchkey restore`, written into the restored log by the companion) shares
 * LockFactoryReset's kind with this slot byte (a factory reset and a store loss have slot 0).
 */
export const RESTORED_SLOT = 1
/**
 * A companion found the store behind (an older copy mounted: its generation below one the
 * companion saw): LockFactoryReset's kind with this slot byte, "StoreRolledBack".
 */
export const ROLLED_BACK_SLOT = 2
export const TAMPER_STORE = 1
export const TAMPER_PART = 2

/** The lock's parts, as tamper entries and the bus guard number them. */
export enum LockPart {
    Keypad = 0,
    Program = 1,
    Latch = 2,
    Buzzer = 3,
    LatchSensor = 4,
    Door = 5,
}
/** Each LockPart's name, in LockPart order (a string: an array literal would cost function code). */
export const LOCK_PARTS = "keypad program latch buzzer latchSensor door"

/** The name of LockPart `part`. */
export function partName(part: number): string {
    const names = LOCK_PARTS.split(" ")
    return part >= 0 && part < names.length ? names[part] : "unknown"
}

/** Where an operation came from (Matter OperationSourceEnum values). */
export enum AuditSource {
    Unspecified = 0,
    Keypad = 3,
    Auto = 4,
    Button = 5,
    Remote = 7,
}

export const AUDIT_ENTRY_BYTES = 8
export const AUDIT_PER_SEGMENT = 24
/** 22: when the newest segment has just begun, the 21 full ones before it still hold 504. */
export const AUDIT_SEGMENTS = 22
export const AUDIT_HEADER_BYTES = 4
export const AUDIT_SEGMENT_BYTES = AUDIT_HEADER_BYTES + AUDIT_PER_SEGMENT * AUDIT_ENTRY_BYTES
/** Most entries the ring holds (528); a whole segment is overwritten at a time. */
export const AUDIT_CAPACITY = AUDIT_PER_SEGMENT * AUDIT_SEGMENTS
/** Fewest entries the ring holds once it has wrapped: the newest (at least 1) and 21 full segments. */
export const AUDIT_MIN_KEPT = AUDIT_PER_SEGMENT * (AUDIT_SEGMENTS - 1) + 1

// one string split at start-up: DeviceScript compiles an array literal of strings into function code
const KIND_NAMES = (
    "None " +
    "Unlock " +
    "Lock " +
    "InvalidCredential " +
    "DisabledUserDenied " +
    "RestrictedSchedule " +
    "RestrictedClock " +
    "RestrictedMode " +
    "RestrictedUserType " +
    "WrongCodeEntryLimit " +
    "ForcedUser " +
    "LockFactoryReset " +
    "UserAdded " +
    "UserDeleted " +
    "UserEnabled " +
    "UserDisabled " +
    "MasterChanged " +
    "ModeChanged " +
    "ClockSet " +
    "RecoveryUsed " +
    "RecoveryIssued " +
    "MenuOpened " +
    "PowerOn " +
    "RemoteRefused " +
    "UserNamed " +
    "LockoutCleared " +
    "RemoteRejected " +
    "DoorForcedOpen " +
    "DoorAjar " +
    "LockJammed " +
    "CompanionEnrolled " +
    "CompanionRevoked"
).split(" ")

export function auditKindName(kind: number): string {
    return kind >= 0 && kind < KIND_NAMES.length ? KIND_NAMES[kind] : "Unknown"
}

/**
 * An entry's name: its kind's, or for a tamper entry what it says ("StoreTampered",
 * "ForeignPart program").
 */
export function auditEntryName(kind: number, slot: number): string {
    if (kind === TAMPER_KIND && slot === TAMPER_STORE) return "StoreTampered"
    if (kind === AuditKind.LockFactoryReset && slot === RESTORED_SLOT) return "StoreRestored"
    if (kind === AuditKind.LockFactoryReset && slot === ROLLED_BACK_SLOT) return "StoreRolledBack"
    if (kind === TAMPER_KIND && slot >= TAMPER_PART) return "ForeignPart " + partName(slot - TAMPER_PART)
    return auditKindName(kind)
}

/** Urgent entries are written to flash at once; the others may wait to be batched. */
export function isUrgent(kind: number): boolean {
    // refused codes (InvalidCredential .. RestrictedUserType) by one range test: same work for each
    return !(
        (kind >= AuditKind.InvalidCredential && kind <= AuditKind.RestrictedUserType) ||
        kind === AuditKind.Lock ||
        kind === AuditKind.PowerOn ||
        kind === AuditKind.ClockSet
    )
}

/** A MAC over a message (HMAC-SHA256 under the audit key); only the first 2 bytes are used. */
export type AuditMac = (message: Bytes) => Bytes

/** Segment (0..AUDIT_SEGMENTS-1) holding the entry with sequence number `seq`. */
export function segmentOf(seq: number): number {
    return Math.floor(seq / AUDIT_PER_SEGMENT) % AUDIT_SEGMENTS
}

/** An empty segment whose first entry will have sequence number `firstSeq`. */
export function createSegment(firstSeq: number): Bytes {
    const seg = newBytes(AUDIT_SEGMENT_BYTES)
    putUint(seg, 0, 4, firstSeq)
    return seg
}

export function segmentFirstSeq(seg: Bytes): number {
    return getUint(seg, 0, 4)
}

function entryAt(i: number): number {
    return AUDIT_HEADER_BYTES + i * AUDIT_ENTRY_BYTES
}

export function entryTime(seg: Bytes, i: number): number {
    return getUint(seg, entryAt(i), 4)
}

export function entryKind(seg: Bytes, i: number): number {
    return seg[entryAt(i) + 4] & 31
}

export function entrySource(seg: Bytes, i: number): number {
    return seg[entryAt(i) + 4] >> 5
}

export function entrySlot(seg: Bytes, i: number): number {
    return seg[entryAt(i) + 5]
}

export function entryLink(seg: Bytes, i: number): number {
    return getUint(seg, entryAt(i) + 6, 2)
}

/** Number of used entries at the start of a segment. */
export function segmentCount(seg: Bytes): number {
    let n = 0
    while (n < AUDIT_PER_SEGMENT && entryKind(seg, n) !== AuditKind.None) n++
    return n
}

/** The message whose MAC links entry `seq` to the entry before it (`prev`: its 8 bytes, or null). */
export function linkMessage(prev: Bytes | null, seq: number): Bytes {
    const m = newBytes(AUDIT_ENTRY_BYTES + 4)
    if (prev) for (let i = 0; i < AUDIT_ENTRY_BYTES; i++) m[i] = prev[i]
    putUint(m, AUDIT_ENTRY_BYTES, 4, seq)
    return m
}

function linkFrom(mac: Bytes): number {
    return mac[0] + mac[1] * 256
}

/** A copy of entry `i`'s 8 bytes. */
export function entryBytes(seg: Bytes, i: number): Bytes {
    const out = newBytes(AUDIT_ENTRY_BYTES)
    const o = entryAt(i)
    for (let k = 0; k < AUDIT_ENTRY_BYTES; k++) out[k] = seg[o + k]
    return out
}

/** Where the next entry goes; kept by the firmware in RAM. */
export interface AuditWriter {
    /** The segment being filled (null before the first entry). */
    seg: Bytes | null
    /** Sequence number of the next entry. */
    nextSeq: number
    /** The newest entry's bytes (null: none yet). */
    last: Bytes | null
}

export function createAuditWriter(): AuditWriter {
    return { seg: null, nextSeq: 0, last: null }
}

/**
 * Resumes writing after the newest segment found on flash (`seg`, or null for an empty log).
 */
/**
 * The segment to resume after: the newest of `oldestFirst` whose header is one a writer makes (a
 * multiple of AUDIT_PER_SEGMENT). A damaged header (an erased one reads 0xffffffff and sorts last)
 * stays on flash as evidence but is never resumed: its sequence number is not one, and it would
 * send the next segment into another segment's slot.
 */
export function newestSegment(oldestFirst: Bytes[]): Bytes | null {
    for (let i = oldestFirst.length - 1; i >= 0; i--) if (segmentFirstSeq(oldestFirst[i]) % AUDIT_PER_SEGMENT === 0) return oldestFirst[i]
    return null
}

export function resumeAuditWriter(seg: Bytes | null): AuditWriter {
    if (!seg || seg.length !== AUDIT_SEGMENT_BYTES || segmentFirstSeq(seg) % AUDIT_PER_SEGMENT !== 0) return createAuditWriter()
    const count = segmentCount(seg)
    const first = segmentFirstSeq(seg)
    if (count === 0) return { seg: seg, nextSeq: first, last: null }
    return { seg: seg, nextSeq: first + count, last: entryBytes(seg, count - 1) }
}

/**
 * Appends one entry; returns the segment it went into (a new one when the previous was full:
 * it replaces the oldest segment of the ring). `time` is wall-clock seconds, 0 when unknown.
 */
export function appendAudit(w: AuditWriter, time: number, kind: number, source: number, slot: number, mac: AuditMac): Bytes {
    const seq = w.nextSeq
    const index = seq % AUDIT_PER_SEGMENT
    if (!w.seg || index === 0) w.seg = createSegment(seq)
    const seg = w.seg
    const o = entryAt(index)
    putUint(seg, o, 4, time > 0 ? Math.floor(time) : 0)
    seg[o + 4] = (kind & 31) | ((source & 7) << 5)
    seg[o + 5] = slot & 255
    const link = linkFrom(mac(linkMessage(w.last, seq)))
    putUint(seg, o + 6, 2, link)
    w.last = entryBytes(seg, index)
    w.nextSeq = seq + 1
    return seg
}

/** Progress of a chain check over the segments of a ring, oldest first. */
export interface ChainCheck {
    /** Entries checked so far. */
    entries: number
    /** Sequence number of the oldest entry (-1: none yet). */
    firstSeq: number
    /** Sequence number the next entry must have. */
    nextSeq: number
    /** The last entry checked (null: none yet). */
    last: Bytes | null
    /** Sequence number of the first entry found broken or missing; -1 while intact. */
    brokenAt: number
    /** A partly filled segment was seen: it must be the newest. */
    ended: boolean
}

export function startChainCheck(): ChainCheck {
    return { entries: 0, firstSeq: -1, nextSeq: 0, last: null, brokenAt: -1, ended: false }
}

/**
 * Checks the next segment of the ring (segments in sequence order, oldest first). The oldest
 * entry kept can only be checked when it is entry 0 (its predecessor was overwritten); every
 * later entry must link to the one before it and follow it in sequence.
 */
export function checkSegment(c: ChainCheck, seg: Bytes, mac: AuditMac) {
    if (c.brokenAt >= 0) return
    if (!seg || seg.length !== AUDIT_SEGMENT_BYTES) {
        c.brokenAt = c.nextSeq
        return
    }
    const first = segmentFirstSeq(seg)
    const count = segmentCount(seg)
    if (first % AUDIT_PER_SEGMENT !== 0 || (c.firstSeq >= 0 && (first !== c.nextSeq || c.ended))) {
        // the next entry that cannot be vouched for (0 when none could be): never a damaged header's value
        c.brokenAt = c.nextSeq
        return
    }
    for (let i = count; i < AUDIT_PER_SEGMENT; i++) {
        // nothing may follow the first unused entry
        if (entryKind(seg, i) !== AuditKind.None || entryTime(seg, i) !== 0 || entryLink(seg, i) !== 0) {
            c.brokenAt = first + i
            return
        }
    }
    for (let i = 0; i < count; i++) {
        const seq = first + i
        const checkable = c.last !== null || seq === 0
        if (checkable && linkFrom(mac(linkMessage(c.last, seq))) !== entryLink(seg, i)) {
            c.brokenAt = seq
            return
        }
        if (c.firstSeq < 0) c.firstSeq = seq
        c.last = entryBytes(seg, i)
        c.entries++
    }
    if (c.firstSeq < 0) c.firstSeq = first
    c.nextSeq = first + count
    if (count < AUDIT_PER_SEGMENT) c.ended = true
}
