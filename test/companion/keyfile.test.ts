/**
 * The companion's key file (companion/keyfile.ts): refused when it or its folder is a link, is
 * another user's, or is open to others (nothing written, the CLI exits 1 naming the path and the
 * fix); written through a new exclusive no-follow file; two runs at once never take one counter.
 */
import { ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { chmodSync, chownSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { CompanionKey, KeyStore, UnsafeKeyFile } from "../../companion/keyfile"
import { LockBusy, STALE_MS, takeLock } from "../../companion/file-lock"
import { ROOT } from "../../host/paths"
import { cli } from "../scenario/cli-run"

const REC: CompanionKey = { lock: "a1b2c3d4e5f60718", keyId: 3, key: "ab".repeat(32), counter: 7 }
const ROOT_USER = process.getuid?.() === 0
/** A user id that is not the one running the tests. */
const OTHER_UID = 4242

function tmp(): string {
    return mkdtempSync(join(tmpdir(), "latchkey-keyfile-"))
}

/** A folder holding a key file with REC in it. */
function keyFolder(): { dir: string; path: string; store: KeyStore } {
    const dir = tmp()
    const path = join(dir, "keys.json")
    const store = new KeyStore(path)
    store.put(REC)
    return { dir, path, store }
}

/** Every entry of `dir` and what it holds (a link's target, a file's text), to show nothing changed. */
function snapshot(dir: string): { [name: string]: string } {
    const out: { [name: string]: string } = {}
    for (const name of readdirSync(dir).sort()) {
        const p = join(dir, name)
        const st = lstatSync(p)
        out[name] = st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : st.isFile() ? readFileSync(p, "utf8") : `folder ${(st.mode & 0o777).toString(8)}`
    }
    return out
}

/** Every way the CLI touches the key file, each refused with UnsafeKeyFile naming `named` and `fix`. */
function expectRefused(store: KeyStore, named: string, why: RegExp, fix: RegExp) {
    const uses: [string, () => unknown][] = [
        ["all", () => store.all()],
        ["get", () => store.get(REC.lock)],
        ["put", () => store.put({ ...REC, keyId: 9 })],
        ["remove", () => store.remove(REC.lock)],
        ["takeCounter", () => store.takeCounter(REC.lock)],
    ]
    for (const [name, use] of uses) {
        let err: unknown
        try {
            use()
        } catch (e) {
            err = e
        }
        expect(err, `${name} is refused`).toBeInstanceOf(UnsafeKeyFile)
        const msg = (err as Error).message
        expect(msg, name).toContain(named)
        expect(msg, name).toMatch(why)
        expect(msg, name).toMatch(fix)
    }
}

describe("key file: refused when others could reach it", () => {
    it("refuses a key file that is a symbolic link, and writes nothing through it or in its place", () => {
        const real = keyFolder()
        const dir = tmp()
        const path = join(dir, "keys.json")
        symlinkSync(real.path, path)
        const before = [snapshot(dir), snapshot(real.dir)]
        expectRefused(new KeyStore(path), path, /is a symbolic link/, /Fix: /)
        expect([snapshot(dir), snapshot(real.dir)]).toEqual(before)
        // a dangling link too: nothing is created where it points
        const dangling = join(tmp(), "keys.json")
        const target = join(tmp(), "planted.json")
        symlinkSync(target, dangling)
        expect(() => new KeyStore(dangling).put(REC)).toThrow(UnsafeKeyFile)
        expect(existsSync(target)).toBe(false)
    })

    it("refuses a key folder that is a symbolic link, and writes nothing in the folder it points to", () => {
        const real = keyFolder()
        const link = join(tmp(), "latchkey")
        symlinkSync(real.dir, link)
        const before = snapshot(real.dir)
        expectRefused(new KeyStore(join(link, "keys.json")), link, /key folder .* is a symbolic link/, /Fix: point --keys/)
        expect(snapshot(real.dir)).toEqual(before)
    })

    it("refuses a key file or folder others may change (and a key file others may read)", () => {
        for (const mode of [0o620, 0o602, 0o660, 0o604, 0o640]) {
            const { dir, path, store } = keyFolder()
            chmodSync(path, mode)
            const before = snapshot(dir)
            expectRefused(store, path, mode & 0o022 ? /can be changed by other users/ : /can be read by other users/, /Fix: `chmod 600 /)
            expect(snapshot(dir)).toEqual(before)
            expect(lstatSync(path).mode & 0o777).toBe(mode)
        }
        for (const mode of [0o720, 0o702, 0o777]) {
            const { dir, path, store } = keyFolder()
            chmodSync(dir, mode)
            const before = snapshot(dir)
            expectRefused(store, dir, /key folder .* can be changed by other users/, /Fix: `chmod 700 /)
            expect(snapshot(dir)).toEqual(before)
            expect(JSON.parse(readFileSync(path, "utf8")).keys).toEqual([REC])
        }
    })

    it.skipIf(!ROOT_USER)("refuses a key file or folder that belongs to another user (needs root to chown)", () => {
        {
            const { dir, path, store } = keyFolder()
            chownSync(path, OTHER_UID, OTHER_UID)
            const before = snapshot(dir)
            expectRefused(store, path, new RegExp(`belongs to user ${OTHER_UID}, not to you`), /Fix: `chown /)
            expect(snapshot(dir)).toEqual(before)
        }
        {
            const { dir, store } = keyFolder()
            chownSync(dir, OTHER_UID, OTHER_UID)
            const before = snapshot(dir)
            expectRefused(store, dir, new RegExp(`key folder .* belongs to user ${OTHER_UID}`), /Fix: `chown /)
            expect(snapshot(dir)).toEqual(before)
        }
    })

    it("the CLI exits 1 with the path and the fix, and changes nothing", async () => {
        const { dir, path } = keyFolder()
        chmodSync(path, 0o666)
        const before = snapshot(dir)
        const r = await cli(1, path, "keys")
        expect(r.code).toBe(1)
        expect(r.err).toContain(`latchkey: key file ${path} can be changed by other users (mode 0666): refused`)
        expect(r.err).toContain(`chmod 600 ${path}`)
        expect(r.out).toBe("")
        const json = await cli(1, path, "keys", "--json")
        expect(json.code).toBe(1)
        expect(JSON.parse(json.out)).toMatchObject({ ok: false, error: "UnsafeKeyFile" })
        expect(snapshot(dir)).toEqual(before)
    })
})

describe("key file: how it is written", () => {
    it("makes a 0700 folder and a 0600 file, and keeps every key", () => {
        const dir = join(tmp(), "new", "latchkey")
        const store = new KeyStore(join(dir, "keys.json"))
        store.put(REC)
        store.put({ ...REC, lock: "0102030405060708", keyId: 1 })
        expect(lstatSync(dir).mode & 0o777).toBe(0o700)
        expect(lstatSync(store.path).mode & 0o777).toBe(0o600)
        expect(store.all().map(k => k.keyId)).toEqual([3, 1])
        // nothing left beside it: no temporary file, no lock
        expect(readdirSync(dir)).toEqual(["keys.json"])
    })

    it("never writes through a link planted where a temporary file might go", () => {
        const { dir, path, store } = keyFolder()
        const victim = join(tmp(), "victim")
        writeFileSync(victim, "untouched")
        for (const name of ["keys.json.tmp", "keys.json.new", "keys.json.lock.tmp"]) symlinkSync(victim, join(dir, name))
        store.put({ ...REC, counter: 8 })
        expect(readFileSync(victim, "utf8")).toBe("untouched")
        expect(lstatSync(path).isFile()).toBe(true)
        expect(store.get(REC.lock)!.counter).toBe(8)
    })

    it("refuses a damaged key file and leaves it as it was", () => {
        const { path, store } = keyFolder()
        writeFileSync(path, "{ not json")
        expect(() => store.put(REC)).toThrow(/is damaged/)
        expect(() => store.takeCounter(REC.lock)).toThrow(/is damaged/)
        expect(readFileSync(path, "utf8")).toBe("{ not json")
    })
})

/** Starts a process taking `n` counters from `path`; resolves once it is ready to start. */
async function counterTaker(path: string, n: number): Promise<{ child: ChildProcessWithoutNullStreams; done: Promise<number[]> }> {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test", "companion", "take-counters.ts"), path, REC.lock, String(n)], { cwd: ROOT })
    let out = ""
    let err = ""
    child.stderr.on("data", d => (err += d))
    const ready = new Promise<void>((resolve, reject) => {
        child.stdout.on("data", d => {
            out += d
            if (out.startsWith("ready\n")) resolve()
        })
        child.on("close", code => reject(new Error(`counter taker exited ${code} before it was ready: ${err}`)))
    })
    const done = new Promise<number[]>((resolve, reject) =>
        child.on("close", code => {
            if (code !== 0) return reject(new Error(`counter taker exited ${code}: ${err}`))
            resolve(out.slice("ready\n".length).trim().split("\n").map(Number))
        }),
    )
    await ready
    return { child, done }
}

describe("key file: counters", () => {
    it("two processes taking counters at once never take the same one", async () => {
        const { path, store } = keyFolder()
        const N = 300
        const a = await counterTaker(path, N)
        const b = await counterTaker(path, N)
        a.child.stdin.write("go\n")
        b.child.stdin.write("go\n")
        const [fromA, fromB] = await Promise.all([a.done, b.done])
        expect(fromA).toHaveLength(N)
        expect(fromB).toHaveLength(N)
        const all = [...fromA, ...fromB].sort((x, y) => x - y)
        // every counter from 8 on, each exactly once, and the file holds the last
        expect(all).toEqual(Array.from({ length: 2 * N }, (_, i) => REC.counter + 1 + i))
        expect(store.get(REC.lock)!.counter).toBe(REC.counter + 2 * N)
        // each process's own counters go up
        for (const own of [fromA, fromB]) expect(own).toEqual([...own].sort((x, y) => x - y))
    }, 120_000)

    it("waits for a live run's lock, and takes over a lock left by a process that is gone or a lock too old", async () => {
        const { path, store } = keyFolder()
        const lockPath = `${path}.lock`
        const held = (pid: number, time: number) => writeFileSync(lockPath, JSON.stringify({ pid, host: hostname(), time, token: "t" + time }))
        // a live holder: refused after the wait, the lock left as it was
        held(process.pid, Date.now())
        expect(() => takeLock(lockPath, 100)).toThrow(LockBusy)
        expect(existsSync(lockPath)).toBe(true)
        // its process is gone
        const gone = spawn(process.execPath, ["-e", ""])
        const pid = gone.pid!
        await new Promise(r => gone.on("close", r))
        held(pid, Date.now())
        expect(store.takeCounter(REC.lock)!.counter).toBe(REC.counter + 1)
        expect(existsSync(lockPath)).toBe(false)
        // a live process, but the lock is older than any run holds one
        held(process.pid, Date.now() - STALE_MS - 1000)
        store.put({ ...REC, counter: 50 })
        expect(store.get(REC.lock)!.counter).toBe(50)
        expect(existsSync(lockPath)).toBe(false)
    })
})
