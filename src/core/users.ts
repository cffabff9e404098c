/**
 * The user table: up to 250 slots in one flat byte table, laid out exactly as it is stored on
 * flash (in chunks of 12 records), with Matter Door Lock names for user types and statuses.
 *
 * A record is 17 bytes:
 *   [0]      type << 4 | status      (UserType, UserStatus; 0 = Available)
 *   [1..8]   schedule parameters      (see ./schedule: week days, dates, expiry)
 *   [9..16]  code digest              (HMAC-SHA256(device key, code), first 8 bytes)
 *
 * Slots are numbered 1..MAX_USERS like Matter user indexes; slot 1 is the Programming user (the
 * master code). No code is ever kept, only its truncated digest: 64 bits leave a false accept
 * chance of 250 * 2^-64 per attempt, far below guessing a code, and halve the flash a slot needs.
 */
import { Bytes, same } from "./ct"

/** Number of user slots (Yale's figure; Matter NumberOfTotalUsersSupported). */
export const MAX_USERS = 250
/** Bytes of the HMAC-SHA256 digest kept per code (HMAC truncated to 64 bits). */
export const DIGEST_LENGTH = 8
/** Bytes per user record. */
export const USER_RECORD_BYTES = 17
/** Records per flash chunk (one settings value: 204 bytes, under the VM's ~218-byte limit). */
export const USERS_PER_CHUNK = 12
/** Flash chunks for all users. */
export const USER_CHUNKS = 21
/** Longest user name, in bytes (Matter UserName: 10). */
export const NAME_BYTES = 10
/** Names per flash chunk (200 bytes). */
export const NAMES_PER_CHUNK = 20
/** Flash chunks for all names. */
export const NAME_CHUNKS = 13
/** The Programming user (master code). */
export const MASTER_SLOT = 1

/** Offset of the schedule parameters in a record. */
export const PARAMS_AT = 1
/** Bytes of schedule parameters in a record. */
export const PARAMS_BYTES = 8
/** Offset of the digest in a record. */
export const DIGEST_AT = 9

/** Matter Door Lock UserTypeEnum. */
export enum UserType {
    Unrestricted = 0,
    YearDaySchedule = 1,
    WeekDaySchedule = 2,
    Programming = 3,
    NonAccess = 4,
    Forced = 5,
    Disposable = 6,
    Expiring = 7,
    ScheduleRestricted = 8,
    RemoteOnly = 9,
}

/** Matter Door Lock UserStatusEnum. */
export enum UserStatus {
    Available = 0,
    OccupiedEnabled = 1,
    OccupiedDisabled = 3,
}

// one string split at start-up: DeviceScript compiles an array literal of strings into function code
const TYPE_NAMES = (
    "Unrestricted " +
    "YearDaySchedule " +
    "WeekDaySchedule " +
    "Programming " +
    "NonAccess " +
    "Forced " +
    "Disposable " +
    "Expiring " +
    "ScheduleRestricted " +
    "RemoteOnly"
).split(" ")

/** The Matter name of a user type ("Unrestricted", "Forced", ...). */
export function userTypeName(type: number): string {
    return type >= 0 && type < TYPE_NAMES.length ? TYPE_NAMES[type] : "Unknown"
}

/** A zero-filled byte buffer (a Buffer in DeviceScript and in Node). */
export function newBytes(length: number): Bytes {
    return Buffer.alloc(length)
}

/** An empty user table: every slot Available. */
export function createUserTable(): Bytes {
    return newBytes(MAX_USERS * USER_RECORD_BYTES)
}

/** An empty name table. */
export function createNameTable(): Bytes {
    return newBytes(MAX_USERS * NAME_BYTES)
}

function at(slot: number): number {
    return (slot - 1) * USER_RECORD_BYTES
}

/** True for 1..MAX_USERS. */
export function isSlot(slot: number): boolean {
    return slot >= 1 && slot <= MAX_USERS && Math.floor(slot) === slot
}

export function userStatus(t: Bytes, slot: number): number {
    return t[at(slot)] & 15
}

export function userType(t: Bytes, slot: number): number {
    return t[at(slot)] >> 4
}

export function isOccupied(t: Bytes, slot: number): boolean {
    return userStatus(t, slot) !== UserStatus.Available
}

/** Number of occupied slots. */
export function userCount(t: Bytes): number {
    let n = 0
    for (let o = 0; o < MAX_USERS * USER_RECORD_BYTES; o += USER_RECORD_BYTES) if ((t[o] & 15) !== 0) n++
    return n
}

/** The lowest Available slot above the master's, or 0 when the table is full. */
export function firstFreeSlot(t: Bytes): number {
    for (let s = MASTER_SLOT + 1; s <= MAX_USERS; s++) if (!isOccupied(t, s)) return s
    return 0
}

/** Writes a whole record. `params` (8 bytes) may be null for none; `digest` needs DIGEST_LENGTH bytes. */
export function setUser(t: Bytes, slot: number, type: number, status: number, params: Bytes | null, digest: Bytes) {
    const o = at(slot)
    t[o] = ((type & 15) << 4) | (status & 15)
    for (let i = 0; i < PARAMS_BYTES; i++) t[o + PARAMS_AT + i] = params ? params[i] : 0
    for (let i = 0; i < DIGEST_LENGTH; i++) t[o + DIGEST_AT + i] = digest[i]
}

export function setUserStatus(t: Bytes, slot: number, status: number) {
    const o = at(slot)
    t[o] = (t[o] & 0xf0) | (status & 15)
}

/** Empties a slot: every byte of its record becomes 0 (Available). */
export function clearUser(t: Bytes, slot: number) {
    const o = at(slot)
    for (let i = 0; i < USER_RECORD_BYTES; i++) t[o + i] = 0
}

/** Unsigned little-endian value of `bytes` bytes at parameter offset `off` (0..7) of a slot. */
export function userParam(t: Bytes, slot: number, off: number, bytes: number): number {
    const o = at(slot) + PARAMS_AT + off
    let v = 0
    for (let i = bytes - 1; i >= 0; i--) v = v * 256 + t[o + i]
    return v
}

/** Sets an unsigned little-endian parameter value (see {@link userParam}). */
export function setUserParam(t: Bytes, slot: number, off: number, bytes: number, value: number) {
    const o = at(slot) + PARAMS_AT + off
    let v = value
    for (let i = 0; i < bytes; i++) {
        t[o + i] = v % 256
        v = Math.floor(v / 256)
    }
}

/** Writes an unsigned little-endian value into any byte sequence. */
export function putUint(b: Bytes, off: number, bytes: number, value: number) {
    let v = value
    for (let i = 0; i < bytes; i++) {
        b[off + i] = v % 256
        v = Math.floor(v / 256)
    }
}

/** Reads an unsigned little-endian value from any byte sequence. */
export function getUint(b: Bytes, off: number, bytes: number): number {
    let v = 0
    for (let i = bytes - 1; i >= 0; i--) v = v * 256 + b[off + i]
    return v
}

/**
 * The slot holding `digest` (first DIGEST_LENGTH bytes), or 0. Scans all MAX_USERS records
 * with no early exit and no branch on secret data: each record's digest is XORed against the
 * candidate in one expression, Available slots and the `skip` slot (0 = none) are masked out
 * arithmetically, and hits are accumulated with masks. Codes are unique (checked when added);
 * should two slots ever hit (a damaged or forged table), the answer is 0: fail secure.
 * About 95 VM opcodes per slot: a scan of 250 takes ~24k of the VM's 128k-opcode slice.
 */
export function findUser(t: Bytes, digest: Bytes, skip: number): number {
    const q0 = digest[0]
    const q1 = digest[1]
    const q2 = digest[2]
    const q3 = digest[3]
    const q4 = digest[4]
    const q5 = digest[5]
    const q6 = digest[6]
    const q7 = digest[7]
    let result = 0
    let hits = 0
    let o = 0
    for (let s = 1; s <= MAX_USERS; s++) {
        const d =
            (t[o + 9] ^ q0) |
            (t[o + 10] ^ q1) |
            (t[o + 11] ^ q2) |
            (t[o + 12] ^ q3) |
            (t[o + 13] ^ q4) |
            (t[o + 14] ^ q5) |
            (t[o + 15] ^ q6) |
            (t[o + 16] ^ q7)
        // d is 0..255: (d - 1) >>> 31 is 1 exactly when d is 0; a status 1..15 or a slot
        // number other than `skip` gives (-x) >>> 31 = 1
        // 0 - x, not -x: -0 is a double in V8, and a 0 that became -0 only where nothing matched
        // would make a wrong code's scan take another path than a right one's
        const hit = ((d - 1) >>> 31) & ((0 - (t[o] & 15)) >>> 31) & ((0 - (s ^ skip)) >>> 31)
        result = result | (s & (0 - hit))
        hits = hits + hit
        o = o + USER_RECORD_BYTES
    }
    // no branch on whether a slot matched: exactly one hit keeps the result, else 0
    return result & (0 - same(hits, 1))
}

/** A copy of the first DIGEST_LENGTH bytes of a digest. */
export function truncateDigest(digest: Bytes): Bytes {
    const out = newBytes(DIGEST_LENGTH)
    for (let i = 0; i < DIGEST_LENGTH; i++) out[i] = digest[i]
    return out
}

/** True when both hold the same first DIGEST_LENGTH bytes; reads them all (constant time). */
export function sameDigest(a: Bytes, b: Bytes): boolean {
    let d = 0
    for (let i = 0; i < DIGEST_LENGTH; i++) d = d | (a[i] ^ b[i])
    return d === 0
}

/** Chunk (0..USER_CHUNKS-1) that holds a slot's record. */
export function userChunkOf(slot: number): number {
    return Math.floor((slot - 1) / USERS_PER_CHUNK)
}

function chunkBytes(chunk: number, per: number, size: number, total: number): number {
    const first = chunk * per
    const n = first + per <= total ? per : total - first
    return n > 0 ? n * size : 0
}

/** Size in bytes of a user chunk (the last one is shorter). */
export function userChunkBytes(chunk: number): number {
    return chunkBytes(chunk, USERS_PER_CHUNK, USER_RECORD_BYTES, MAX_USERS)
}

/** A copy of `n` bytes of `t` from `o` (a chunk, as stored on flash). */
function copyOut(t: Bytes, o: number, n: number): Bytes {
    const out = newBytes(n)
    for (let i = 0; i < n; i++) out[i] = t[o + i]
    return out
}

/** Copies `data` into `t` at `o` when it is `n` bytes long (a chunk read from flash); false (nothing changed) if not. */
function copyIn(t: Bytes, o: number, n: number, data: Bytes): boolean {
    if (!data || data.length !== n) return false
    for (let i = 0; i < n; i++) t[o + i] = data[i]
    return true
}

/** A copy of one chunk of the table, as stored on flash. */
export function userChunk(t: Bytes, chunk: number): Bytes {
    return copyOut(t, chunk * USERS_PER_CHUNK * USER_RECORD_BYTES, userChunkBytes(chunk))
}

/**
 * Loads a chunk read from flash into the table. A chunk of the wrong size is refused (false);
 * records with an unknown type or status become Available: a damaged record never opens.
 */
export function loadUserChunk(t: Bytes, chunk: number, data: Bytes): boolean {
    const n = userChunkBytes(chunk)
    const o = chunk * USERS_PER_CHUNK * USER_RECORD_BYTES
    if (!copyIn(t, o, n, data)) return false
    for (let r = 0; r < n; r += USER_RECORD_BYTES) {
        const type = t[o + r] >> 4
        const status = t[o + r] & 15
        const known = status === UserStatus.OccupiedEnabled || status === UserStatus.OccupiedDisabled
        if (!known || type > UserType.RemoteOnly) for (let i = 0; i < USER_RECORD_BYTES; i++) t[o + r + i] = 0
    }
    return true
}

/** Chunk (0..NAME_CHUNKS-1) that holds a slot's name. */
export function nameChunkOf(slot: number): number {
    return Math.floor((slot - 1) / NAMES_PER_CHUNK)
}

export function nameChunkBytes(chunk: number): number {
    return chunkBytes(chunk, NAMES_PER_CHUNK, NAME_BYTES, MAX_USERS)
}

/** A copy of one chunk of the name table. */
export function nameChunk(names: Bytes, chunk: number): Bytes {
    return copyOut(names, chunk * NAMES_PER_CHUNK * NAME_BYTES, nameChunkBytes(chunk))
}

/** Loads a name chunk read from flash; false (and nothing changed) if its size is wrong. */
export function loadNameChunk(names: Bytes, chunk: number, data: Bytes): boolean {
    return copyIn(names, chunk * NAMES_PER_CHUNK * NAME_BYTES, nameChunkBytes(chunk), data)
}

/** True when every byte of the chunk is zero (nothing worth storing). */
export function isBlank(b: Bytes): boolean {
    let d = 0
    for (let i = 0; i < b.length; i++) d = d | b[i]
    return d === 0
}

/** Why `name` cannot be a user name, or null: at most NAME_BYTES printable ASCII characters. */
export function nameError(name: string): string | null {
    if (name.length > NAME_BYTES) return "name too long"
    for (let i = 0; i < name.length; i++) {
        const c = name.charCodeAt(i)
        if (c < 32 || c > 126) return "printable ASCII only"
    }
    return null
}

/** The name of a slot ("" when none). */
export function userName(names: Bytes, slot: number): string {
    const o = (slot - 1) * NAME_BYTES
    let s = ""
    for (let i = 0; i < NAME_BYTES; i++) {
        const c = names[o + i]
        if (c === 0) break
        s = s + String.fromCharCode(c)
    }
    return s
}

/** Sets the name of a slot (the caller has checked it with {@link nameError}). */
export function setUserName(names: Bytes, slot: number, name: string) {
    const o = (slot - 1) * NAME_BYTES
    for (let i = 0; i < NAME_BYTES; i++) names[o + i] = i < name.length ? name.charCodeAt(i) : 0
}
