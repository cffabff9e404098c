/**
 * The companion's key file: the key this computer holds for each lock it is enrolled with, and the
 * last counter it used with it; and per lock, the highest store generation it saw and the changes
 * it made that a store gone back in time would undo (./rollback.ts). Only its owner may read or
 * change it:
 *
 * - the file and its folder must not be symbolic links, must belong to the user running the CLI,
 *   and must not be writable by anyone else (the file not readable by anyone else either);
 *   otherwise every use is refused with the path and the fix, and nothing is written;
 * - a change is written to a new temporary file (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), synced,
 *   then renamed over the key file (and the folder synced): a crash leaves the old file or the new;
 * - every change is made under a lock file (./file-lock.ts): two CLI runs at once never take the
 *   same counter.
 */
import { randomBytes } from "node:crypto"
import {
    closeSync,
    constants,
    fchmodSync,
    fstatSync,
    fsyncSync,
    lstatSync,
    mkdirSync,
    openSync,
    readFileSync,
    renameSync,
    Stats,
    unlinkSync,
    writeSync,
} from "node:fs"
import { homedir } from "node:os"
import { dirname, join } from "node:path"
import { takeLock } from "./file-lock"

/** A companion key as the CLI keeps it (one per lock). */
export interface CompanionKey {
    lock: string
    keyId: number
    key: string
    counter: number
}

/**
 * A change this computer made to a lock that a store gone back in time would undo (a revocation,
 * a lost phone, a user removed, disabled or enabled, a mode change): re-applied, in order, when
 * the lock's answers show a generation below this change's.
 */
export interface LoggedChange {
    /** The companion command (COMMANDS of ./protocol.ts) and its arguments. */
    command: string
    args: number[]
    /** The store generation the lock's answer to it carried. */
    generation: number
}

/** What this computer remembers of a lock besides its key (kept when the key is removed; started afresh by an enrolment). */
export interface LockHistory {
    lock: string
    /** The highest store generation any sealed answer of this lock carried. */
    generation: number
    /** The changes to re-apply should the store go back (the newest LOG_LIMIT). */
    changes: LoggedChange[]
}

/** Changes kept per lock. */
export const LOG_LIMIT = 100

/** The key file's contents. */
interface KeyFileData {
    keys: CompanionKey[]
    history: LockHistory[]
}

/** Default key file: $LATCHKEY_HOME/keys.json, else ~/.latchkey/keys.json. */
export function defaultKeyFile(): string {
    return join(process.env.LATCHKEY_HOME ?? join(homedir(), ".latchkey"), "keys.json")
}

/** A key file, or its folder, that others could read, change or redirect: refused, nothing written. */
export class UnsafeKeyFile extends Error {
    constructor(
        readonly path: string,
        message: string,
    ) {
        super(message)
        this.name = "UnsafeKeyFile"
    }
}

/** Owner and permission bits mean nothing on Windows: there only the link checks apply. */
const POSIX = process.platform !== "win32"
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0
const O_NONBLOCK = constants.O_NONBLOCK ?? 0
const O_DIRECTORY = constants.O_DIRECTORY ?? 0

function errno(e: unknown): string | undefined {
    return (e as NodeJS.ErrnoException).code
}

/** A path as a shell word, for the fixes the errors suggest. */
function sh(path: string): string {
    return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`
}

function octal(mode: number): string {
    return "0" + (mode & 0o777).toString(8)
}

/** Refuses a key file or folder `st` (from lstat or fstat of `path`) that is not the user's alone. */
function checkOwnership(path: string, st: Stats, folder: boolean) {
    const what = folder ? "key folder" : "key file"
    if (st.isSymbolicLink())
        throw new UnsafeKeyFile(
            path,
            `${what} ${path} is a symbolic link: refused (keys are never read or written through a link). Fix: ` +
                (folder
                    ? `point --keys (or LATCHKEY_HOME) at the real folder, not at the link`
                    : `move the file it points to into its place (\`mv REAL_FILE ${sh(path)}\`), or give the real file with --keys`),
        )
    if (folder ? !st.isDirectory() : !st.isFile()) throw new UnsafeKeyFile(path, `${what} ${path} is not a ${folder ? "folder" : "regular file"}: refused`)
    if (!POSIX) return
    const me = process.getuid!()
    if (st.uid !== me)
        throw new UnsafeKeyFile(
            path,
            `${what} ${path} belongs to user ${st.uid}, not to you (user ${me}): refused. ` +
                `Fix: \`chown ${me} ${sh(path)}\` if it is yours, or use a key file of your own (--keys FILE, or LATCHKEY_HOME)`,
        )
    // the file holds the keys: nobody else may read it; the folder: nobody else may add, remove or rename in it
    const loose = st.mode & (folder ? 0o022 : 0o077)
    if (loose)
        throw new UnsafeKeyFile(
            path,
            folder
                ? `key folder ${path} can be changed by other users (mode ${octal(st.mode)}): refused. Fix: \`chmod 700 ${sh(path)}\``
                : `key file ${path} can be ${st.mode & 0o022 ? "changed" : "read"} by other users (mode ${octal(st.mode)}): refused. ` +
                  `Fix: \`chmod 600 ${sh(path)}\`; if others could read it, revoke its keys and enrol again`,
        )
}

/** A history record as written by this code (anything else in the file is dropped, never trusted). */
function validHistory(h: unknown): h is LockHistory {
    const x = h as LockHistory
    return (
        !!x &&
        typeof x.lock === "string" &&
        Number.isInteger(x.generation) &&
        x.generation >= 0 &&
        Array.isArray(x.changes) &&
        x.changes.every(c => !!c && typeof c.command === "string" && Array.isArray(c.args) && c.args.every(a => Number.isInteger(a) && a >= 0 && a <= 255) && Number.isInteger(c.generation))
    )
}

/** Writes all of `data` at the file position of `fd`. */
function writeAll(fd: number, data: Buffer) {
    for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at)
}

/** Syncs a folder, so a rename in it survives a power cut (where the platform allows it). */
function syncFolder(dir: string) {
    let fd: number
    try {
        fd = openSync(dir, constants.O_RDONLY | O_DIRECTORY)
    } catch {
        return
    }
    try {
        fsyncSync(fd)
    } catch (e) {
        if (!["EINVAL", "ENOTSUP", "EPERM", "EISDIR", "EBADF"].includes(errno(e) ?? "")) throw e
    } finally {
        closeSync(fd)
    }
}

/** The companion's keys, in a file only its owner can read or change (0600, in a folder only it can change). */
export class KeyStore {
    constructor(readonly path: string = defaultKeyFile()) {}

    all(): CompanionKey[] {
        return this.read().keys
    }

    /** What this computer remembers of `lock`: the highest generation seen and its logged changes. */
    history(lock: string): LockHistory {
        return this.read().history.find(h => h.lock === lock) ?? { lock, generation: 0, changes: [] }
    }

    /**
     * Remembers `generation` (a sealed answer of `lock` carried it) if it is the highest seen;
     * returns the highest seen before it (0: none yet). Written only when it rises.
     */
    seeGeneration(lock: string, generation: number): number {
        let before = 0
        this.updateHistory(lock, h => {
            before = h.generation
            if (generation <= h.generation) return false
            h.generation = generation
            return true
        })
        return before
    }

    /** Logs a change made to `lock` (its answer carried `generation`), dropping the oldest past LOG_LIMIT. */
    logChange(lock: string, change: LoggedChange) {
        this.updateHistory(lock, h => {
            h.changes.push(change)
            if (h.changes.length > LOG_LIMIT) h.changes.splice(0, h.changes.length - LOG_LIMIT)
            if (change.generation > h.generation) h.generation = change.generation
            return true
        })
    }

    /**
     * Starts `lock`'s history afresh (a new key enrolled): a key enrolled now cannot reach a store
     * older than its enrolment, so nothing logged before can need applying again, and after a
     * factory reset the lock's generation starts again from 0 (applying old changes to it would
     * remove users set up since).
     */
    forgetHistory(lock: string) {
        this.updateHistory(lock, h => {
            if (h.generation === 0 && h.changes.length === 0) return false
            h.generation = 0
            h.changes = []
            return true
        })
    }

    /** Gives logged change `index` of `lock` the generation of its re-applied answer. */
    relogChange(lock: string, index: number, generation: number) {
        this.updateHistory(lock, h => {
            if (index >= h.changes.length) return false
            h.changes[index].generation = generation
            if (generation > h.generation) h.generation = generation
            return true
        })
    }

    get(lock: string): CompanionKey | undefined {
        return this.all().find(k => k.lock === lock)
    }

    /** Saves the key for `rec.lock` in place of any other key for that lock. */
    put(rec: CompanionKey) {
        this.update(keys => [...keys.filter(k => k.lock !== rec.lock), rec])
    }

    /** Forgets the key held for `lock` (one the lock no longer accepts). */
    remove(lock: string) {
        this.update(keys => {
            const rest = keys.filter(k => k.lock !== lock)
            return rest.length !== keys.length ? rest : null
        })
    }

    /**
     * The key held for `lock`, its counter advanced by one and saved before it is returned, all
     * under the key file's lock: a crash never reuses a counter, and neither do two runs at once.
     * Undefined when the file holds no key for `lock`.
     */
    takeCounter(lock: string): CompanionKey | undefined {
        let taken: CompanionKey | undefined
        this.update(keys => {
            const k = keys.find(x => x.lock === lock)
            if (!k) return null
            k.counter += 1
            taken = { ...k }
            return keys
        })
        return taken
    }

    /** The folder, checked; null when it does not exist and `create` is false. */
    private folder(create: boolean): string | null {
        const dir = dirname(this.path)
        let st: Stats
        try {
            st = lstatSync(dir)
        } catch (e) {
            if (errno(e) !== "ENOENT") throw e
            if (!create) return null
            mkdirSync(dir, { recursive: true, mode: 0o700 })
            st = lstatSync(dir)
        }
        checkOwnership(dir, st, true)
        return dir
    }

    /** Changes `lock`'s history under the key file's lock (`change` returns false: nothing to write). */
    private updateHistory(lock: string, change: (h: LockHistory) => boolean) {
        const dir = this.folder(true)!
        this.read()
        const fileLock = takeLock(`${this.path}.lock`)
        try {
            const data = this.read()
            let h = data.history.find(x => x.lock === lock)
            if (!h) {
                h = { lock, generation: 0, changes: [] }
                data.history.push(h)
            }
            if (change(h)) this.write(dir, data)
        } finally {
            fileLock.release()
        }
    }

    /** Reads the keys and histories (none when the file does not exist), refusing an unsafe file or folder. */
    private read(): KeyFileData {
        if (this.folder(false) === null) return { keys: [], history: [] }
        let fd: number
        try {
            // no-follow: a link is refused, never read through; non-blocking: a FIFO cannot hang us
            fd = openSync(this.path, constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        } catch (e) {
            if (errno(e) === "ENOENT") return { keys: [], history: [] }
            if (errno(e) === "ELOOP" || errno(e) === "EMLINK") checkOwnership(this.path, lstatSync(this.path), false)
            throw e
        }
        let text: string
        try {
            checkOwnership(this.path, fstatSync(fd), false)
            text = readFileSync(fd, "utf8")
        } finally {
            closeSync(fd)
        }
        try {
            const data = JSON.parse(text)
            return { keys: Array.isArray(data.keys) ? data.keys : [], history: Array.isArray(data.history) ? data.history.filter(validHistory) : [] }
        } catch (e) {
            throw new Error(`key file ${this.path} is damaged (${(e as Error).message}); move it away and enrol again`)
        }
    }

    /**
     * Applies `change` to the keys under the key file's lock and saves the result (null: no
     * change). The file and folder are checked before anything is written, the lock included.
     */
    private update(change: (keys: CompanionKey[]) => CompanionKey[] | null) {
        const dir = this.folder(true)!
        this.read()
        const lock = takeLock(`${this.path}.lock`)
        try {
            const data = this.read()
            const next = change(data.keys)
            if (next) this.write(dir, { keys: next, history: data.history })
        } finally {
            lock.release()
        }
    }

    /** A new file (exclusive, no-follow, 0600), synced, renamed over the key file; then the folder synced. */
    private write(dir: string, data: KeyFileData) {
        const tmp = `${this.path}.${process.pid}-${randomBytes(6).toString("hex")}.tmp`
        const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o600)
        try {
            if (POSIX) fchmodSync(fd, 0o600)
            writeAll(fd, Buffer.from(JSON.stringify(data.history.length > 0 ? data : { keys: data.keys }, null, 2) + "\n"))
            fsyncSync(fd)
        } catch (e) {
            closeSync(fd)
            unlinkSync(tmp)
            throw e
        }
        closeSync(fd)
        try {
            renameSync(tmp, this.path)
        } catch (e) {
            unlinkSync(tmp)
            throw e
        }
        syncFolder(dir)
    }
}
