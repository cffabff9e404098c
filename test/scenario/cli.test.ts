/** The companion CLI as a user runs it: a separate process, over TCP, to the simulated lock. */
import { execFile } from "node:child_process"
import { mkdtempSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { afterEach, describe, expect, it } from "vitest"
import { serveBusOverTcp, TcpHub } from "../../sim/hub"
import { ROOT } from "../../sim/paths"
import { attempt, MASTER, setUpBoard } from "./helpers"

const run = promisify(execFile)
let hub: TcpHub | undefined
afterEach(async () => {
    await hub?.close()
    hub = undefined
})

async function cli(port: number, keys: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
    try {
        const r = await run(process.execPath, [join(ROOT, "bin", "latchkey.js"), "--tcp", `127.0.0.1:${port}`, "--keys", keys, ...args], {
            timeout: 60_000,
        })
        return { code: 0, out: r.stdout, err: r.stderr }
    } catch (e: any) {
        return { code: e.code ?? -1, out: e.stdout ?? "", err: e.stderr ?? "" }
    }
}

describe("latchkey CLI", () => {
    it("enrols, unlocks, reports status and refuses without presence, over TCP", async () => {
        const b = await setUpBoard()
        hub = await serveBusOverTcp(b.bus, 0)
        const keys = join(mkdtempSync(join(tmpdir(), "latchkey-cli-")), "keys.json")

        const status = await cli(hub.port, keys, "status", "--json")
        expect(status.code).toBe(0)
        expect(JSON.parse(status.out)).toMatchObject({ ok: true, lockState: "Locked", provisioned: true })

        // the press that started setup, seconds ago, is presence enough for one enrolment;
        // a second enrolment without a new press is refused
        const first = await cli(hub.port, keys, "enrol")
        expect(first.code, first.err).toBe(0)
        expect(first.out).toMatch(/enrolled as companion key 1/)
        expect(statSync(keys).mode & 0o777).toBe(0o600)
        const again = await cli(hub.port, join(mkdtempSync(join(tmpdir(), "latchkey-cli-")), "k.json"), "enrol")
        expect(again.code).toBe(1)
        expect(again.err).toMatch(/NoPresence.*press the lock's inside program button/)

        const unlock = await cli(hub.port, keys, "unlock")
        expect(unlock.code, unlock.err).toBe(0)
        await b.waitUntil(() => b.isUnlocked(), "the CLI unlock")
        const lock = await cli(hub.port, keys, "lock", "--json")
        expect(JSON.parse(lock.out)).toMatchObject({ ok: true, command: "lock" })
        await b.waitUntil(() => b.isLocked(), "the CLI lock")
        expect(await attempt(b, MASTER)).toBe("success")
    })

    it("says clearly when no lock answers and when arguments are wrong", async () => {
        const keys = join(mkdtempSync(join(tmpdir(), "latchkey-cli-")), "keys.json")
        const none = await cli(1, keys, "status", "--timeout", "500")
        expect(none.code).toBe(1)
        expect(none.err).toMatch(/cannot reach 127\.0\.0\.1:1 /)
        const bad = await cli(1, keys, "revoke", "abc")
        expect(bad.code).toBe(2)
        expect(bad.err).toMatch(/revoke takes one key id from 1 to 254/)
        const notEnrolled = await cli(1, keys, "keys")
        expect(notEnrolled.out).toMatch(/no companion keys/)
    })
})
