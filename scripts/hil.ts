/**
 * `npm run test:hil`: the scenario tests (test/scenario, the very files `npm test` runs on the
 * in-process VM) through the hardware path: the DeviceScript devtools hub on 127.0.0.1:8082.
 *
 *   HIL=vm (default)  each board is a VM process on the hub (sim/devices/vm-process.ts: what
 *                     `devs run <bytecode> --tcp` runs, with the ESP32's 256 KB flash)
 *   HIL=serial        the flashed ESP32 behind `devs devtools --serial` (started here); the fast
 *                     test firmware is deployed to it first
 *   HIL=tcp           a hub you started yourself, with the lock already on it
 *
 * The hub's ports are fixed, so the files run one at a time, and a busy port stops the run with
 * a clear message instead of joining someone else's hub. Every process started here (hub, VM
 * processes, vitest) is started in its own process group and killed with it on the way out,
 * whatever happened (test failure, Ctrl-C, crash).
 *
 * Usage: [HIL=vm|serial|tcp] tsx scripts/hil.ts [vitest arguments, e.g. a file filter]
 *   with no file filter (none, or only options such as --reporter=verbose): test/scenario and test/hil
 */
import { ChildProcess, spawn } from "node:child_process"
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DeviceScriptManagerClient, JDBus, SRV_DEVICE_SCRIPT_MANAGER, createNodeSocketTransport } from "jacdac-ts"
import { HUB_LOG_ENV, LOCK_ID_ENV, noBoardMessage } from "../sim/devices/board-device"
import {
    devsBin,
    exited,
    HUB_HOST,
    HUB_PORTS,
    killGroup,
    killRegistered,
    hasFileFilter,
    PIDS_ENV,
    portAnswers,
    portBusy,
    spawnGroup,
    waitForPort,
} from "../host/devtools"
import { ROOT } from "../host/paths"

;(globalThis as { require?: NodeRequire }).require ??= createRequire(import.meta.url)

const MODES = ["vm", "serial", "tcp"]
const HUB_LOG = join(ROOT, "build", "hil", "hub.log")

class HilError extends Error {
    constructor(
        message: string,
        readonly code: number,
    ) {
        super(message)
    }
}

const started: ChildProcess[] = []
let pidsDir: string | undefined
let cleaning: Promise<void> | undefined

/** Kills everything this run started: vitest, VM processes it left behind, the hub. */
function cleanup(): Promise<void> {
    cleaning ??= (async () => {
        for (const c of started.slice().reverse()) killGroup(c, "SIGTERM")
        if (pidsDir) killRegistered(pidsDir)
        await Promise.race([Promise.all(started.map(exited)), new Promise(r => setTimeout(r, 3000))])
        for (const c of started) killGroup(c, "SIGKILL")
        if (pidsDir) {
            killRegistered(pidsDir)
            rmSync(pidsDir, { recursive: true, force: true })
        }
    })()
    return cleaning
}

async function checkPortsFree() {
    for (const [name, port] of Object.entries(HUB_PORTS)) {
        if (await portBusy(port))
            throw new HilError(
                `test:hil: port ${port} (${name}) on ${HUB_HOST} is already in use. The devtools hub's ports are fixed ` +
                    `(${Object.values(HUB_PORTS).join(", ")}), so only one hub can run at a time: another HIL run, ` +
                    "`devs devtools`, or VS Code's DeviceScript extension holds it. Wait for it to finish or stop it " +
                    `(see \`ss -ltnp | grep ':${port}'\`), then run again. To use that hub as it is: HIL=tcp npm run test:hil.`,
                3,
            )
    }
}

/** Starts `devs devtools` (with --serial on a bench), its output into build/hil/hub.log. */
async function startHub(serial: boolean): Promise<ChildProcess> {
    mkdirSync(join(ROOT, "build", "hil"), { recursive: true })
    writeFileSync(HUB_LOG, "")
    const cwd = mkdtempSync(join(tmpdir(), "latchkey-hub-"))
    // -v: the role manager's "set role ..." lines reach the log (the scenarios wait on them)
    const args = serial ? ["-v", "devtools", "--serial"] : ["devtools"]
    const hub = spawnGroup(devsBin(), args, { cwd })
    started.push(hub)
    const log = createWriteStream(HUB_LOG, { flags: "a" })
    hub.stdout!.pipe(log)
    hub.stderr!.pipe(log)
    let exitCode: number | null = null
    hub.once("exit", code => (exitCode = code))
    try {
        await waitForPort(HUB_PORTS.tcp, 30000, () => exitCode === null)
    } catch (e) {
        const out = readFileSync(HUB_LOG, "utf8").trim().split("\n").slice(-8).join("\n  ")
        throw new HilError(
            exitCode === 100
                ? `test:hil: \`devs devtools\` exited 100: another hub took the ports ${Object.values(HUB_PORTS).join("/")} meanwhile. Run again when it is gone.`
                : `test:hil: the devtools hub did not come up (${(e as Error).message}); its output:\n  ${out}`,
            3,
        )
    }
    rmSync(cwd, { recursive: true, force: true })
    return hub
}

/** On a bench: finds the board on the hub and deploys the fast test firmware to it. */
async function deployToBoard(bytecodeFile: string) {
    const bus = new JDBus([createNodeSocketTransport(HUB_PORTS.tcp, HUB_HOST)], { client: false, disableRoleManager: true })
    bus.start()
    try {
        await bus.connect()
        const wanted = process.env[LOCK_ID_ENV]
        const end = Date.now() + 30000
        let manager
        while (!(manager = bus.services({ serviceClass: SRV_DEVICE_SCRIPT_MANAGER }).find(s => !wanted || s.device.deviceId === wanted))) {
            if (Date.now() > end) throw new HilError(`test:hil: ${noBoardMessage(bus.devices().map(d => d.deviceId))}`, 4)
            await new Promise(r => setTimeout(r, 250))
        }
        console.log(`test:hil: deploying ${bytecodeFile} to ${manager.device.deviceId} ...`)
        await new DeviceScriptManagerClient(manager).deployBytecode(new Uint8Array(readFileSync(bytecodeFile)))
        console.log("test:hil: deployed (run `npm run deploy` afterwards to put the shipping firmware back)")
    } finally {
        await bus.dispose()
    }
}

function runVitest(mode: string, extra: string[]): Promise<number> {
    const vitest = join(ROOT, "node_modules", ".bin", "vitest")
    // one retry per test: through the hub a packet can be lost on a busy machine (seen once in
    // CI: a register read). A test that passed on its retry is marked "(retry x1)" in the output;
    // one that fails twice fails the run. `npm test` (in-process) never retries.
    // file filters given: those files; only options (e.g. --reporter=verbose): the whole HIL suite
    const args = ["run", ...(hasFileFilter(extra) ? extra : ["test/scenario", "test/hil", ...extra]), "--no-file-parallelism", "--maxWorkers=1", "--testTimeout=120000", "--hookTimeout=120000", "--silent=passed-only", "--retry=1"]
    const child = spawn(vitest, args, {
        cwd: ROOT,
        stdio: "inherit",
        detached: true,
        env: { ...process.env, HIL: mode, [HUB_LOG_ENV]: HUB_LOG, [PIDS_ENV]: pidsDir },
    })
    started.push(child)
    return new Promise(resolve => child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))))
}

async function main(): Promise<number> {
    const mode = (process.env.HIL || "vm").toLowerCase()
    if (!MODES.includes(mode)) throw new HilError(`test:hil: HIL=${mode}: expected one of ${MODES.join(", ")}`, 2)
    const t0 = Date.now()
    pidsDir = mkdtempSync(join(tmpdir(), "latchkey-hil-pids-"))
    if (mode === "tcp") {
        if (!(await portAnswers(HUB_PORTS.tcp)))
            throw new HilError(`test:hil: HIL=tcp uses a hub you started, but nothing answers on ${HUB_HOST}:${HUB_PORTS.tcp}. Start \`devs devtools\` (or use HIL=vm / HIL=serial).`, 3)
    } else {
        await checkPortsFree()
        await startHub(mode === "serial")
        console.log(`test:hil: devtools hub up on ${HUB_HOST}:${HUB_PORTS.tcp} (output: ${HUB_LOG})`)
        if (mode === "serial") await deployToBoard(join(ROOT, "build", "firmware-fast.devs"))
    }
    const code = await runVitest(mode, process.argv.slice(2))
    console.log(`test:hil: HIL=${mode} ${code === 0 ? "passed" : "FAILED"} in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    return code
}

let exiting = false
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
    process.on(sig, () => {
        if (exiting) return
        exiting = true
        console.error(`test:hil: ${sig}: stopping everything it started`)
        void cleanup().then(() => process.exit(130))
    })

main()
    .catch(e => {
        console.error(e instanceof HilError ? e.message : (e as Error).stack)
        return e instanceof HilError ? e.code : 1
    })
    .then(async code => {
        await cleanup()
        process.exit(code)
    })
