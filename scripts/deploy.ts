/**
 * `npm run deploy`: puts the firmware bytecode on the lock board through the DeviceScript
 * devtools hub, the way `devs devtools` deploys: DeviceScript manager `deploy_bytecode`.
 *
 * If a hub already answers on 127.0.0.1:8082 it is used as it is (a board behind it, or a VM);
 * otherwise `devs devtools --serial` is started for the duration of the deploy (and stopped after,
 * with its whole process group). The board needs the DeviceScript runtime first: `npm run flash`.
 *
 * Then, like `devs deploy`, the settings of .env.defaults and .env.local (.env.local wins) go to
 * the board: WIFI_SSID / WIFI_PWD to its Wi-Fi service, the rest (MQTT_HOST, MQTT_PORT,
 * MQTT_USER, MQTT_PASS for the network link) to its settings. Only their names are printed.
 *
 * Usage: tsx scripts/deploy.ts [--fast | --file FILE.devs]
 *   --fast   deploy build/firmware-fast.devs (short test timings; what HIL=serial runs against)
 *   --file   deploy that bytecode file
 * Env: LATCHKEY_LOCK_ID=<device id> picks the board when the hub has several DeviceScript devices.
 */
import { ChildProcess } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { createNodeSocketTransport, DeviceScriptManagerClient, DeviceScriptManagerReg, JDBus, JDService, SRV_DEVICE_SCRIPT_MANAGER } from "jacdac-ts"
import { devsBin, exited, HUB_HOST, HUB_PORTS, killGroup, portAnswers, portBusy, spawnGroup, waitForPort } from "../host/devtools"
import { ROOT } from "../host/paths"
import { readEnvSettings, writeDeviceSettings } from "../host/device-settings"

;(globalThis as { require?: NodeRequire }).require ??= createRequire(import.meta.url)

const FIND_MS = Number(process.env.LATCHKEY_FIND_MS) || 30000

class DeployError extends Error {
    constructor(
        message: string,
        readonly code: number,
    ) {
        super(message)
    }
}

function parseArgs(argv: string[]): string {
    let file = join(ROOT, "build", "firmware.devs")
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--fast") file = join(ROOT, "build", "firmware-fast.devs")
        else if (argv[i] === "--file" && argv[i + 1]) file = argv[++i]
        else throw new DeployError(`deploy: unknown argument "${argv[i]}" (usage: deploy [--fast | --file FILE.devs])`, 2)
    }
    if (!existsSync(file)) throw new DeployError(`deploy: ${file} does not exist (run \`npm run build\`)`, 2)
    return file
}

async function startSerialHub(): Promise<ChildProcess> {
    for (const port of Object.values(HUB_PORTS))
        if (await portBusy(port))
            throw new DeployError(
                `deploy: port ${port} is taken but no hub answers on ${HUB_PORTS.tcp}; the devtools hub needs ${Object.values(HUB_PORTS).join(", ")} free`,
                3,
            )
    console.log("deploy: starting `devs devtools --serial` to reach the board over USB")
    const hub = spawnGroup(devsBin(), ["devtools", "--serial"], { cwd: mkdtempSync(join(tmpdir(), "latchkey-deploy-")) })
    const out: string[] = []
    hub.stdout!.on("data", d => out.push(String(d)))
    hub.stderr!.on("data", d => out.push(String(d)))
    let alive = true
    hub.once("exit", () => (alive = false))
    try {
        await waitForPort(HUB_PORTS.tcp, 30000, () => alive)
    } catch (e) {
        throw new DeployError(`deploy: the devtools hub did not start (${(e as Error).message}):\n${out.join("").trim()}`, 3)
    }
    return hub
}

async function findManager(bus: JDBus): Promise<JDService> {
    const wanted = process.env.LATCHKEY_LOCK_ID
    const end = Date.now() + FIND_MS
    for (;;) {
        const managers = bus.services({ serviceClass: SRV_DEVICE_SCRIPT_MANAGER }).filter(s => !wanted || s.device.deviceId === wanted)
        if (managers.length === 1 || (managers.length > 1 && wanted)) return managers[0]
        if (managers.length > 1)
            throw new DeployError(
                `deploy: several DeviceScript devices on the hub (${managers.map(m => m.device.deviceId).join(", ")}); pick one with LATCHKEY_LOCK_ID=<id>`,
                4,
            )
        if (Date.now() > end)
            throw new DeployError(
                [
                    `deploy: no DeviceScript board answered on ${HUB_HOST}:${HUB_PORTS.tcp} within ${FIND_MS / 1000} s` +
                        (wanted ? ` (looking for LATCHKEY_LOCK_ID=${wanted})` : "") +
                        ".",
                    "Check that:",
                    "  - the board runs the DeviceScript runtime (npm run flash) and is plugged in over USB;",
                    "  - you may open its serial port (/dev/ttyUSB* or /dev/ttyACM*: the dialout group on Linux; udevadm present);",
                    "  - no other program holds the port (VS Code's DeviceScript connection, screen, minicom).",
                ].join("\n"),
                4,
            )
        await new Promise(r => setTimeout(r, 250))
    }
}

let hub: ChildProcess | undefined

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
    process.on(sig, () => {
        killGroup(hub) // the hub this deploy started, with its whole process group
        process.exit(130)
    })

async function main() {
    const file = parseArgs(process.argv.slice(2))
    const bytecode = new Uint8Array(readFileSync(file))
    if (!(await portAnswers(HUB_PORTS.tcp))) hub = await startSerialHub()
    else console.log(`deploy: using the devtools hub already on ${HUB_HOST}:${HUB_PORTS.tcp}`)
    const bus = new JDBus([createNodeSocketTransport(HUB_PORTS.tcp, HUB_HOST)], { client: false, disableRoleManager: true })
    bus.start()
    try {
        await bus.connect()
        const manager = await findManager(bus)
        const id = manager.device.deviceId
        console.log(`deploy: ${relative(ROOT, file)} (${bytecode.length} bytes) -> ${id}`)
        await new DeviceScriptManagerClient(manager).deployBytecode(bytecode)
        // proof: the board reports a program of exactly this size
        const size = manager.register(DeviceScriptManagerReg.ProgramSize)
        const end = Date.now() + 10000
        while (Date.now() < end) {
            await size.refresh(true)
            if (size.uintValue === bytecode.length) break
            await new Promise(r => setTimeout(r, 200))
        }
        if (size.uintValue !== bytecode.length)
            throw new DeployError(`deploy: ${id} reports a ${size.uintValue}-byte program after the deploy, not ${bytecode.length}`, 5)
        console.log(`deploy: ${id} now runs ${relative(ROOT, file)}`)
        const settings = readEnvSettings(ROOT)
        if (settings.size > 0) {
            const keys = await writeDeviceSettings(bus, id, settings)
            console.log(`deploy: settings from .env.defaults / .env.local written to ${id}: ${keys.join(", ")} (values not shown)`)
        }
    } finally {
        await bus.dispose()
        if (hub) {
            killGroup(hub, "SIGTERM")
            await Promise.race([exited(hub), new Promise(r => setTimeout(r, 3000))])
            killGroup(hub)
        }
    }
}

main().then(
    () => process.exit(0),
    e => {
        console.error(e instanceof DeployError ? e.message : (e as Error).stack)
        process.exit(e instanceof DeployError ? e.code : 1)
    },
)
