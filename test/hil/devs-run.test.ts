/**
 * The real `devs run <bytecode> --tcp` as the lock: a smoke test of the command the issue names
 * for CI ("a DeviceScript VM process started with `devs run <bytecode> --tcp`"), through the same
 * devtools hub and the same SimulatedBoard parts as every HIL scenario.
 *
 * The HIL suite's boards are sim/devices/vm-process.ts (the same VM with the ESP32's 256 KB flash; see
 * docs/testing.md, "Hardware in the loop", for why). This file proves the unchanged CLI command still runs
 * the firmware: setup, a right code opens the latch (read from the bus: the angle the firmware
 * wrote to the test's servo, and the lock's own lock_state register), wrong codes are counted, and
 * a restart of `devs run` in the same folder (its flash: .devicescript/flash/sim.bin, 128 KB)
 * keeps the count.
 * Runs under `npm run test:hil` (HIL=vm, with the hub scripts/hil.ts starts); skipped by `npm test`
 * and on a bench.
 */
import { existsSync } from "node:fs"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { SimulatedBoard } from "../../sim/board"
import { DevsRunDevice } from "../../sim/devices/device"
import { devsBin } from "../../host/devtools"
import { LatchkeyClient } from "../../host/lock-client"
import { ROOT } from "../../host/paths"
import { attempt, FAST_PROFILE, MASTER, setUpMaster } from "../scenario/helpers"

const BYTECODE = join(ROOT, "build", "firmware-fast.devs")
const WRONG = ["8402", "1357", "9630"]

describe.skipIf(process.env.HIL !== "vm")("the real `devs run <bytecode> --tcp` as the lock", () => {
    let b: SimulatedBoard | undefined

    afterAll(async () => {
        await b?.dispose()
    })

    it("fails with a clear message when `devs run` cannot start", async () => {
        const d = new DevsRunDevice(join(ROOT, "node_modules", ".bin", "no-such-devs"))
        const x = new SimulatedBoard({ profile: FAST_PROFILE, firmware: "firmware-fast", device: d })
        try {
            await expect(x.powerOn()).rejects.toThrow(/`devs run .*firmware-fast\.devs --tcp` \(in .*\) could not be started: spawn .*no-such-devs ENOENT/)
        } finally {
            await x.dispose()
        }
    })

    it("sets up, opens for the right code, counts wrong ones, and keeps the count across a restart", async () => {
        expect(existsSync(devsBin()), `the pinned CLI at ${devsBin()} (npm ci)`).toBe(true)
        expect(existsSync(BYTECODE), `${BYTECODE} (npm run build)`).toBe(true)
        const device = new DevsRunDevice()
        b = new SimulatedBoard({ profile: FAST_PROFILE, firmware: "firmware-fast", device })
        // a fresh folder: devs run starts on an empty flash
        expect(existsSync(device.flashFile)).toBe(false)
        await b.powerOn()
        expect(b.logs.filter(l => /lock: ready/.test(l)).pop()).toMatch(/setup mode/)
        const client = new LatchkeyClient(b.bus)

        await setUpMaster(b)
        const from = client.events.length
        expect(await attempt(b, MASTER)).toBe("success")
        // from the bus: the angle the firmware set on the test's servo, and the lock service's event
        await b.waitUntil(() => b!.isUnlocked(), "the latch to open")
        await b.waitUntil(
            () => client.events.slice(from).some(e => e.name === "LockOperation" && e.fields.operation === "Unlock" && e.fields.source === "Keypad"),
            "a LockOperation Unlock (Keypad) event",
        )
        await b.waitUntil(() => b!.isLocked(), "the auto-relock", 5000)

        for (const code of WRONG) expect(await attempt(b, code)).toBe("failure")
        const before = await client.status()
        expect([before.lockState, before.failureCount]).toEqual(["Locked", WRONG.length])

        // restart: kill the process group, start `devs run` again in the same folder
        expect(existsSync(device.flashFile)).toBe(true)
        const mark = b.logs.length
        b.powerCut()
        await b.powerOn()
        await b.waitForLog(new RegExp(`boot: 1 user\\(s\\), failures ${WRONG.length}\\b`), 3000, mark)
        expect(b.logs.slice(mark).filter(l => /lock: ready/.test(l)).pop()).not.toMatch(/setup mode/)
        expect((await client.status()).failureCount).toBe(WRONG.length)
        // the master code still opens after the restart
        expect(await attempt(b, MASTER)).toBe("success")
        await b.waitUntil(() => b!.isUnlocked(), "the latch to open after the restart")
    })
})
