/**
 * Reads the settings store ("fstor", jacdac-c source/jd_fstor.c) inside a simulated board's
 * flash image: which settings exist, their values, where those bytes are (to alter them, as an
 * attacker with the flash chip would), and how much of the store they use. Host side only; the
 * firmware never sees this code.
 *
 * Layout: two header areas of `headerPages` 4 KB pages each at the start of the flash (the live
 * one has the higher generation). An area is a 24-byte header, then 24-byte entries growing up
 * (key[16], data offset u32, size u32), while values grow down from the end of the area, each
 * 8-byte aligned. A key written again gets a new entry; the newest entry of a key wins; a size
 * of 0 is a deletion. Settings written through the settings service carry a ":" before the key.
 */
const MAGIC0 = 0x52545346
const MAGIC1 = 0x6becea0a
const PAGE = 4096
const HEADER_BYTES = 24
const ENTRY_BYTES = 24

export interface FstorValue {
    /** The key as the firmware names it (without the settings service's ":" prefix). */
    key: string
    /** Offset of the value in the flash image. */
    offset: number
    size: number
}

export interface FstorView {
    generation: number
    /** Bytes of one header area (where settings live). */
    areaBytes: number
    /** Live settings (newest entry of each key, deletions left out), by key. */
    values: Map<string, FstorValue>
    /** Bytes the live settings take: one entry each plus their 8-byte aligned values. */
    liveBytes: number
    /** Bytes used so far in the area, dead copies included (reclaimed by the store's GC). */
    usedBytes: number
    /** What the store itself reports as free ("fstor: mounted; N free"). */
    freeBytes: number
}

function u32(b: Uint8Array, o: number): number {
    return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
}

const align8 = (n: number) => (n === 0 ? 8 : (n + 7) & ~7)

/** Parses the live header area of a flash image; throws if there is none. */
export function readFstor(image: Uint8Array, flashBytes = 256 * 1024): FstorView {
    const headerPages = Math.max(1, Math.min(0xf0, Math.floor(flashBytes / PAGE / 16)))
    const areaBytes = headerPages * PAGE
    let best = -1
    let generation = -1
    for (const base of [0, areaBytes]) {
        if (base + HEADER_BYTES > image.length) continue
        if (u32(image, base) !== MAGIC0 || u32(image, base + 4) !== MAGIC1) continue
        // the store formats itself again when made for another flash size (jd_fstor.c is_valid_header)
        const pages = image[base + 16] | (image[base + 17] << 8)
        const header = image[base + 18] | (image[base + 19] << 8)
        if (pages !== flashBytes / PAGE || header !== headerPages) continue
        const gen = u32(image, base + 8)
        if (gen > generation) {
            generation = gen
            best = base
        }
    }
    if (best < 0) throw new Error("no settings store in this flash image")
    const values = new Map<string, FstorValue>()
    let e = best + HEADER_BYTES
    let lowest = best + areaBytes
    let entries = 0
    while (e + ENTRY_BYTES <= best + areaBytes && u32(image, e + 16) !== 0xffffffff) {
        let key = ""
        for (let i = 0; i < 16 && image[e + i] !== 0; i++) key += String.fromCharCode(image[e + i])
        const offset = u32(image, e + 16)
        const size = u32(image, e + 20)
        if (key.startsWith(":")) key = key.slice(1)
        if (size === 0) values.delete(key)
        else values.set(key, { key, offset, size })
        if (!key.startsWith("*") && offset < lowest) lowest = offset
        entries++
        e += ENTRY_BYTES
    }
    let liveBytes = 0
    for (const v of values.values()) if (!v.key.startsWith("*")) liveBytes += ENTRY_BYTES + align8(v.size)
    const usedBytes = HEADER_BYTES + entries * ENTRY_BYTES + (best + areaBytes - lowest)
    const freeBytes = Math.max(0, lowest - (best + HEADER_BYTES + entries * ENTRY_BYTES) - ENTRY_BYTES)
    return { generation, areaBytes, values, liveBytes, usedBytes, freeBytes }
}

/** One entry of the live header area, where it lies in the image. */
export interface FstorEntry {
    key: string
    /** Offset of the 24-byte entry in the image. */
    entryAt: number
    offset: number
    size: number
}

/**
 * The entries of the live header area in the order written (deletions and older copies
 * included), and which copy is live: 0 (the first header area) or 1 (the second).
 */
export function fstorEntries(image: Uint8Array, flashBytes = 256 * 1024): { copy: number; entries: FstorEntry[] } {
    const view = readFstor(image, flashBytes)
    const copy = u32(image, 0) === MAGIC0 && u32(image, 8) === view.generation ? 0 : 1
    const entries: FstorEntry[] = []
    for (let e = copy * view.areaBytes + HEADER_BYTES; u32(image, e + 16) !== 0xffffffff; e += ENTRY_BYTES) {
        let key = ""
        for (let i = 0; i < 16 && image[e + i] !== 0; i++) key += String.fromCharCode(image[e + i])
        entries.push({ key: key.startsWith(":") ? key.slice(1) : key, entryAt: e, offset: u32(image, e + 16), size: u32(image, e + 20) })
    }
    return { copy, entries }
}

/** A copy of a setting's value, or undefined. */
export function fstorValue(image: Uint8Array, key: string, flashBytes?: number): Uint8Array | undefined {
    const v = readFstor(image, flashBytes).values.get(key)
    return v ? image.slice(v.offset, v.offset + v.size) : undefined
}

/**
 * Appends a setting to the live header area of a flash image, as the settings service would
 * (jd_settings_set_bin, without its garbage collection): the value below the lowest value, a new
 * entry after the last one. Used to prepare flash images (e.g. a full lock for a benchmark).
 * Throws when the area has no room left.
 */
export function writeFstorValue(image: Uint8Array, key: string, value: Uint8Array, flashBytes = 256 * 1024) {
    const headerPages = Math.max(1, Math.min(0xf0, Math.floor(flashBytes / PAGE / 16)))
    const areaBytes = headerPages * PAGE
    const view = readFstor(image, flashBytes)
    let base = -1
    for (const b of [0, areaBytes]) if (u32(image, b) === MAGIC0 && u32(image, b + 8) === view.generation) base = b
    let e = base + HEADER_BYTES
    let lowest = base + areaBytes
    while (u32(image, e + 16) !== 0xffffffff) {
        let k = ""
        for (let i = 0; i < 16 && image[e + i] !== 0; i++) k += String.fromCharCode(image[e + i])
        const offset = u32(image, e + 16)
        if (!k.startsWith("*") && offset < lowest) lowest = offset
        e += ENTRY_BYTES
    }
    const dataAt = lowest - align8(value.length)
    if (dataAt < e + 2 * ENTRY_BYTES) throw new Error(`no room for ${key} (${value.length} bytes) in the settings store`)
    image.set(value, dataAt)
    const entry = new Uint8Array(ENTRY_BYTES)
    const name = ":" + key
    if (name.length > 15) throw new Error(`key too long: ${key}`)
    for (let i = 0; i < name.length; i++) entry[i] = name.charCodeAt(i)
    new DataView(entry.buffer).setUint32(16, dataAt, true)
    new DataView(entry.buffer).setUint32(20, value.length, true)
    image.set(entry, e)
}

/** Whether `image` holds a settings store the VM will mount as is (else it formats it). */
export function hasFstor(image: Uint8Array, flashBytes = 256 * 1024): boolean {
    try {
        readFstor(image, flashBytes)
        return true
    } catch {
        return false
    }
}
