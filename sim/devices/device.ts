/**
 * Where the firmware runs, seen from a test: the "device" a {@link SimulatedBoard} talks to.
 *
 * - in-process: the VM inside this Node process (sim/vm.ts); no sockets, exact power cuts.
 * - vm-process: a separate VM process on the devtools hub (tcp 127.0.0.1:8082), as
 *   `devs run <bytecode> --tcp` runs one but with the board's flash size (sim/devices/vm-process.ts),
 *   standing in for a serial-bridged board. Power cut = kill the process; its flash is a file
 *   in its own folder that survives the kill.
 * - board: whatever DeviceScript device is already on the hub (a flashed ESP32 behind
 *   `devs devtools --serial`, or any VM the hub knows). See sim/devices/board-device.ts.
 *
 * The bus side (peripherals the test hosts, what it hears and sees) is the same for all three.
 */
import { ChildProcess } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { createNodeSocketTransport, JDBus, Transport } from "jacdac-ts"
import { devsBin, dmesgFromCli, exited, HUB_HOST, HUB_PORTS, killGroup, spawnGroup, vmProcessCommand } from "../../host/devtools"
import { Flash, VmRun, VmTransport } from "../vm"
import { hasFstor } from "../fstor"

// jacdac-ts's ESM build calls require() lazily (for "net"): without this the TCP transport
// silently never connects
;(globalThis as { require?: NodeRequire }).require ??= createRequire(import.meta.url)

/** What a test may do to the device besides using its peripherals. */
export interface DeviceCapabilities {
    /** Cut the power and power on again later, flash kept. */
    powerCycle: boolean
    /** Erase the flash (settings and program) while powered off. */
    wipeFlash: boolean
    /** Cut the power at the exact moment a flash write has completed. */
    cutAtFlashWrite: boolean
    /**
     * Jam the latch: the firmware's latch switch is the test's (on a board too: its "latchSensor"
     * role is rebound to the test's switch, which follows the angle read from the board's servo).
     */
    jamLatch: boolean
    /** Read and alter the saved flash image (settings, audit segments) from the test. */
    flashImage: boolean
    /** Deploy the program again at the next power-on, after the store formatted itself and took it. */
    redeploy: boolean
    /** The firmware's console lines reach the test down the same path as its bus packets, in the order the firmware made them. */
    consoleInOrder: boolean
    /** A second board with its own device id can run beside the first in this run. */
    secondBoard: boolean
    /** The test's parts sit on the one device id the guarded build (firmware-guarded) trusts as the board's own. */
    trustedParts: boolean
}

/**
 * What every device reached through the devtools hub can do (a board, a VM process, `devs run`):
 * the console comes by its own path, not the packets'; every board on the one hub meets every
 * other's parts; the test's parts get a fresh device id, not the one the guarded build trusts.
 */
export const THROUGH_THE_HUB: DeviceCapabilities = {
    powerCycle: true,
    wipeFlash: true,
    cutAtFlashWrite: false,
    jamLatch: true,
    flashImage: false,
    redeploy: false,
    consoleInOrder: false,
    secondBoard: false,
    trustedParts: false,
}

export interface PowerOnOptions {
    /** The firmware image (for devices that deploy it). */
    bytecode: Uint8Array
    /** The same image as a file under build/ (for a VM process). */
    bytecodePath: string
    /** Each console line of the firmware, in the VM's dmesg form ("> lock: ready"). */
    onLog: (line: string) => void
}

/** A place the firmware runs, as the test bus reaches it. */
export interface LockDevice {
    readonly kind: "in-process" | "vm-process" | "board"
    readonly capabilities: DeviceCapabilities
    /** The wire from the test's bus to the device. */
    readonly transport: Transport
    /** The lock's Jacdac device id, once known. */
    readonly deviceId: string | undefined
    /**
     * Whether the firmware's roles must be bound to the test's peripherals explicitly, through
     * the lock's role manager (a board has its own peripherals, which its roles bind first).
     */
    readonly bindRoles: boolean
    readonly running: boolean
    /** Hands the device the test's bus (devices that must find the lock on it). */
    attach?(bus: JDBus): void
    powerOn(opts: PowerOnOptions): Promise<void>
    /** Cuts the power now (the firmware stops; flash keeps what was written). */
    powerCut(): void
    /** Erases the flash; only while powered off. */
    wipeFlash(): Promise<void>
    /** Cuts the power the moment the next flash write has completed. */
    cutPowerAtNextFlashWrite(): void
    dispose(): Promise<void>
}

/** Raised when a test asks a device for something it cannot do (e.g. an exact cut on a board). */
export class NotSupportedError extends Error {}

/** The DeviceScript VM in this process: the default, and the only one with exact power cuts. */
export class InProcessDevice implements LockDevice {
    static readonly CAPABILITIES: DeviceCapabilities = { powerCycle: true, wipeFlash: true, cutAtFlashWrite: true, jamLatch: true, flashImage: true, redeploy: true, consoleInOrder: true, secondBoard: true, trustedParts: true }
    readonly kind = "in-process"
    readonly capabilities = InProcessDevice.CAPABILITIES
    readonly transport = new VmTransport()
    readonly flash = new Flash()
    readonly bindRoles = false
    private run: VmRun | undefined

    /** `deviceId`: the VM's own id (16 hex digits); two VMs on one broker need two. */
    constructor(readonly deviceId: string = "1a7c4b3e9d2f0a55") {}
    /** The next power-on writes the program first (as `devs deploy` does), settings kept. */
    private deployNext = false

    get running() {
        return !!this.run?.running
    }

    /**
     * Makes the next power-on write the program first, settings kept: what its owner does with
     * `devs deploy` when the settings store formatted itself and took the program with it.
     */
    deployAtNextPowerOn() {
        this.deployNext = true
    }

    async powerOn(opts: PowerOnOptions) {
        const deployNow = this.deployNext
        this.deployNext = false
        this.run = await this.transport.powerOn({
            bytecode: opts.bytecode,
            flash: this.flash,
            deviceId: this.deviceId,
            // an empty flash gets the program written first (as `devs deploy` does); otherwise
            // the VM boots whatever program its flash holds, like a real board after a power cut
            // (also one made for another flash size: the VM would format it and lose the program)
            deploy: deployNow || this.flash.image.length === 0 || !hasFstor(this.flash.image),
            onLog: opts.onLog,
        })
    }

    powerCut() {
        this.run?.stop()
        this.run = undefined
    }

    async wipeFlash() {
        if (this.running) throw new Error("power the board off before wiping its flash")
        this.flash.wipe()
    }

    cutPowerAtNextFlashWrite() {
        this.flash.cutAtNextSave(() => this.powerCut())
    }

    async dispose() {
        this.powerCut()
    }
}

/**
 * Resolves once a VM process (sim/devices/vm-process.ts or `devs run --tcp`) says "connected to" the
 * hub; rejects, saying what it printed last, when it fails to start, exits first, or is silent
 * for 30 s.
 */
function connectedToHub(child: ChildProcess, output: string[], what: string): Promise<void> {
    const tail = () => output.slice(-5).join(" | ") || "(no output)"
    return new Promise<void>((resolve, reject) => {
        const done = (e?: Error) => {
            clearTimeout(timer)
            clearInterval(poll)
            child.off("exit", onExit)
            child.off("error", onError)
            if (e) reject(e)
            else resolve()
        }
        const onExit = (code: number | null) => done(new Error(`${what} exited (${code}) before connecting to the hub on ${HUB_HOST}:${HUB_PORTS.tcp}: ${tail()}`))
        const onError = (e: Error) => done(new Error(`${what} could not be started: ${e.message}`))
        const timer = setTimeout(() => done(new Error(`${what} did not connect to the hub on ${HUB_HOST}:${HUB_PORTS.tcp} within 30 s: ${tail()}`)), 30000)
        const poll = setInterval(() => {
            if (output.some(l => /^connected to /.test(l))) done()
        }, 20)
        child.on("exit", onExit)
        child.on("error", onError)
    })
}

function randomDeviceId(): string {
    let s = ""
    for (let i = 0; i < 16; i++) s += "0123456789abcdef"[Math.floor(Math.random() * 16)]
    return s
}

/**
 * What both VM processes on the devtools hub share (sim/devices/vm-process.ts and the CLI's own `devs run`):
 * a folder of their own, a process group started per power-on and killed at a power cut, their
 * lines kept for failure messages and the VM's console passed on, and the wait for the hub.
 */
abstract class HubProcessDevice {
    readonly transport: Transport = createNodeSocketTransport(HUB_PORTS.tcp, HUB_HOST)
    readonly deviceId = randomDeviceId()
    readonly bindRoles = false
    /** What the process printed (its own lines and the VM's), for failure messages. */
    readonly output: string[] = []
    protected child: ChildProcess | undefined
    protected cut = false

    constructor(readonly dir: string) {}

    get running() {
        return !!this.child && !this.cut && this.child.exitCode === null && this.child.signalCode === null
    }

    /**
     * Starts `cmd args` in the device's folder and resolves once it has connected to the hub.
     * `what` names it in messages; `onLine` may take a line for itself (returns true).
     */
    protected async start(cmd: string, args: string[], opts: PowerOnOptions, what: string, stdin = false, onLine?: (line: string, child: ChildProcess) => boolean) {
        if (this.child) await exited(this.child)
        this.cut = false
        const child = spawnGroup(cmd, args, { cwd: this.dir, stdin })
        this.child = child
        child.stdin?.on("error", () => {}) // the process may be killed while an ack is on its way
        const keep = (line: string) => {
            if (onLine?.(line, child)) return
            this.output.push(line)
            if (this.output.length > 200) this.output.splice(0, 100)
            const d = dmesgFromCli(line)
            if (d !== undefined && child === this.child && !this.cut) opts.onLog(d)
        }
        if (child.stdout) createInterface({ input: child.stdout }).on("line", keep)
        if (child.stderr) createInterface({ input: child.stderr }).on("line", keep)
        child.once("exit", code => {
            if (!this.cut && child === this.child) opts.onLog(`! ${what} exited (${code}): ${this.output.slice(-5).join(" | ")}`)
        })
        // fail fast and say why when it cannot reach the hub
        await connectedToHub(child, this.output, what)
        return child
    }

    powerCut() {
        this.cut = true
        killGroup(this.child)
    }

    /** Waits for a stopped process to be gone (the flash file is then free to change). */
    protected async stopped() {
        if (this.running) throw new Error("power the board off before wiping its flash")
        if (this.child) await exited(this.child)
    }

    async dispose() {
        this.powerCut()
        if (this.child) await exited(this.child)
        rmSync(this.dir, { recursive: true, force: true })
    }
}

/**
 * A VM process on the devtools hub (sim/devices/vm-process.ts: the VM of the pinned CLI, connected to
 * the hub on tcp 127.0.0.1:8082 as `devs run <bytecode> --tcp` connects, but with the board's
 * 256 KB flash, which `devs run` cannot be given). Its flash is a file in a folder of its own;
 * {@link flash} mirrors it, as the in-process device's flash chip: the process reports each write
 * and waits until it has been taken in, so the test can cut the power (kill the process) right
 * after any write, and what the test changes in the image while the power is off is what the
 * next power-on loads. A power-on writes the program when the flash holds no settings store
 * (empty or wiped), and otherwise boots what the flash holds, like a board after a power cut.
 */
export class VmProcessDevice extends HubProcessDevice implements LockDevice {
    // its flash is the test's (cut at a write, read and altered); the rest as any device on the hub
    static readonly CAPABILITIES: DeviceCapabilities = { ...THROUGH_THE_HUB, cutAtFlashWrite: true, flashImage: true }
    readonly kind = "vm-process"
    readonly capabilities = VmProcessDevice.CAPABILITIES
    /** The flash chip, as the VM process last wrote it (or as the test altered it while off). */
    readonly flash = new Flash()

    constructor() {
        super(mkdtempSync(join(tmpdir(), "latchkey-vm-")))
    }

    get flashFile() {
        return join(this.dir, "flash.bin")
    }

    async powerOn(opts: PowerOnOptions) {
        if (this.child) await exited(this.child)
        // the chip as it is now: what the VM wrote, with whatever the test changed while it was off
        if (this.flash.image.length) writeFileSync(this.flashFile, this.flash.image)
        else rmSync(this.flashFile, { force: true })
        const { cmd, args } = vmProcessCommand(["--flash", this.flashFile, "--bytecode", opts.bytecodePath, "--device-id", this.deviceId, "--sync-writes"])
        await this.start(cmd, args, opts, "the VM process", true, (line, child) => {
            if (!/^FLASH-SAVED \d+$/.test(line)) return false
            this.flashSaved(child)
            return true
        })
    }

    /** The VM process has written its flash and waits: take the image in, then let it go on. */
    private flashSaved(child: ChildProcess) {
        if (child !== this.child || this.cut) return // being cut: it never goes on
        this.flash.image = new Uint8Array(readFileSync(this.flashFile))
        this.flash.saves++
        this.flash.onSave?.()
        if (!this.cut) child.stdin!.write("\n")
    }

    async wipeFlash() {
        await this.stopped()
        this.flash.wipe()
        rmSync(this.flashFile, { force: true })
    }

    cutPowerAtNextFlashWrite() {
        this.flash.cutAtNextSave(() => this.powerCut())
    }
}

/**
 * The pinned CLI's own `devs run <bytecode> --tcp`, unchanged: a VM process on the devtools hub,
 * as the issue describes the CI stand-in. The HIL suite uses {@link VmProcessDevice} instead
 * (`devs run` cannot be given a flash size: it keeps the VM's 128 KB, an 8 KB settings area,
 * too small for a full lock, and its flash cannot be read or cut at a write from the test);
 * test/hil/devs-run.test.ts runs a short scenario on this one so the real command stays proven.
 *
 * `devs run` keeps its flash in `.devicescript/flash/sim.bin` under its working directory: each
 * device gets a fresh temporary directory, so its flash starts empty; a power cut kills the
 * process group, power on starts `devs run` again in the same directory (it writes the bytecode
 * again and boots on the flash it left, settings kept); a wipe deletes that file.
 */
export class DevsRunDevice extends HubProcessDevice implements LockDevice {
    static readonly CAPABILITIES: DeviceCapabilities = THROUGH_THE_HUB
    readonly kind = "vm-process"
    readonly capabilities = DevsRunDevice.CAPABILITIES

    /** `devs`: the pinned CLI (default node_modules/.bin/devs). */
    constructor(private readonly devs = devsBin()) {
        super(mkdtempSync(join(tmpdir(), "latchkey-devs-run-")))
    }

    /** Where `devs run` keeps its flash (its working directory's .devicescript/flash). */
    get flashFile() {
        return join(this.dir, ".devicescript", "flash", "sim.bin")
    }

    async powerOn(opts: PowerOnOptions) {
        await this.start(this.devs, ["run", opts.bytecodePath, "--tcp", "--device-id", this.deviceId], opts, `\`devs run ${opts.bytecodePath} --tcp\` (in ${this.dir})`)
    }

    async wipeFlash() {
        await this.stopped()
        rmSync(this.flashFile, { force: true })
    }

    cutPowerAtNextFlashWrite() {
        throw new NotSupportedError("`devs run` cannot be stopped at the exact moment of a flash write")
    }
}
