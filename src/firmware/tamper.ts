/**
 * The store watcher. The device key, the two failure counter records, the highest companion key
 * id issued and the companion records are read again about a second after each change the lock
 * makes to them and every few minutes, and compared with what the lock last wrote or found there.
 * A value that differs was written by someone else: on DeviceScript that is a bus peer's settings
 * SET or DELETE, which the runtime's settings service applies from any peer. The lock is then told
 * (core "storeTampered": audited, the StoreTampered alarm, companion commands refused until the
 * program button is pressed), and the new value becomes the expected one, so one foreign write
 * raises one alarm.
 *
 * Companion records are read up to the first missing one, as the lock reads them at power-on:
 * a record past that gap is never read (it is not loaded either, and an unread key cannot stop
 * the VM the way a torn one can: ./boot-guard.ts), and counts as missing; a check after the gap is
 * filled reads it, and one found there then is a change. Each read is a settings GET, and the
 * runtime sends at most one packet per 20 ms after a burst of five: a check with one companion
 * costs about 0.1 s, during which the lock's queue waits.
 *
 * A check never starts while a write of the lock's own to these settings is under way, and one
 * that such a write overlapped is dropped and run again later (its reads could be half before,
 * half after the write).
 */
import * as ds from "@devicescript/core"
import { COMPANION_RECORDS } from "../core/index"
import { readRaw, watchWrites } from "./store"

/** How often the settings are read again when the lock changes nothing. */
const CHECK_MS = 3 * 60 * 1000
/**
 * How long after the lock's change the check waits: the answer to a command (and whatever the
 * peer asks right after) goes out first, and changes in a burst (one audit read is 23 commands)
 * are checked once.
 */
const SETTLE_MS = 1000
/** The watched settings before the companion records: ./store.ts's key and counter records, ./remote.ts's last key id. */
const FIXED = "$lk.key $lk.c0 $lk.c1 $lk.plast".split(" ")
const FIXED_COUNT = 4
const WATCHED_COUNT = FIXED_COUNT + COMPANION_RECORDS

/** Watched setting `i`: FIXED, then $lk.p0 .. */
function watched(i: number): string {
    return i < FIXED_COUNT ? FIXED[i] : "$lk.p" + (i - FIXED_COUNT)
}

/** What each watched setting should hold (an empty buffer: missing); null: not known yet. */
let expected: Buffer[]
/** Writes of the lock's own to watched settings under way, and begun since power-on. */
let writing = 0
let writes = 0
/** When a change of the lock's own calls for a check (0: none); when the last check ran (-1: none yet). */
let changedAt = 0
let lastCheck = -1

/** Whether two values are the same, in a time that does not depend on where they differ (the key is one). */
function same(a: Buffer, b: Buffer): boolean {
    let d = a.length ^ b.length
    for (let i = 0; i < a.length && i < b.length; i++) d = d | (a[i] ^ b[i])
    return d === 0
}

forgetStore()
watchWrites((key: string, value: Buffer, state: number) => {
    let i = WATCHED_COUNT - 1
    while (i >= 0 && watched(i) !== key) i--
    if (i < 0) return
    if (state === 0) {
        writing++
        writes++
        return
    }
    writing--
    // a write that did not read back leaves the store holding something else: read it next
    expected[i] = state === 1 ? (value ? value : Buffer.alloc(0)) : null
    if (changedAt === 0) changedAt = ds.millis()
})

/** Whether a check should run at `now` (none of the lock's own writes is under way). */
export function storeCheckDue(now: number): boolean {
    return writing === 0 && (lastCheck < 0 || now - lastCheck >= CHECK_MS || (changedAt > 0 && now - changedAt >= SETTLE_MS))
}

/**
 * Reads the watched settings and compares each with what it should hold; calls
 * `tampered(names)` when some changed without the lock. Values not known yet (power-on, after a
 * factory reset) are taken as they are.
 */
export async function checkStore(now: number, tampered: (names: string[]) => void) {
    const start = writes
    const seen: Buffer[] = []
    for (let i = 0; i < WATCHED_COUNT; i++) {
        const v = await readRaw(watched(i))
        // one of the lock's own writes overlapped: this check proves nothing, the next one will
        if (writes !== start || writing > 0) return
        seen.push(v ? v : Buffer.alloc(0))
        // the lock reads companion records up to the first missing one (at power-on too)
        if (i >= FIXED_COUNT && !v) break
    }
    const changed: string[] = []
    for (let i = 0; i < WATCHED_COUNT; i++) {
        // past the first missing record: missing, unless the lock wrote it (read once the gap is filled)
        const v = i < seen.length ? seen[i] : expected[i] ? expected[i] : Buffer.alloc(0)
        if (expected[i] && !same(expected[i], v)) changed.push(watched(i))
        expected[i] = v
    }
    changedAt = 0
    lastCheck = now
    if (changed.length > 0) tampered(changed)
}

/** The lock erased its store itself (factory reset): what is there now is taken at the next check. */
export function forgetStore() {
    expected = []
    for (let i = 0; i < WATCHED_COUNT; i++) expected.push(null)
    lastCheck = -1
}
