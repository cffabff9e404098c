/**
 * Boot-time care of the settings store, against what a power cut in the middle of a settings
 * write can leave (DeviceScript's store keeps no checksum on its entries):
 *
 * - A corrupted size field makes the settings service abort the whole VM when that key is read.
 *   A boot marker ($lk.boot) is written before the boot reads anything and deleted once they are
 *   all done. Found at the next boot, it means the last boot crashed while reading: this boot
 *   then writes the name of each key into the marker before reading it, and a key named there
 *   at boot is read once more (a power cut during a boot is no crash), and deleted (a delete
 *   never reads the value) when it stops that boot too. So a torn key costs at most three crashed
 *   boots and is then gone (read as missing: the safe reading), never a boot loop.
 *   Deleting it also keeps the store's next garbage collection away from its bad size.
 * - A store that formatted itself with its second header copy live formats again at every boot
 *   (taking the program with it) until enough is written to make the store collect its garbage
 *   into the other copy. When the lock finds no device key (a new or a lost store) it forces that
 *   collection at once (compactStore), so the next boot mounts a good copy.
 * - What the boot found lost is reported (./lock.ts): alarm StoreLost, the new log's first entry,
 *   the store_lost register; the mark ($lk.lost) stays until a master code is set again.
 */
import { settings } from "@devicescript/settings"
import { deleteRaw, guardReads, readRaw, writeRaw } from "./store"

const MARKER = "$lk.boot"
const LOST = "$lk.lost"
/** Marker value while the boot reads normally. */
const READING = "*"
/** Filler written to force a store garbage collection. */
const FILL = "$lk.fill"
/** Bytes of each filler value (one Jacdac packet carries at most 218 with a 13-character key). */
const FILL_BYTES = 200
/**
 * Filler writes: more than one header copy can hold (16 KB on the ESP32 and in the simulator,
 * each write taking its 8-byte aligned value plus a 24-byte entry), so the store must collect.
 */
const FILL_WRITES = 80

let careful = false
let skipped: string = null
let lostMark = false

/**
 * Starts guarding the boot's reads. Resolves with the key a crashed boot was reading (now
 * deleted, never read again), or null.
 */
export async function startBootGuard(): Promise<string> {
    const m = await readRaw(MARKER)
    lostMark = !!(await readRaw(LOST))
    // the marker: "*" (reading), or "KEY/1", "KEY/2" (reading KEY, the first or second time)
    let again: string = null
    if (m) {
        careful = true
        const s = m.toString()
        const name = s.slice(0, s.length - 2)
        if (s !== READING && s.charAt(s.length - 1) === "2") {
            skipped = name
            console.log(`lock: boot guard: ${name} stopped two boots: deleted unread`)
            await deleteRaw(name)
        } else if (s !== READING) {
            again = name
            console.log(`lock: boot guard: the last boot stopped reading ${name}: reading it once more`)
        } else console.log("lock: boot guard: the last boot stopped while reading the store: reading key by key")
    }
    if (!careful) await writeRaw(MARKER, Buffer.from(READING))
    guardReads(async key => {
        if (key === skipped) return false
        if (careful) await writeRaw(MARKER, Buffer.from(key + (key === again ? "/2" : "/1")))
        return true
    })
    return skipped
}

/** Every boot read is done: the marker goes (the next boot reads normally). */
export async function endBootGuard() {
    guardReads(null)
    await deleteRaw(MARKER)
}

/** Marks the store as lost (kept across restarts until a master code is set again). */
export async function markStoreLost() {
    lostMark = true
    await writeRaw(LOST, Buffer.from([1]))
}

/** Whether a loss is marked and not yet followed by a new master code. */
export function storeLostMarked(): boolean {
    return lostMark
}

/** A master code was set: the loss mark goes. */
export async function clearStoreLost() {
    if (!lostMark) return
    if (await deleteRaw(LOST)) lostMark = false
}

/**
 * Makes the settings store collect its garbage into its other header copy, by writing more
 * filler than one copy holds, then deletes the filler. Resolves true once the last write reads
 * back. Costs about 16 KB of flash writes; done only when the lock finds no device key.
 */
export async function compactStore(): Promise<boolean> {
    const v = Buffer.alloc(FILL_BYTES)
    for (let i = 0; i < FILL_WRITES; i++) {
        // a value equal to the stored one is not written again: each differs
        v[0] = i
        // commands are applied in order; a read-back now and then keeps the queue short
        if ((i & 7) === 7) {
            if (!(await writeRaw(FILL, v))) return false
        } else await settings.set(FILL, v)
    }
    return await deleteRaw(FILL)
}
