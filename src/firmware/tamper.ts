/**
 * The store watcher. The device key, the two failure counter records, the highest companion key
 * id issued and the companion records are read again after every change the lock makes to them
 * and every few minutes, and compared (as digests) with what the lock last wrote or found there.
 * A value that differs was written by someone else: on DeviceScript that is a bus peer's settings
 * SET or DELETE, which the runtime's settings service applies from any peer. The lock is then told
 * (core "storeTampered": audited, the StoreTampered alarm, companion commands refused until the
 * program button is pressed), and the new value becomes the expected one, so one foreign write
 * raises one alarm.
 *
 * A check after a change (about a second after it) reads the key, the counter records, the last
 * key id and the companion records up to the first missing one (the records the lock loads at
 * power-on: it stops at the first gap); the full check, at power-on and every few minutes, reads
 * all of them. Each read is a settings GET, and the runtime sends at most one packet per 20 ms
 * after a burst of five: a check after a change with one companion costs about 0.1 s, a full one
 * about 0.3 s, during which the lock's queue waits.
 *
 * A check never starts while a write of the lock's own to these settings is under way, and one
 * that such a write overlapped is dropped and run again later (its reads could be half before,
 * half after the write).
 */
import * as ds from "@devicescript/core"
import { digest } from "@devicescript/crypto"
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

/**
 * The watched settings: ./store.ts names the key and the counter records, ./remote.ts the highest
 * companion key id issued and the companion records ($lk.p0 ..).
 */
const WATCHED: string[] = ["$lk.key", "$lk.c0", "$lk.c1", "$lk.plast"]
/** Index of $lk.p0 in WATCHED. */
const FIRST_COMPANION = WATCHED.length
for (let i = 0; i < COMPANION_RECORDS; i++) WATCHED.push("$lk.p" + i)

/** Digest of what each watched setting should hold (missing reads as empty); null: not known yet. */
const expected: Buffer[] = []
for (let i = 0; i < WATCHED.length; i++) expected.push(null)
/** Writes of the lock's own to watched settings under way, and begun since power-on. */
let writing = 0
let writes = 0
/** A check is due from dueAt on (the lock changed a watched setting); a full one (power-on, factory reset). */
let due = false
let dueAt = 0
let fullDue = true
let lastFull = 0

function fingerprint(value: Buffer): Buffer {
    return digest("sha256", value ? value : Buffer.alloc(0))
}

function same(a: Buffer, b: Buffer): boolean {
    let d = a.length ^ b.length
    for (let i = 0; i < a.length && i < b.length; i++) d = d | (a[i] ^ b[i])
    return d === 0
}

watchWrites({
    begin: (key: string) => {
        if (WATCHED.indexOf(key) < 0) return
        writing++
        writes++
    },
    end: (key: string, value: Buffer, held: boolean) => {
        const i = WATCHED.indexOf(key)
        if (i < 0) return
        writing--
        // a write that did not read back leaves the store holding something else: read it next
        expected[i] = held ? fingerprint(value) : null
        if (!due) dueAt = ds.millis() + SETTLE_MS
        due = true
    },
})

function fullCheckDue(now: number): boolean {
    return fullDue || now - lastFull >= CHECK_MS
}

/** Whether a check should run at `now` (none of the lock's own writes is under way). */
export function storeCheckDue(now: number): boolean {
    return writing === 0 && ((due && now >= dueAt) || fullCheckDue(now))
}

/**
 * Reads the watched settings (all of them when a full check is due) and compares each with what
 * it should hold; calls `tampered(names)` when some changed without the lock. Values not known
 * yet (power-on, after a factory reset) are taken as they are.
 */
export async function checkStore(now: number, tampered: (names: string[]) => void) {
    const full = fullCheckDue(now)
    const start = writes
    const seen: Buffer[] = []
    for (let i = 0; i < WATCHED.length; i++) {
        const v = await readRaw(WATCHED[i])
        // one of the lock's own writes overlapped: this check proves nothing, the next one will
        if (writes !== start || writing > 0) return
        seen.push(fingerprint(v))
        // the lock loads companion records up to the first missing one: the rest wait for a full check
        if (!full && i >= FIRST_COMPANION && !v) break
    }
    const changed: string[] = []
    for (let i = 0; i < seen.length; i++) {
        if (expected[i] && !same(expected[i], seen[i])) changed.push(WATCHED[i])
        expected[i] = seen[i]
    }
    due = false
    if (full) {
        fullDue = false
        lastFull = now
    }
    if (changed.length > 0) tampered(changed)
}

/** The lock erased its store itself (factory reset): what is there now is taken at the next check. */
export function forgetStore() {
    for (let i = 0; i < WATCHED.length; i++) expected[i] = null
    due = true
    fullDue = true
}
