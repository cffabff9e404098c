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

/** A copy of a setting's value, or undefined. */
export function fstorValue(image: Uint8Array, key: string, flashBytes?: number): Uint8Array | undefined {
    const v = readFstor(image, flashBytes).values.get(key)
    return v ? image.slice(v.offset, v.offset + v.size) : undefined
}
