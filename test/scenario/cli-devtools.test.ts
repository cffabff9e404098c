/**
 * The companion CLI straight to the DeviceScript devtools hub, as an owner reaches a board on USB
 * (`devs devtools`, tcp 127.0.0.1:8082). Only through the hub (`npm run test:hil`): in-process,
 * cli.test.ts runs the same CLI over the simulator's own TCP hub.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { HUB_PORTS } from "../../host/devtools"
import { cli as cliOn } from "./cli-run"
import { HIL, setUpBoard } from "./helpers"

/** The CLI pointed at the devtools hub's own port. */
const cli = (keys: string, ...args: string[]) => cliOn(HUB_PORTS.tcp, keys, ...args)

describe.runIf(HIL)("latchkey CLI through the devtools hub", () => {
    it("finds the lock on the hub, enrols, unlocks and locks it", async () => {
        const b = await setUpBoard()
        const keys = join(mkdtempSync(join(tmpdir(), "latchkey-devtools-")), "keys.json")
        const status = await cli(keys, "status", "--json")
        expect(status.code, status.err).toBe(0)
        expect(JSON.parse(status.out)).toMatchObject({ ok: true, lockState: "Locked", provisioned: true })
        // the press that started setup is presence enough for one enrolment
        const enrol = await cli(keys, "enrol")
        expect(enrol.code, enrol.err).toBe(0)
        const unlock = await cli(keys, "unlock")
        expect(unlock.code, unlock.err).toBe(0)
        await b.waitUntil(() => b.isUnlocked(), "the CLI unlock", 10000)
        const lock = await cli(keys, "lock")
        expect(lock.code, lock.err).toBe(0)
        await b.waitUntil(() => b.isLocked(), "the CLI lock", 10000)
    })
})
