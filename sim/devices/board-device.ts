/**
 * A lock that is already on the devtools hub: a flashed ESP32 behind `devs devtools --serial`
 * (HIL=serial), or any DeviceScript device the hub knows (HIL=tcp). The test cannot cut its
 * power, so a "power cut" stops the program (DeviceScript manager `running` = false: nothing
 * runs, flash is kept) and "power on" starts it again from the top (`running` = true), which is
 * what the firmware sees of a power cycle; "wipe" clears its settings. (Control `reset` would
 * reboot a board, but ends a `devs run` VM process, so it is not used.)
 *
 * The board keeps its own latch servo (the test reads the latch angle from it); the test hosts
 * the keypad, buzzer, program button, door contact and latch switch, and rebinds the firmware's
 * roles to them through the board's role manager (the firmware always serves its own door contact
 * and latch switch, which on a bench may be unwired: an unwired reed reads "open"). The board's
 * console reaches the test through the hub's output, which `npm run test:hil` writes to the file
 * named by LATCHKEY_HUB_LOG ("DEV> ..." lines, as `devs devtools` prints them).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs"
import { createRequire } from "node:module"
import {
    createNodeSocketTransport,
    DeviceScriptManagerReg,
    JDBus,
    JDDevice,
    jdpack,
    Packet,
    RoleManagerCmd,
    SettingsCmd,
    SRV_DEVICE_SCRIPT_MANAGER,
    SRV_ROLE_MANAGER,
    SRV_SETTINGS,
    Transport,
} from "jacdac-ts"
import { DeviceCapabilities, LockDevice, NotSupportedError, PowerOnOptions, THROUGH_THE_HUB } from "./device"
import { dmesgFromCli, HUB_HOST, HUB_PORTS } from "../../host/devtools"

;(globalThis as { require?: NodeRequire }).require ??= createRequire(import.meta.url)

/** Env var: the file the hub's output goes to (written by scripts/hil.ts). */
export const HUB_LOG_ENV = "LATCHKEY_HUB_LOG"
/** Env var: the lock's device id, when the hub has several DeviceScript devices. */
export const LOCK_ID_ENV = "LATCHKEY_LOCK_ID"

const FIND_MS = Number(process.env.LATCHKEY_FIND_MS) || 30000

/**
 * The settings the firmware keeps (src/firmware/store.ts; test/config/tools.test.ts checks the
 * names still match). The settings service's "clear" command leaves them in place on the
 * DeviceScript runtime (seen on 2.16.4), so a wipe deletes them one by one. The device key alone
 * would do: without it the firmware makes a new one and the stored digests are worthless.
 */
const numbered = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`)
export const LOCK_SETTING_KEYS = [
    "$lk.key",
    ...numbered("$lk.c", 2), // failure counter records
    "$lk.meta",
    ...numbered("$lk.u", 21), // user chunks (src/firmware/store.ts)
    ...numbered("$lk.n", 13), // name chunks
    ...numbered("$lk.a", 22), // audit segments
    ...numbered("$lk.p", 12), // companion keys (src/firmware/remote.ts)
]

/** What a test needs to know about the board's answer, in words for the person at the bench. */
export function noBoardMessage(seen: string[]): string {
    return [
        `no DeviceScript lock answered on the devtools hub (${HUB_HOST}:${HUB_PORTS.tcp}) within ${FIND_MS / 1000} s.`,
        `The hub sees: ${seen.length ? seen.join("; ") : "no devices at all"}.`,
        "A bench run needs:",
        "  1. an ESP32 board with the DeviceScript runtime (npm run flash) plugged in over USB;",
        "  2. the hub bridging it: `HIL=serial npm run test:hil` starts `devs devtools --serial` (Linux needs udevadm",
        "     and read/write access to /dev/ttyUSB* or /dev/ttyACM*: add yourself to the dialout group);",
        "  3. no other program holding the serial port (close VS Code's DeviceScript connection, screen, minicom).",
        `With several DeviceScript devices on the hub, name the lock: ${LOCK_ID_ENV}=<device id>.`,
    ].join("\n")
}

/** Reads new lines appended to a file, from where it ended when the tail started. */
class FileTail {
    private offset: number
    private timer: NodeJS.Timeout | undefined
    private partial = ""

    constructor(
        private readonly path: string,
        private readonly onLine: (line: string) => void,
    ) {
        this.offset = existsSync(path) ? statSync(path).size : 0
        this.timer = setInterval(() => this.poll(), 30)
    }

    private poll() {
        if (!existsSync(this.path)) return
        const size = statSync(this.path).size
        if (size <= this.offset) return
        const fd = openSync(this.path, "r")
        try {
            const buf = Buffer.alloc(size - this.offset)
            readSync(fd, buf, 0, buf.length, this.offset)
            this.offset = size
            const text = this.partial + buf.toString("utf8")
            const lines = text.split(/\r?\n/)
            this.partial = lines.pop() ?? ""
            for (const l of lines) this.onLine(l)
        } finally {
            closeSync(fd)
        }
    }

    stop() {
        if (this.timer) clearInterval(this.timer)
        this.timer = undefined
    }
}

export class HubBoardDevice implements LockDevice {
    // the console comes from the hub's output file; the bench has the one board; its own parts are on
    // its own device id, not the guarded build's
    static readonly CAPABILITIES: DeviceCapabilities = THROUGH_THE_HUB
    readonly kind = "board"
    readonly capabilities = HubBoardDevice.CAPABILITIES
    readonly transport: Transport = createNodeSocketTransport(HUB_PORTS.tcp, HUB_HOST)
    readonly bindRoles = true
    private bus: JDBus | undefined
    private lock: JDDevice | undefined
    private tail: FileTail | undefined
    private fresh = true
    private stopped = false
    private readonly logFile: string | undefined
    private readonly ownParts: string | undefined

    /**
     * `logFile`: where the lock's console arrives (default: the hub output, $LATCHKEY_HUB_LOG).
     * `ownParts`: the device id that hosts the board's own parts when they are not on the lock's
     * device (a stand-in for a board: a VM process hosts no servers, so test/hil hosts "its"
     * servo, door contact and switches on a device of their own).
     */
    constructor(opts: { logFile?: string; ownParts?: string } = {}) {
        this.logFile = opts.logFile ?? process.env[HUB_LOG_ENV]
        this.ownParts = opts.ownParts
    }

    get deviceId() {
        return this.lock?.deviceId
    }

    get running() {
        return !!this.lock && !this.stopped
    }

    /** Called by SimulatedBoard with the test's bus (the one this device's transport feeds). */
    attach(bus: JDBus) {
        this.bus = bus
    }

    /** The lock on the hub: the DeviceScript device (not the hub, not the test's own parts). */
    async findLock(): Promise<JDDevice> {
        if (!this.bus) throw new Error("HubBoardDevice: attach() the bus first")
        const wanted = process.env[LOCK_ID_ENV]
        const end = Date.now() + FIND_MS
        for (;;) {
            const candidates = this.bus
                .devices({ serviceClass: SRV_DEVICE_SCRIPT_MANAGER })
                .filter(d => !wanted || d.deviceId === wanted)
            if (candidates.length === 1 || (candidates.length > 1 && wanted)) return candidates[0]
            if (candidates.length > 1)
                throw new Error(`several DeviceScript devices on the hub (${candidates.map(d => d.deviceId).join(", ")}); set ${LOCK_ID_ENV}`)
            if (Date.now() > end)
                throw new Error(noBoardMessage(this.bus.devices().map(d => `${d.deviceId} (${d.services().map(s => s.specification?.shortId ?? s.serviceClass).join(",")})`)))
            await new Promise(r => setTimeout(r, 200))
        }
    }

    private async command(serviceClass: number, cmd: number, data: Uint8Array = new Uint8Array(0)) {
        const lock = this.lock ?? (await this.findLock())
        const service = lock.services({ serviceClass })[0]
        if (!service) throw new Error(`the lock ${lock.deviceId} has no ${serviceClass.toString(16)} service`)
        // acknowledged, and retried: a busy link (or a busy runtime) may miss one
        for (let attempt = 1; ; attempt++) {
            try {
                await service.sendPacketAsync(Packet.from(cmd, data), true)
                return
            } catch (e) {
                if (attempt >= 4) throw e
                await new Promise(r => setTimeout(r, 500))
            }
        }
    }

    async powerOn(opts: PowerOnOptions) {
        this.lock = await this.findLock()
        if (this.logFile && !this.tail)
            this.tail = new FileTail(this.logFile, line => {
                const d = dmesgFromCli(line)
                if (d !== undefined) opts.onLog(d)
            })
        if (!this.stopped) await this.setRunning(false)
        if (this.fresh) {
            // a fresh board: no codes, no counter, no device key (settings hold them all)
            this.fresh = false
            await this.eraseSettings()
        }
        this.stopped = false
        await this.setRunning(true)
    }

    private async setRunning(on: boolean) {
        const lock = this.lock ?? (await this.findLock())
        const manager = lock.services({ serviceClass: SRV_DEVICE_SCRIPT_MANAGER })[0]
        await manager.register(DeviceScriptManagerReg.Running).sendSetBoolAsync(on, true)
        // let the runtime act on it before the next command (stop and start are not queued)
        await new Promise(r => setTimeout(r, 300))
    }

    /** Stops the program; the board stays powered, its flash untouched. */
    powerCut() {
        this.stopped = true
        const manager = this.lock?.services({ serviceClass: SRV_DEVICE_SCRIPT_MANAGER })[0]
        void manager?.register(DeviceScriptManagerReg.Running).sendSetBoolAsync(false, true)
    }

    async wipeFlash() {
        if (this.running) throw new Error("power the board off before wiping its flash")
        await this.setRunning(false) // the stop of powerCut() may still be on its way
        await this.eraseSettings()
    }

    private async eraseSettings() {
        await this.command(SRV_SETTINGS, SettingsCmd.Clear)
        for (const key of LOCK_SETTING_KEYS) await this.command(SRV_SETTINGS, SettingsCmd.Delete, jdpack("s", [key]))
    }

    cutPowerAtNextFlashWrite() {
        throw new NotSupportedError("a board behind the hub cannot be cut at the exact moment of a flash write")
    }

    /**
     * Binds firmware role `role` to service `serviceIndex` of device `deviceId` (the test's own
     * peripherals), through the lock's role manager.
     *
     * Sent twice. The runtime's SetRole handler (jacdac-c services/rolemgr.c rolemgr_set_role)
     * takes the role name's length as the payload size minus sizeof(jd_role_manager_set_role_t),
     * which C pads to 16 bytes (u64 device id, u8 index): the spec's payload (9 bytes + name) is
     * looked up as a name 7 characters short, matches no role, and is dropped without a word
     * (seen on the 2.16.4 VM: no "set role" line, the binding unchanged). The same payload
     * followed by 7 spare bytes is looked up by its true length and applied. The plain form is
     * sent first for a runtime whose struct is packed; on either, the form that does not match
     * is a no-op.
     */
    async bindRole(role: string, deviceId: string, serviceIndex: number) {
        const id = Buffer.from(deviceId, "hex")
        const payload = jdpack("b[8] u8 s", [id, serviceIndex, role])
        await this.command(SRV_ROLE_MANAGER, RoleManagerCmd.SetRole, payload)
        const padded = new Uint8Array(payload.length + 7)
        padded.set(payload)
        await this.command(SRV_ROLE_MANAGER, RoleManagerCmd.SetRole, padded)
    }

    /**
     * The board's own service of `serviceClass` (e.g. its on-board servo), if it has one: on the
     * lock's device, or on the `ownParts` device of a stand-in.
     */
    ownService(serviceClass: number) {
        const own = this.lock?.services({ serviceClass })[0]
        if (own || !this.ownParts) return own
        return this.bus?.devices().find(d => d.deviceId === this.ownParts)?.services({ serviceClass })[0]
    }

    async dispose() {
        this.tail?.stop()
        this.tail = undefined
    }
}
