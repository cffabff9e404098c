/**
 * The bench path (HIL=serial) proven without a bench: a VM process waiting for a program
 * (sim/devices/vm-process.ts --wait: `devs run --wait --tcp` with the ESP32's 256 KB flash) stands in for
 * a flashed board. `npm run deploy` puts the firmware on it over the hub, and a scenario runs the
 * way it runs on the board: the lock found on the hub, its roles rebound to the test's parts
 * through its role manager, power cycles by stopping the program and starting it again (the
 * DeviceScript manager's `running` register; the board is never reset, see sim/devices/board-device.ts),
 * a wipe by deleting its settings.
 * A VM process hosts no servers, so the board's own parts stand on a decoy device of their own:
 * a keypad (its matrix scanner), its latch servo, its latch switch and an unwired door reed (reads
 * "open"). The firmware must end on the test's keypad, door contact and latch switch, and keep the
 * board's servo, whose angle the test reads and its latch switch follows.
 * Runs under `npm run test:hil` (HIL=vm); skipped by `npm test`.
 */
import { ChildProcess, execFile } from "node:child_process"
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
    JDBus,
    JDServerServiceProvider,
    MagneticFieldLevelServer,
    MagneticFieldLevelVariant,
    MatrixKeypadServer,
    ServoServer,
    SwitchServer,
    createNodeSocketTransport,
    shortDeviceId,
} from "jacdac-ts"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SimulatedBoard } from "../../sim/board"
import { HubBoardDevice, LOCK_ID_ENV } from "../../sim/devices/board-device"
import { exited, HUB_HOST, HUB_PORTS, killGroup, spawnGroup, vmProcessCommand } from "../../host/devtools"
import { ROOT } from "../../host/paths"
import { LatchkeyClient } from "../../host/lock-client"
import { attempt, FAST_PROFILE, MASTER, setUpMaster } from "../scenario/helpers"

const STAND_IN_ID = "b0a7d5e1c0ffee01"
const DECOY_ID = "dec0dec0dec0dec0"
const ALARM_MS = 2 * FAST_PROFILE.latch.jamTimeoutMs + 5000

/** The device the firmware's role `role` was last bound to (from the role manager's log lines). */
function lastBinding(logs: string[], role: string): string | undefined {
    return logs
        .map(l => new RegExp(`set role ${role} -> (\\w+):`).exec(l)?.[1])
        .filter(Boolean)
        .pop()
}

function runDeploy(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
    return new Promise(resolve => {
        execFile(
            join(ROOT, "node_modules", ".bin", "tsx"),
            [join(ROOT, "scripts", "deploy.ts"), ...args],
            { cwd: ROOT, env: { ...process.env, ...env }, timeout: 90000 },
            (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
        )
    })
}

describe.skipIf(process.env.HIL !== "vm")("the bench path, a VM process standing in for the board", () => {
    let dir = ""
    let logFile = ""
    let standIn: ChildProcess
    let decoyBus: JDBus

    beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), "latchkey-standin-"))
        logFile = join(dir, "console.log")
        process.env[LOCK_ID_ENV] = STAND_IN_ID
        // a board with the runtime and no program yet (its whole console, role manager lines too)
        const { cmd, args } = vmProcessCommand(["--wait", "--flash", join(dir, "flash.bin"), "--device-id", STAND_IN_ID])
        standIn = spawnGroup(cmd, args, { cwd: dir })
        const log = createWriteStream(logFile)
        standIn.stdout!.pipe(log)
        standIn.stderr!.pipe(log)
        // the board's own parts: its keypad (matrix scanner), latch servo, latch switch (never
        // confirms a move), and an unwired door reed (no magnet: reads "open")
        decoyBus = new JDBus([createNodeSocketTransport(HUB_PORTS.tcp, HUB_HOST)], { client: false, disableRoleManager: true })
        const reed = new MagneticFieldLevelServer({ variant: MagneticFieldLevelVariant.DigitalNS, instanceName: "door" })
        reed.inactive()
        decoyBus.addServiceProvider(
            new JDServerServiceProvider(
                "decoy",
                [new MatrixKeypadServer(3, 4, "123456789*0#".split("")), new ServoServer({ instanceName: "latch" } as never), new SwitchServer(), reed],
                { deviceId: DECOY_ID },
            ),
        )
        decoyBus.start()
        await decoyBus.connect()
    })

    afterAll(async () => {
        killGroup(standIn)
        if (standIn) await exited(standIn)
        await decoyBus?.dispose()
        if (dir) rmSync(dir, { recursive: true, force: true })
    })

    it("npm run deploy says clearly when no board answers", async () => {
        const r = await runDeploy(["--fast"], { [LOCK_ID_ENV]: "0000000000000bad", LATCHKEY_FIND_MS: "3000" })
        expect(r.code).toBe(4)
        expect(r.out).toMatch(/no DeviceScript board answered on 127\.0\.0\.1:8082 within 3 s/)
        expect(r.out).toMatch(/npm run flash/)
    })

    it("npm run deploy puts the firmware on the waiting board, which starts it", async () => {
        const r = await runDeploy(["--fast"], { [LOCK_ID_ENV]: STAND_IN_ID })
        expect(r.out).toMatch(new RegExp(`firmware-fast\\.devs \\(\\d+ bytes\\) -> ${STAND_IN_ID}`))
        expect(r.code).toBe(0)
        const end = Date.now() + 20000
        while (!/start: latchkey/.test(readFileSync(logFile, "utf8")) && Date.now() < end) await new Promise(r => setTimeout(r, 200))
        expect(readFileSync(logFile, "utf8")).toMatch(/start: latchkey/)
    })

    it("runs a scenario the bench way: rebound roles, stop/start power cycles, settings wipe", async () => {
        const b = new SimulatedBoard({ profile: FAST_PROFILE, firmware: "firmware-fast", device: new HubBoardDevice({ logFile, ownParts: DECOY_ID }) })
        try {
            await b.powerOn()
            expect(b.logs.some(l => /setup mode/.test(l))).toBe(true)
            // keypad, door contact and latch switch end on the test's parts, not on the board's own;
            // the latch stays the board's servo
            const host = shortDeviceId(b.hostId)
            for (const role of ["keypad", "buzzer", "program", "door", "latchSensor"]) expect([role, lastBinding(b.logs, role)]).toEqual([role, host])
            expect(lastBinding(b.logs, "latch")).toBe(shortDeviceId(DECOY_ID))
            await setUpMaster(b)
            expect(await attempt(b, MASTER)).toBe("success")
            // the angle is read from the board's servo (the test's own servo never moves)
            await b.waitUntil(() => b.isUnlocked(), "the latch to open")
            expect(b.latch.angle.values()[0]).not.toBe(FAST_PROFILE.latch.unlockedAngle)
            // power cycle: program stopped, then started again; flash kept
            b.powerCut()
            await b.powerOn()
            expect(b.logs.some(l => /boot: 1 user\(s\)/.test(l))).toBe(true)
            expect(await attempt(b, "8402")).toBe("failure")
            expect(await attempt(b, MASTER)).toBe("success")
            // wipe: settings cleared while stopped; back in setup mode
            b.powerCut()
            await b.wipeFlash()
            await b.powerOn()
            expect(b.logs.filter(l => /lock: ready/.test(l)).pop()).toMatch(/setup mode/)
            expect(await attempt(b, MASTER)).toBe("failure")
        } finally {
            await b.dispose()
        }
    })

    it("the door contact and latch switch reach the firmware: relock waits for the door, a jam is seen", async () => {
        const b = new SimulatedBoard({ profile: FAST_PROFILE, firmware: "firmware-fast", device: new HubBoardDevice({ logFile, ownParts: DECOY_ID }) })
        try {
            await b.powerOn()
            const client = new LatchkeyClient(b.bus)
            await setUpMaster(b)
            // the test's latch switch follows the board's servo: a move is confirmed, no jam
            const mark = b.logs.length
            expect(await attempt(b, MASTER)).toBe("success")
            await b.waitUntil(() => b.isUnlocked(), "the latch to open")
            // the door opened while unlocked: the auto-relock waits, DoorAjar after 2 s
            const from = client.events.length
            b.setDoor(true)
            await b.waitForLog(/lock: door opened/, 3000, mark)
            await b.waitUntil(() => client.events.slice(from).some(e => e.name === "DoorLockAlarm" && e.fields.alarm === "DoorAjar"), "a DoorAjar alarm", 6000)
            expect(b.isUnlocked()).toBe(true)
            b.setDoor(false)
            await b.waitForLog(/locked \(auto-relock, door closed\)/, 3000, mark)
            await b.waitUntil(() => b.isLocked(), "the relock once the door shut")
            expect(b.logs.slice(mark).filter(l => /LockJammed|retrying/.test(l))).toEqual([])
            // a bolt stuck in locked: the test's switch never confirms the unlock
            await b.jamLatch("locked")
            const jam = b.logs.length
            expect(await attempt(b, MASTER)).toBe("success")
            await b.waitForLog(/LockJammed/, ALARM_MS, jam)
            await b.waitUntil(() => b.isLocked(), "the latch driven back to locked", 5000)
        } finally {
            await b.dispose()
        }
    })
})
