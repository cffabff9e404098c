/**
 * The bench path (HIL=serial) proven without a bench: a VM process waiting for a program
 * (sim/vm-process.ts --wait: `devs run --wait --tcp` with the ESP32's 256 KB flash) stands in for
 * a flashed board. `npm run deploy` puts the firmware on it over
 * the hub, and a scenario runs the way it runs on the board: the lock found on the hub, its roles
 * rebound to the test's parts through its role manager (a decoy keypad stands in for the board's
 * own), power cycles by stopping the program and resetting, a wipe by clearing its settings.
 * Runs under `npm run test:hil` (HIL=vm); skipped by `npm test`.
 */
import { ChildProcess, execFile } from "node:child_process"
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { JDBus, JDServerServiceProvider, MatrixKeypadServer, createNodeSocketTransport, shortDeviceId } from "jacdac-ts"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SimulatedBoard } from "../../sim/board"
import { HubBoardDevice, LOCK_ID_ENV } from "../../sim/board-device"
import { exited, HUB_HOST, HUB_PORTS, killGroup, spawnGroup, vmProcessCommand } from "../../sim/hil-hub"
import { ROOT } from "../../sim/paths"
import { attempt, FAST_PROFILE, MASTER, setUpMaster } from "../scenario/helpers"

const STAND_IN_ID = "b0a7d5e1c0ffee01"

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
        // the board's own keypad (its matrix scanner): the firmware must be moved off it
        decoyBus = new JDBus([createNodeSocketTransport(HUB_PORTS.tcp, HUB_HOST)], { client: false, disableRoleManager: true })
        decoyBus.addServiceProvider(
            new JDServerServiceProvider("decoy", [new MatrixKeypadServer(3, 4, "123456789*0#".split(""))], { deviceId: "dec0dec0dec0dec0" }),
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

    it("runs a scenario the bench way: rebound roles, stop/reset power cycles, settings wipe", async () => {
        const b = new SimulatedBoard({ profile: FAST_PROFILE, firmware: "firmware-fast", device: new HubBoardDevice({ logFile }) })
        try {
            await b.powerOn()
            expect(b.logs.some(l => /setup mode/.test(l))).toBe(true)
            // the keypad role ends on the test's keypad, not on the board's own (the decoy)
            const bindings = b.logs.map(l => /set role keypad -> (\w+):/.exec(l)?.[1]).filter(Boolean)
            expect(bindings.pop()).toBe(shortDeviceId(b.hostId))
            await setUpMaster(b)
            expect(await attempt(b, MASTER)).toBe("success")
            await b.waitUntil(() => b.isUnlocked(), "the latch to open")
            // power cycle: program stopped, then the board reset; flash kept
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
})
