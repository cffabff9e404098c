/**
 * A lock file beside the key file, so that two `latchkey` runs at once take turns at reading,
 * changing and writing it (two runs must never seal with the same counter).
 *
 * The lock is a file made with O_CREAT|O_EXCL|O_NOFOLLOW holding its owner's pid, host, time and a
 * random token. It is held for one read-change-write of the key file (milliseconds). A lock is
 * stale when its process is gone (same host) or it is older than STALE_MS: it is then moved aside
 * under a name of our own and removed only if it is still the lock judged stale (a lock taken
 * meanwhile by another run is put back).
 */
import { randomBytes } from "node:crypto"
import { closeSync, constants, linkSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, fsyncSync } from "node:fs"
import { hostname } from "node:os"

/** A lock older than this is stale whoever holds it: a holder keeps it for one file write. */
export const STALE_MS = 30_000
/** How long a run waits for another run's lock before giving up. */
export const LOCK_WAIT_MS = 10_000
const RETRY_MS = 15

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0

interface Holder {
    pid: number
    host: string
    time: number
    token: string
}

/** Another run held the lock for longer than LOCK_WAIT_MS. */
export class LockBusy extends Error {
    constructor(
        readonly lockPath: string,
        holder: Holder | null,
    ) {
        super(
            `${lockPath} is held by ${holder ? `process ${holder.pid} on ${holder.host}` : "another latchkey run"}: ` +
                `another latchkey run is using the key file; try again (remove ${lockPath} only if no latchkey runs)`,
        )
        this.name = "LockBusy"
    }
}

function sleepSync(ms: number) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function errno(e: unknown): string | undefined {
    return (e as NodeJS.ErrnoException).code
}

/** The holder written in a lock file; null while it is being written, or when it is gone. */
function readHolder(path: string): Holder | null {
    try {
        const h = JSON.parse(readFileSync(path, "utf8"))
        if (typeof h.pid === "number" && typeof h.host === "string" && typeof h.time === "number" && typeof h.token === "string") return h
        return null
    } catch {
        return null
    }
}

/** When the file at `path` was last changed (ms); now when it is gone. */
function modifiedAt(path: string): number {
    try {
        return lstatSync(path).mtimeMs
    } catch {
        return Date.now()
    }
}

function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0)
        return true
    } catch (e) {
        // EPERM: it exists, under another user
        return errno(e) === "EPERM"
    }
}

function isStale(h: Holder, now: number): boolean {
    if (now - h.time > STALE_MS) return true
    return h.host === hostname() && !processAlive(h.pid)
}

/**
 * Removes the stale lock whose token is `judged` (null: a lock file nobody could read), as read
 * from `path` a moment ago. Moves the lock file aside first (atomic), so that exactly the lock
 * judged stale is removed: should another run have replaced it in between, its lock is linked
 * back (link never overwrites).
 */
function breakStale(path: string, judged: string | null) {
    const aside = `${path}.${randomBytes(6).toString("hex")}.stale`
    try {
        renameSync(path, aside)
    } catch (e) {
        if (errno(e) === "ENOENT") return // another run removed it first
        throw e
    }
    if ((readHolder(aside)?.token ?? null) !== judged)
        try {
            linkSync(aside, path)
        } catch (e) {
            if (errno(e) !== "EEXIST") throw e
        }
    unlinkSync(aside)
}

/** A held lock: release() it when done (in a finally). */
export interface HeldLock {
    release(): void
}

/** Takes the lock file `path`, waiting up to LOCK_WAIT_MS for another run to release it. */
export function takeLock(path: string, waitMs = LOCK_WAIT_MS): HeldLock {
    const me: Holder = { pid: process.pid, host: hostname(), time: 0, token: randomBytes(12).toString("hex") }
    const deadline = Date.now() + waitMs
    for (;;) {
        me.time = Date.now()
        let fd: number | undefined
        try {
            fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o600)
        } catch (e) {
            if (errno(e) !== "EEXIST") throw e
        }
        if (fd !== undefined) {
            try {
                writeSync(fd, JSON.stringify(me))
                fsyncSync(fd)
            } catch (e) {
                closeSync(fd)
                unlinkSync(path)
                throw e
            }
            closeSync(fd)
            return { release: () => release(path, me.token) }
        }
        const holder = readHolder(path)
        const now = Date.now()
        // unreadable: being written this instant, or left empty by a run killed at that moment
        const stale = holder ? isStale(holder, now) : now - modifiedAt(path) > STALE_MS
        if (stale) {
            breakStale(path, holder ? holder.token : null)
            continue
        }
        if (now >= deadline) throw new LockBusy(path, holder)
        sleepSync(RETRY_MS + Math.floor(Math.random() * RETRY_MS))
    }
}

/** Removes the lock file if it is still ours (a lock broken as stale may now be another run's). */
function release(path: string, token: string) {
    const h = readHolder(path)
    if (h === null || h.token !== token) return
    try {
        unlinkSync(path)
    } catch (e) {
        if (errno(e) !== "ENOENT") throw e
    }
}
