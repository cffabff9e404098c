/**
 * What the lock keeps in flash, through DeviceScript settings, as raw binary values (JSON would
 * double every byte as hex). Keys start with `$` (settings the bus may not read back) and are at
 * most 13 characters. No code is ever stored: only truncated HMAC-SHA256 digests.
 *
 *   $lk.key         32 bytes   device key (random; HMAC key for codes, tags and the audit chain)
 *   $lk.count        8 bytes   failure counter: u32 failures, u8 served, "LK", u8 check
 *   $lk.meta        24 bytes   mode, which chunks exist, recovery digest (+ 4-byte tag)
 *   $lk.u0..u20    208 bytes   user records, 12 per chunk (+ 4-byte tag)
 *   $lk.n0..n12    204 bytes   user names, 20 per chunk (+ 4-byte tag), only once a name is set
 *   $lk.a0..a21    196 bytes   audit segments (./auditlog.ts; the hash chain protects them)
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
const COUNTER_SETTING = "$lk.count"
const META_SETTING = "$lk.meta"
const DEVICE_KEY_BYTES = 32
const TAG_BYTES = 4
const META_BYTES = 20

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

/** Reads a raw setting; null when missing or empty. */
export async function readRaw(key: string): Promise<Buffer> {
    const pkt = await ds.actionReport(
        settings,
        "get",
        async () => await settings.get(key),
        p => p.decode()[0] === key
    )
    const b: Buffer = pkt.decode()[1]
    return b && b.length > 0 ? b : null
}

export async function writeRaw(key: string, value: Buffer) {
    await settings.set(key, value)
}

export async function deleteRaw(key: string) {
    await settings.delete(key)
}

let deviceKey: Buffer

/** HMAC-SHA256 under the device key. */
export function mac(message: Buffer | string): Buffer {
    return hmac(deviceKey, "sha256", message)
}

function tagOf(kind: string, data: Buffer): Buffer {
    return mac(Buffer.concat(Buffer.from(kind), data)).slice(0, TAG_BYTES)
}

/** data ++ tag. */
function sealed(kind: string, data: Buffer): Buffer {
    return Buffer.concat(data, tagOf(kind, data))
}

/** The data of a sealed value whose tag matches (compared in constant time), else null. */
function unsealed(kind: string, value: Buffer, dataBytes: number): Buffer {
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
}

let meta: Meta = { mode: 0, userChunks: 0, nameChunks: 0, auditSegments: 0, recovery: null }
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
    const data = known ? unsealed("M", raw, META_BYTES) : null
    metaLost = !data
    if (data && data[0] === 1) meta = parseMeta(data, true)
    else if (raw && raw.length === META_BYTES + TAG_BYTES && raw[0] === 1) meta = parseMeta(raw, false)
    else if (raw) meta = { mode: 0, userChunks: (1 << 21) - 1, nameChunks: (1 << 13) - 1, auditSegments: (1 << 22) - 1, recovery: null }
    else meta = { mode: 0, userChunks: 0, nameChunks: 0, auditSegments: 0, recovery: null }
    return known
}

/** $lk.meta was missing or damaged at boot (it is rewritten with the next change). */
export function metaWasLost(): boolean {
    return metaLost
}

/** The device key (after loadKeyAndMeta). */
export function currentDeviceKey(): Buffer {
    return deviceKey
}

export async function saveMeta() {
    const d = Buffer.alloc(META_BYTES)
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
    await writeRaw(META_SETTING, sealed("M", d))
    metaLost = false
}

export async function saveMode(mode: number) {
    meta.mode = mode
    await saveMeta()
}

export async function saveRecovery(digest: Bytes) {
    meta.recovery = digest ? (digest as Buffer).slice(0, DIGEST_LENGTH) : null
    await saveMeta()
}

/** Marks bit `bit` of a chunk bitmap (0 users, 1 names, 2 audit) as present; meta written first. */
async function markPresent(field: number, bit: number) {
    const mask = 1 << bit
    const bits = field === 0 ? meta.userChunks : field === 1 ? meta.nameChunks : meta.auditSegments
    if ((bits & mask) !== 0 && !metaLost) return
    if (field === 0) meta.userChunks = bits | mask
    else if (field === 1) meta.nameChunks = bits | mask
    else meta.auditSegments = bits | mask
    await saveMeta()
}

/**
 * Reads every user chunk the meta lists into `table`; chunks with a bad tag or size stay empty.
 * Resolves with the number of damaged chunks.
 */
export async function loadUserChunks(load: (chunk: number, data: Buffer) => boolean): Promise<number> {
    let damaged = 0
    for (let i = 0; i < USER_CHUNKS; i++) {
        if ((meta.userChunks & (1 << i)) === 0) continue
        const raw = await readRaw(userKey(i))
        if (!raw) continue
        const data = unsealed("U" + i, raw, raw.length - TAG_BYTES)
        if (!data || !load(i, data)) damaged++
    }
    return damaged
}

export async function loadNameChunks(load: (chunk: number, data: Buffer) => boolean): Promise<number> {
    let damaged = 0
    for (let i = 0; i < NAME_CHUNKS; i++) {
        if ((meta.nameChunks & (1 << i)) === 0) continue
        const raw = await readRaw(nameKey(i))
        if (!raw) continue
        const data = unsealed("N" + i, raw, raw.length - TAG_BYTES)
        if (!data || !load(i, data)) damaged++
    }
    return damaged
}

function blank(b: Buffer): boolean {
    for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false
    return true
}

/** Saves a user chunk (an all-empty chunk is deleted instead). */
export async function saveUserChunk(chunk: number, data: Bytes) {
    await markPresent(0, chunk)
    const b = data as Buffer
    if (blank(b)) await deleteRaw(userKey(chunk))
    else await writeRaw(userKey(chunk), sealed("U" + chunk, b))
}

export async function saveNameChunk(chunk: number, data: Bytes) {
    await markPresent(1, chunk)
    const b = data as Buffer
    if (blank(b)) await deleteRaw(nameKey(chunk))
    else await writeRaw(nameKey(chunk), sealed("N" + chunk, b))
}

/** Saves an audit segment (its chain protects it: no tag). */
export async function saveAuditSegment(index: number, seg: Bytes) {
    await markPresent(2, index)
    await writeRaw(auditKey(index), seg as Buffer)
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
export async function wipeAll() {
    await deleteRaw(KEY_SETTING)
    for (let i = 0; i < USER_CHUNKS; i++) if (meta.userChunks & (1 << i)) await deleteRaw(userKey(i))
    for (let i = 0; i < NAME_CHUNKS; i++) if (meta.nameChunks & (1 << i)) await deleteRaw(nameKey(i))
    for (let i = 0; i < AUDIT_SEGMENTS; i++) if (meta.auditSegments & (1 << i)) await deleteRaw(auditKey(i))
    await deleteRaw(COUNTER_SETTING)
    await deleteRaw(META_SETTING)
    meta = { mode: 0, userChunks: 0, nameChunks: 0, auditSegments: 0, recovery: null }
    metaLost = false
    deviceKey = randomBuffer(DEVICE_KEY_BYTES)
    await writeRaw(KEY_SETTING, deviceKey)
}

/** The failure counter as persisted. */
export interface Counter {
    failures: number
    served: boolean
}

/** The failure counter; null when it is missing or damaged (the caller picks the safe reading). */
export async function loadCounter(): Promise<Counter> {
    const b = await readRaw(COUNTER_SETTING)
    if (!b || b.length !== 8 || b[5] !== 0x4c || b[6] !== 0x4b) return null
    if (((b[0] ^ b[1] ^ b[2] ^ b[3] ^ b[4]) & 255) !== b[7]) return null
    if (b[4] > 1) return null
    return { failures: b.getAt(0, "u32"), served: b[4] === 1 }
}

/**
 * Persists the failure counter and reads it back: resolves true only once the settings store
 * holds exactly this value (a settings write is a command to the settings service; the read-back
 * is what proves it was applied). False means the write did not take.
 */
export async function saveCounter(c: Counter): Promise<boolean> {
    const b = Buffer.alloc(8)
    b.setAt(0, "u32", c.failures)
    b[4] = c.served ? 1 : 0
    b[5] = 0x4c
    b[6] = 0x4b
    b[7] = (b[0] ^ b[1] ^ b[2] ^ b[3] ^ b[4]) & 255
    await writeRaw(COUNTER_SETTING, b)
    const back = await loadCounter()
    return !!back && back.failures === c.failures && back.served === c.served
}
