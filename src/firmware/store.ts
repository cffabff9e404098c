/**
 * What the lock keeps in flash, through DeviceScript settings, as raw binary values (JSON would
 * double every byte as hex). Keys start with `$` (settings the bus may not read back) and are at
 * most 13 characters. No code is ever stored: only truncated HMAC-SHA256 digests.
 *
 *   $lk.key         32 bytes   device key (random; HMAC key for codes, tags and the audit chain)
 *   $lk.c0, c1      13 bytes   failure counter, two records used in turn: u32 sequence number,
 *                              u32 failures, u8 served (+ 4-byte tag); the newer valid one counts
 *   $lk.meta        28 bytes   mode, which chunks exist, recovery digest, store generation
 *                              (+ 4-byte tag); every write raises the generation (saveMeta)
 *   $lk.u0..u20    208 bytes   user records, 12 per chunk (+ 4-byte tag)
 *   $lk.n0..n12    204 bytes   user names, 20 per chunk (+ 4-byte tag), only once a name is set
 *   $lk.a0..a21    196 bytes   audit segments (./auditlog.ts; the hash chain protects them)
 *   $lk.p0..p11     42 bytes   companion records (./remote.ts): u8 id, u8 revoked, u32 highest
 *                              counter accepted, 32-byte key (zeros once revoked) (+ 4-byte tag);
 *                              a revoked key's record is reused by a later enrolment
 *   $lk.plast        5 bytes   highest companion key id issued (+ 4-byte tag): ids are never reused
 *   $lk.boot      <= 16 bytes  boot marker, only while a boot reads the store (./boot-guard.ts)
 *   $lk.lost         1 byte    a boot found the store lost or damaged (until a master code is set)
 *
 * Limits measured in the VM: a settings value travels in one Jacdac packet, so key + 1 + value
 * must stay within 232 bytes (a 13-character key leaves 218); a bigger one panics the VM. The
 * store lives in the fstor header pages: 16 KB on the ESP32 (256 KB partition), 8 KB in the VM
 * with its default 128 KB flash (the simulator gives the VM the ESP32's size).
 *
 * A missing or damaged value reads back as the SAFE choice: no device key -> a new one (every
 * digest made with the old one is erased); a chunk whose tag does not match -> empty slots (such
 * users never open); an unreadable failure counter -> one failure past the free allowance.
 */
import * as ds from "@devicescript/core"
import { settings } from "@devicescript/settings"
import { hmac, randomBuffer } from "@devicescript/crypto"
import { AUDIT_SEGMENTS, Bytes, DIGEST_LENGTH, NAME_CHUNKS, USER_CHUNKS } from "../core/index"

const KEY_SETTING = "$lk.key"
const META_SETTING = "$lk.meta"
const DEVICE_KEY_BYTES = 32
const TAG_BYTES = 4
/** Meta data: 20 bytes, then the store generation (u32); a 20-byte meta of older firmware reads as generation 0. */
const META_BYTES = 24
/** Counter record: u32 sequence number, u32 failures, u8 served (+ 4-byte tag). */
const COUNTER_BYTES = 9

/** Settings key of user chunk `i`, name chunk `i`, audit segment `i`. */
export function userKey(i: number) {
    return "$lk.u" + i
}
export function nameKey(i: number) {
    return "$lk.n" + i
}
export function auditKey(i: number) {
    return "$lk.a" + i
}

const GET = settings.spec.lookup("get").code
/** Longest wait for the settings service's answer to one GET, before asking again. */
const READ_WAIT_MS = 1000
/** Reads made to check a write before it counts as failed (a stale answer may come first). */
const VERIFY_READS = 3

/**
 * One GET of `key`: its value (empty when missing), or null when no answer came in time.
 * Like ds.actionReport, but an answer that arrives before this fiber suspends is kept (there
 * Fiber.resume would throw and the read would wait forever), and the wait has a timeout.
 */
async function getOnce(key: string, waitMs: number): Promise<Buffer> {
    const fib = ds.Fiber.self()
    let got: Buffer = null
    const unsub = settings.report().subscribe(pkt => {
        if (got !== null || pkt.serviceCommand !== GET) return
        const d = pkt.decode()
        if (d[0] !== key) return
        got = d[1] ? d[1] : Buffer.alloc(0)
        if (fib.suspended) fib.resume(null)
    })
    try {
        await settings.get(key)
        if (got === null) await ds.suspend(waitMs)
    } finally {
        unsub()
    }
    return got
}

/** Asked before each read while set (./boot-guard.ts); false: the key is not read (missing). */
let readGuard: (key: string) => Promise<boolean> = null

/** Sets (or clears, with null) the check made before each read. */
export function guardReads(guard: (key: string) => Promise<boolean>) {
    readGuard = guard
}

/** Reads a raw setting; null when missing or empty. Asks again until the settings service answers. */
export async function readRaw(key: string): Promise<Buffer> {
    if (readGuard && !(await readGuard(key))) return null
    let b: Buffer = null
    while (b === null) b = await getOnce(key, READ_WAIT_MS)
    return b.length > 0 ? b : null
}

function sameBytes(a: Buffer, b: Buffer): boolean {
    if (!a || !b || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
}

/**
 * Whether the settings store holds `value` under `key` (null: the key is missing). A settings
 * write is only a command to the settings service, which applies it (and syncs the flash) when it
 * gets to it; its answer to a later GET of the same key comes after that. Up to VERIFY_READS
 * reads: an answer to an earlier GET may arrive first.
 */
async function holds(key: string, value: Buffer): Promise<boolean> {
    for (let i = 0; i < VERIFY_READS; i++) {
        const b = await getOnce(key, READ_WAIT_MS)
        if (b === null) continue
        if (value === null ? b.length === 0 : sameBytes(b, value)) return true
    }
    return false
}

/**
 * Told of every write made through writeRaw/deleteRaw (./tamper.ts): `state` 0 before it is sent,
 * then 1 once it read back, 2 when it did not.
 */
let watcher: (key: string, value: Buffer, state: number) => void = null

/** Installs the one write watcher. */
export function watchWrites(w: (key: string, value: Buffer, state: number) => void) {
    watcher = w
}

/** Writes a raw setting and reads it back: true only once the store holds exactly `value`. */
export async function writeRaw(key: string, value: Buffer): Promise<boolean> {
    if (watcher) watcher(key, value, 0)
    await settings.set(key, value)
    const held = await holds(key, value)
    if (watcher) watcher(key, value, held ? 1 : 2)
    return held
}

/** Deletes a setting and checks that it is gone. */
export async function deleteRaw(key: string): Promise<boolean> {
    if (watcher) watcher(key, null, 0)
    await settings.delete(key)
    const held = await holds(key, null)
    if (watcher) watcher(key, null, held ? 1 : 2)
    return held
}

let deviceKey: Buffer

/** HMAC-SHA256 under the device key. */
export function mac(message: Buffer | string): Buffer {
    return hmac(deviceKey, "sha256", message)
}

function tagOf(kind: string, data: Buffer): Buffer {
    return mac(Buffer.concat(Buffer.from(kind), data)).slice(0, TAG_BYTES)
}

/** data ++ tag (an HMAC of `kind` ++ data under the device key, truncated to TAG_BYTES). */
export function sealed(kind: string, data: Buffer): Buffer {
    return Buffer.concat(data, tagOf(kind, data))
}

/** The data of a sealed value whose tag matches (compared in constant time), else null. */
export function unsealed(kind: string, value: Buffer, dataBytes: number): Buffer {
    if (!value || value.length !== dataBytes + TAG_BYTES) return null
    const data = value.slice(0, dataBytes)
    const tag = tagOf(kind, data)
    let d = 0
    for (let i = 0; i < TAG_BYTES; i++) d = d | (tag[i] ^ value[dataBytes + i])
    return d === 0 ? data : null
}

/** What $lk.meta holds. */
export interface Meta {
    mode: number
    /** Bit i: user chunk i may exist on flash (bits are only ever set, until a wipe). */
    userChunks: number
    nameChunks: number
    auditSegments: number
    /** Digest of the recovery code (DIGEST_LENGTH bytes), or null. */
    recovery: Buffer
    /**
     * Raised by every meta write: with each change of users, companions, mode or recovery code
     * (never by the failure counter). Sealed answers carry it (./remote.ts), so a companion
     * notices a store that mounted an older copy.
     */
    generation: number
}

let meta: Meta = { mode: 0, userChunks: 0, nameChunks: 0, auditSegments: 0, recovery: null, generation: 0 }
/** At boot: no valid device key, but the store held the lock's settings (a key or a meta). */
let keyLost = false
/** $lk.meta was missing or damaged at boot: every chunk must be read to find the data. */
let metaLost = false

export function currentMeta(): Meta {
    return meta
}

function parseMeta(d: Buffer, trusted: boolean): Meta {
    return {
        mode: trusted ? d[1] : 0,
        userChunks: d[2] | (d[3] << 8) | (d[4] << 16),
        nameChunks: d[5] | (d[6] << 8),
        auditSegments: d[7] | (d[8] << 8) | (d[9] << 16),
        recovery: trusted && d[10] === 1 ? d.slice(11, 11 + DIGEST_LENGTH) : null,
        generation: d.length >= META_BYTES ? d.getAt(20, "u32") : 0,
    }
}

/**
 * Loads the device key and $lk.meta. Resolves false when there is no valid device key: then
 * nothing on flash can be trusted and the caller must wipeAll() (which makes a new key).
 * A damaged meta still says which chunks may exist (to read or erase them); without any meta
 * the flash holds no chunk (every chunk is written after the meta bit that lists it).
 */
export async function loadKeyAndMeta(): Promise<boolean> {
    const key = await readRaw(KEY_SETTING)
    const known = !!key && key.length === DEVICE_KEY_BYTES
    if (known) deviceKey = key
    const raw = await readRaw(META_SETTING)
    // 20 data bytes: a meta of older firmware (generation 0)
    const data = known ? unsealed("M", raw, raw ? raw.length - TAG_BYTES : 0) : null
    metaLost = !data
    keyLost = !known && (!!key || !!raw)
    if (data && data[0] === 1) meta = parseMeta(data, true)
    else if (raw && raw.length >= 24 && raw[0] === 1) meta = parseMeta(raw, false)
    else if (raw) meta = { mode: 0, userChunks: (1 << 21) - 1, nameChunks: (1 << 13) - 1, auditSegments: (1 << 22) - 1, recovery: null, generation: 0 }
    else meta = { mode: 0, userChunks: 0, nameChunks: 0, auditSegments: 0, recovery: null, generation: 0 }
    return known
}

/**
 * The boot found no valid device key although the store held a damaged one or a meta: what the
 * lock had written was lost (a new lock has neither).
 */
export function keyWasLost(): boolean {
    return keyLost
}

/** $lk.meta was missing or damaged at boot (it is rewritten with the next change). */
export function metaWasLost(): boolean {
    return metaLost
}

/** The device key (after loadKeyAndMeta). */
export function currentDeviceKey(): Buffer {
    return deviceKey
}

/**
 * Writes $lk.meta with the next generation, past `seen` (a generation a companion saw before the
 * store went back; 0 for none); true once it reads back.
 */
export async function saveMeta(seen: number): Promise<boolean> {
    if (seen > meta.generation) meta.generation = seen
    const d = Buffer.alloc(META_BYTES)
    d.setAt(20, "u32", ++meta.generation)
    d[0] = 1
    d[1] = meta.mode
    d[2] = meta.userChunks & 255
    d[3] = (meta.userChunks >> 8) & 255
    d[4] = (meta.userChunks >> 16) & 255
    d[5] = meta.nameChunks & 255
    d[6] = (meta.nameChunks >> 8) & 255
    d[7] = meta.auditSegments & 255
    d[8] = (meta.auditSegments >> 8) & 255
    d[9] = (meta.auditSegments >> 16) & 255
    if (meta.recovery) {
        d[10] = 1
        for (let i = 0; i < DIGEST_LENGTH; i++) d[11 + i] = meta.recovery[i]
    }
    if (!(await writeRaw(META_SETTING, sealed("M", d)))) return false
    metaLost = false
    return true
}

export async function saveMode(mode: number): Promise<boolean> {
    meta.mode = mode
    return await saveMeta(0)
}

export async function saveRecovery(digest: Bytes): Promise<boolean> {
    meta.recovery = digest ? (digest as Buffer).slice(0, DIGEST_LENGTH) : null
    return await saveMeta(0)
}

/** Marks bit `bit` of a chunk bitmap (1 names, 2 audit) as present; meta written first. */
async function markPresent(field: number, bit: number): Promise<boolean> {
    const mask = 1 << bit
    const bits = field === 1 ? meta.nameChunks : meta.auditSegments
    if ((bits & mask) !== 0 && !metaLost) return true
    if (field === 1) meta.nameChunks = bits | mask
    else meta.auditSegments = bits | mask
    return await saveMeta(0)
}

/**
 * Reads every chunk of one table the meta lists (`bits`; `count` chunks under settings
 * `$lk.<letter><i>`, tagged "<LETTER><i>") and hands each to `load`; chunks with a bad tag or a
 * size `load` refuses stay empty (and are deleted from the store). Resolves with the number of
 * damaged chunks.
 */
async function loadChunks(count: number, bits: number, letter: string, load: (chunk: number, data: Buffer) => boolean): Promise<number> {
    let damaged = 0
    for (let i = 0; i < count; i++) {
        if ((bits & (1 << i)) === 0) continue
        const key = "$lk." + letter + i
        const raw = await readRaw(key)
        if (!raw) continue
        const data = unsealed(letter.toUpperCase() + i, raw, raw.length - TAG_BYTES)
        if (!data || !load(i, data)) {
            damaged++
            // its slots stay empty; the damaged value goes (the store's next collection copies no bad size)
            await deleteRaw(key)
        }
    }
    return damaged
}

/** Reads the user chunks into the table (loadChunks). */
export async function loadUserChunks(load: (chunk: number, data: Buffer) => boolean): Promise<number> {
    return await loadChunks(USER_CHUNKS, meta.userChunks, "u", load)
}

/** Reads the name chunks into the table (loadChunks). */
export async function loadNameChunks(load: (chunk: number, data: Buffer) => boolean): Promise<number> {
    return await loadChunks(NAME_CHUNKS, meta.nameChunks, "n", load)
}

function blank(b: Buffer): boolean {
    for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false
    return true
}

/**
 * Saves a user chunk (an all-empty chunk is deleted instead). Resolves true once the chunk (and
 * the meta bit that lists it) read back: only then may the lock say the change is kept.
 */
export async function saveUserChunk(chunk: number, data: Bytes): Promise<boolean> {
    // the meta first, always: it lists the chunk, and a user change raises the generation
    meta.userChunks = meta.userChunks | (1 << chunk)
    if (!(await saveMeta(0))) return false
    const b = data as Buffer
    if (blank(b)) return await deleteRaw(userKey(chunk))
    return await writeRaw(userKey(chunk), sealed("U" + chunk, b))
}

export async function saveNameChunk(chunk: number, data: Bytes): Promise<boolean> {
    if (!(await markPresent(1, chunk))) return false
    const b = data as Buffer
    if (blank(b)) return await deleteRaw(nameKey(chunk))
    return await writeRaw(nameKey(chunk), sealed("N" + chunk, b))
}

/** Saves an audit segment (its chain protects it: no tag); true once it reads back. */
export async function saveAuditSegment(index: number, seg: Bytes): Promise<boolean> {
    if (!(await markPresent(2, index))) return false
    return await writeRaw(auditKey(index), seg as Buffer)
}

/** Reads audit segment `index` if the meta lists it; null otherwise. */
export async function loadAuditSegment(index: number): Promise<Buffer> {
    if ((meta.auditSegments & (1 << index)) === 0) return null
    return await readRaw(auditKey(index))
}

/**
 * Erases everything the lock keeps and starts over with a new device key (factory reset, or a
 * lost device key). The device key goes first: should the power fail halfway, whatever is left
 * can no longer be verified, and the next boot (finding no key) wipes it all again. Only keys
 * that may exist are deleted (a delete costs flash space too).
 */
export async function wipeAll(): Promise<boolean> {
    // not read back one by one: the settings service applies commands in order, so the new
    // device key reading back (last) proves every delete before it was applied
    await settings.delete(KEY_SETTING)
    for (let i = 0; i < USER_CHUNKS; i++) if (meta.userChunks & (1 << i)) await settings.delete(userKey(i))
    for (let i = 0; i < NAME_CHUNKS; i++) if (meta.nameChunks & (1 << i)) await settings.delete(nameKey(i))
    for (let i = 0; i < AUDIT_SEGMENTS; i++) if (meta.auditSegments & (1 << i)) await settings.delete(auditKey(i))
    await settings.delete(counterKey(0))
    await settings.delete(counterKey(1))
    await settings.delete(META_SETTING)
    counterSeq = 0
    meta = { mode: 0, userChunks: 0, nameChunks: 0, auditSegments: 0, recovery: null, generation: 0 }
    metaLost = false
    deviceKey = randomBuffer(DEVICE_KEY_BYTES)
    return await writeRaw(KEY_SETTING, deviceKey)
}

/** The failure counter as persisted. */
export interface Counter {
    failures: number
    served: boolean
}

/** Settings key of counter record `i` (0 or 1). */
function counterKey(i: number) {
    return "$lk.c" + i
}

/** Sequence number of the newest counter record on flash (0: none yet). */
let counterSeq = 0

/** One counter record: its sequence number and value, or null when missing or damaged. */
async function loadCounterRecord(i: number): Promise<{ seq: number; c: Counter }> {
    const d = unsealed("C", await readRaw(counterKey(i)), COUNTER_BYTES)
    if (!d || d[8] > 1) return null
    const seq = d.getAt(0, "u32")
    // a record in the other slot's key is not one this firmware wrote
    if (seq === 0 || (seq & 1) !== i) return null
    return { seq: seq, c: { failures: d.getAt(4, "u32"), served: d[8] === 1 } }
}

/**
 * The failure counter: the newer of the two records that verify; null when neither does (the
 * caller picks the safe reading). Each write goes to the record the previous write did not use,
 * so a write torn by a power cut leaves the previous value whole in the other one.
 */
export async function loadCounter(): Promise<Counter> {
    const a = await loadCounterRecord(0)
    const b = await loadCounterRecord(1)
    const r = !a ? b : !b ? a : a.seq > b.seq ? a : b
    counterSeq = r ? r.seq : 0
    return r ? r.c : null
}

/**
 * Persists the failure counter (record seq+1, in the slot the newest record does not use) and
 * reads it back: resolves true only once the settings store holds exactly this record (a
 * settings write is a command to the settings service; the read-back is what proves it was
 * applied). False means the write did not take.
 */
export async function saveCounter(c: Counter): Promise<boolean> {
    const seq = counterSeq + 1
    const d = Buffer.alloc(COUNTER_BYTES)
    d.setAt(0, "u32", seq)
    d.setAt(4, "u32", c.failures)
    d[8] = c.served ? 1 : 0
    if (!(await writeRaw(counterKey(seq & 1), sealed("C", d)))) return false
    counterSeq = seq
    return true
}
