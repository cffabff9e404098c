/**
 * A simulated lock board: the real firmware bytecode on a DeviceScript VM, plus the lock's
 * peripherals as standard jacdac-ts servers on the same bus (keypad, latch servo, buzzer,
 * program button, latch-position switch). The simulator front ends and the scenario tests drive
 * it ONLY through those peripherals, exactly as a person at the door would.
 *
 * Where the firmware runs is a {@link LockDevice}: the VM in this process (default), a
 * VM process on the devtools hub (sim/devices/vm-process.ts), or a real board behind the hub. The scenario
 * files do not change between them.
 */
import {
    BuzzerServer,
    ButtonServer,
    DEVICE_PACKET_ANNOUNCE,
    JDBus,
    JDDevice,
    JDServerServiceProvider,
    JDServiceServer,
    MagneticFieldLevelServer,
    MagneticFieldLevelVariant,
    jdpack,
    Packet,
    MatrixKeypadEvent,
    MatrixKeypadServer,
    RealTimeClockCmd,
    ServoReg,
    ServoServer,
    SRV_REAL_TIME_CLOCK,
    SRV_SERVO,
    SwitchServer,
    shortDeviceId,
} from "jacdac-ts"
import { HubBoardDevice } from "./devices/board-device"
import { join } from "node:path"
import type { Profile } from "../src/config/types"
import { soundOfTone } from "../src/firmware/tones"
import { InProcessDevice, LockDevice } from "./devices/device"
import { loadLatchkeySpec, SRV_LATCHKEY } from "../host/lock-client"
import { SIMULATED_PARTS_ID } from "../host/board-gen"
import { ROOT } from "../host/paths"
import { hasFstor } from "./fstor"
import { Flash, holdsProgram, readBytecode } from "./vm"

/** A tune the buzzer started playing, named by the firmware's tone table. */
export interface Heard {
    sound: string
    at: number
}

export interface BoardOptions {
    profile: Profile
    /** Which build/ image to run: "firmware" (what ships) or "firmware-fast" (short timings). */
    firmware?: string
    /** Print the firmware's console to stdout. */
    echo?: boolean
    /** Where the firmware runs (default: the VM in this process). */
    device?: LockDevice
    /** Host the door contact with the other parts (default: when the profile has a door sensor). */
    door?: boolean
}

const KEY_HOLD_MS = 50
/**
 * The least time powerOn gives the lock's service device to announce itself after "lock: ready"
 * (it announces every 500 ms; through the hub on a busy machine a frame can take a while).
 */
const ANNOUNCE_WAIT_MS = 5000
/** How long the simulated bolt takes to reach the latch switch after the servo is commanded. */
const LATCH_TRAVEL_MS = 60

export const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, ms))

function randomId(): string {
    let s = ""
    for (let i = 0; i < 16; i++) s += "0123456789abcdef"[Math.floor(Math.random() * 16)]
    return s
}

/**
 * Makes `server` send each event exactly once, in order. jacdac-ts repeats every event after 20
 * and 100 ms, but its delayed-packet queue is sorted newest-first (jacdac-ts 1.33.7
 * processDelayedPackets), so under fast typing old repeats go out after newer events and the
 * firmware sees a key twice. On an in-process bus nothing is lost, so no repeats are needed.
 */
export function sendEventsOnce(server: JDServiceServer) {
    server.sendEvent = async (eventCode: number, data?: Uint8Array) => {
        const device = server.device as JDServerServiceProvider | undefined
        if (!device) return
        const pkt = Packet.from(device.createEventCmd(eventCode), data ?? new Uint8Array(0))
        await server.sendPacketAsync(pkt)
    }
}

export class SimulatedBoard {
    readonly bus: JDBus
    readonly device: LockDevice
    readonly keypad: MatrixKeypadServer
    readonly latch: ServoServer
    readonly buzzer: BuzzerServer
    readonly program: ButtonServer
    /** The latch-position switch (only when the profile configures `board.pins.latchSensor`). */
    readonly latchSwitch: SwitchServer | undefined
    /**
     * The door contact, a magnetic field sensor (field = door shut), only when the profile
     * configures `board.pins.doorSensor`. The door starts shut.
     */
    readonly door: MagneticFieldLevelServer | undefined
    /** Every firmware console line since creation (dmesg and console.log). */
    readonly logs: string[] = []
    /** Every tune heard since creation. */
    readonly heard: Heard[] = []
    /** Every angle the firmware drove the latch to, with when (Date.now ms). */
    readonly latchMoves: { angle: number; at: number }[] = []
    /** Set by {@link jamLatch}: the switch stays here whatever the servo does. */
    private jammedAt: "locked" | "unlocked" | null = null
    private readonly bytecode: Uint8Array
    private readonly bytecodePath: string
    private readonly listeners: ((line: string) => void)[] = []
    /** Device id of the peripherals this board hosts on the bus. */
    readonly hostId: string
    /** The latch angle read from the board's own servo (board devices that keep theirs). */
    private probedAngle: number | undefined
    private probe: NodeJS.Timeout | undefined

    constructor(readonly options: BoardOptions) {
        // before the bus meets the lock: jacdac-ts fixes a service's spec when it first sees it
        loadLatchkeySpec()
        const firmware = options.firmware ?? "firmware"
        this.bytecode = readBytecode(firmware)
        this.bytecodePath = join(ROOT, "build", `${firmware}.devs`)
        this.device = options.device ?? new InProcessDevice()
        this.bus = new JDBus([this.device.transport], { client: false, disableRoleManager: true })
        const { labels } = options.profile.keypad
        this.keypad = new MatrixKeypadServer(3, 4, labels.split(""))
        this.latch = new ServoServer({ instanceName: "latch" } as never)
        this.buzzer = new BuzzerServer({ instanceName: "buzzer" } as never)
        this.program = new ButtonServer("program", false)
        const servers: JDServiceServer[] = [this.keypad, this.latch, this.buzzer, this.program]
        if (options.profile.board.pins.latchSensor !== undefined) {
            this.latchSwitch = new SwitchServer()
            servers.push(this.latchSwitch)
        }
        if (options.profile.board.pins.doorSensor !== undefined && options.door !== false) {
            this.door = new MagneticFieldLevelServer({ variant: MagneticFieldLevelVariant.DigitalNS, instanceName: "door" })
            this.door.active()
            servers.push(this.door)
        }
        // a fresh id per board: on a shared hub no firmware may bind to a previous test's parts
        this.hostId = this.device.kind === "in-process" ? SIMULATED_PARTS_ID : randomId()
        this.bus.addServiceProvider(new JDServerServiceProvider("latchkey-hardware", servers, { deviceId: this.hostId }))
        this.device.attach?.(this.bus)
        sendEventsOnce(this.keypad)
        sendEventsOnce(this.program)
        if (this.door) sendEventsOnce(this.door)
        this.buzzer.on(BuzzerServer.PLAY_TONE, (t: { frequency: number }) => {
            const sound = soundOfTone(t.frequency)
            if (sound) this.heard.push({ sound, at: Date.now() })
        })
        this.latch.angle.on("change", () => {
            this.latchMoves.push({ angle: this.latchAngle(), at: Date.now() })
            this.followLatch()
        })
        if (this.latchSwitch) this.latchSwitch.reading.setValues([this.isLocked()])
        this.bus.start()
    }

    /** The simulated bolt reaches the switch a moment after the servo moves, unless jammed. */
    private followLatch() {
        if (!this.latchSwitch) return
        const locked = this.isLocked()
        setTimeout(() => {
            if (this.jammedAt === null && this.isLocked() === locked) void this.setLatchSwitch(locked)
        }, LATCH_TRAVEL_MS)
    }

    private async setLatchSwitch(locked: boolean) {
        if (!this.latchSwitch) return
        if (locked) await this.latchSwitch.switchOn()
        else await this.latchSwitch.switchOff()
    }

    /**
     * Jams the bolt at `position` (the latch switch stays there whatever the servo does), or frees
     * it (null: the switch follows the servo again).
     */
    async jamLatch(position: "locked" | "unlocked" | null) {
        if (!this.latchSwitch) throw new Error("this profile has no latch switch (board.pins.latchSensor)")
        this.jammedAt = position
        await this.setLatchSwitch(position === null ? this.isLocked() : position === "locked")
    }

    /** The in-process VM's flash chip (only that device has one in this process). */
    get flash(): Flash {
        const d = this.device as { flash?: Flash }
        if (!d.flash) throw new Error(`a ${this.device.kind} device keeps its flash out of this process`)
        return d.flash
    }

    /**
     * Powers the board on (keeping flash) and resolves once the lock is ready for the bus: the
     * firmware has said "lock: ready" AND the device that serves the lock's own service has
     * announced itself since then (see {@link serviceAnnounced}).
     */
    async powerOn(timeoutMs = this.device.kind === "in-process" ? 15000 : 45000): Promise<void> {
        const mark = this.logs.length
        const end = Date.now() + timeoutMs
        const announced = this.serviceAnnounced(mark)
        try {
            if (!this.device.transport.connected) await this.device.transport.connect()
            await this.device.powerOn({ bytecode: this.bytecode, bytecodePath: this.bytecodePath, onLog: line => this.log(line) })
            await this.waitForLog(/lock: ready/, timeoutMs, mark)
            await announced.wait(Math.max(end - Date.now(), ANNOUNCE_WAIT_MS))
        } finally {
            announced.stop()
        }
        if (this.device.bindRoles) await this.bindRoles(this.device as HubBoardDevice, mark)
    }

    /**
     * Watches for the device that hosts the lock's service (the firmware's own servers, a device
     * of their own) to announce itself after the firmware's "lock: ready" line (a console line
     * from index `since`). The firmware's server core announces every 500 ms, the first time
     * 500 ms after its first server starts (in the simulator: after "lock: ready"). Until the
     * first announce of a power-on, this bus still holds the
     * previous power-on's device and services; the announce shows the restart (its counter starts
     * again) and jacdac-ts then replaces the device's service objects, so a command sent on the
     * old object would get its answer delivered to the new one and time out. Only announces
     * after "lock: ready" count: one of those comes from this power-on, whatever was in flight.
     */
    private serviceAnnounced(since: number): { wait(timeoutMs: number): Promise<void>; stop(): void } {
        let seen = false
        let isReady = false
        let wake: (() => void) | undefined
        const ready = () => {
            for (let i = since; !isReady && i < this.logs.length; i++) isReady = /lock: ready/.test(this.logs[i])
            return isReady
        }
        const onAnnounce = (d: JDDevice) => {
            if (seen || d.deviceId === this.hostId || !d.hasService(SRV_LATCHKEY) || !ready()) return
            seen = true
            wake?.()
        }
        this.bus.on(DEVICE_PACKET_ANNOUNCE, onAnnounce)
        const stop = () => this.bus.off(DEVICE_PACKET_ANNOUNCE, onAnnounce)
        const wait = (timeoutMs: number) =>
            new Promise<void>((resolve, reject) => {
                if (seen) return resolve()
                const timer = setTimeout(() => {
                    wake = undefined
                    reject(
                        new Error(
                            `the firmware said "lock: ready" but no device serving the lock's service announced itself on the bus within ${timeoutMs} ms after it`,
                        ),
                    )
                }, timeoutMs)
                wake = () => {
                    clearTimeout(timer)
                    resolve()
                }
            })
        return { wait, stop }
    }

    /**
     * On a board: the keypad, buzzer, program button, door contact and latch switch the test
     * hosts replace the board's own, through its role manager. The generated firmware always
     * serves its own door contact and latch switch (unwired on a bench: a reed with nothing on
     * its pin reads "open"), so those roles are rebound too, or setDoor() and jamLatch() could
     * not reach the firmware. The latch stays the board's servo when it has one; its angle is
     * read from that servo, and the test's latch switch follows it (followLatch).
     */
    private async bindRoles(d: HubBoardDevice, since: number) {
        const host = this.hostId
        const bind = (role: string, server: JDServiceServer) => this.bindRole(d, role, host, server.serviceIndex, since)
        // the keypad first: the first key must not be lost
        await bind("keypad", this.keypad)
        await bind("buzzer", this.buzzer)
        await bind("program", this.program)
        if (this.latchSwitch) await bind("latchSensor", this.latchSwitch)
        if (this.door) await bind("door", this.door)
        const servo = d.ownService(SRV_SERVO)
        if (servo) {
            // a stand-in's own parts live on a device of their own: bind its latch role there,
            // as the board's startServo() binds it to the on-board servo
            if (servo.device.deviceId !== d.deviceId) await this.bindRole(d, "latch", servo.device.deviceId, servo.serviceIndex, since)
            const reg = servo.register(ServoReg.Angle)
            const read = async () => {
                await reg.refresh() // refresh(true) would answer from the first value read, forever
                const a = reg.unpackedValue?.[0] as number | undefined
                if (a !== undefined && a !== this.probedAngle) {
                    this.probedAngle = a
                    this.latchMoves.push({ angle: a, at: Date.now() })
                    this.followLatch()
                }
            }
            await read()
            this.probe ??= setInterval(() => void read().catch(() => {}), 50)
        } else await bind("latch", this.latch)
    }

    /**
     * Binds one firmware role through the lock's role manager and waits for the role manager's
     * "set role ROLE -> ID:n" line (the board's console; logs since `since`). Asked again every
     * second: a role the firmware creates late (the door's, after "lock: ready") cannot be bound
     * before it exists. Without such a line after 5 s (a console that does not show the role
     * manager's lines), it goes on.
     */
    private async bindRole(d: HubBoardDevice, role: string, deviceId: string, serviceIndex: number, since: number) {
        const want = `${shortDeviceId(deviceId)}:${serviceIndex}`
        const bound = () => {
            let last: string | undefined
            for (let i = since; i < this.logs.length; i++) {
                const m = /set role (\S+) -> (\S+)/.exec(this.logs[i])
                if (m && m[1] === role) last = m[2]
                else if (new RegExp(`clear role ${role}$`).test(this.logs[i])) last = undefined
            }
            return last === want
        }
        const end = Date.now() + 5000
        while (!bound() && Date.now() < end) {
            await d.bindRole(role, deviceId, serviceIndex)
            const until = Math.min(end, Date.now() + 1000)
            while (!bound() && Date.now() < until) await sleep(20)
        }
    }

    /** Opens (true) or shuts (false) the door: the contact's magnet leaves or meets the sensor. */
    setDoor(open: boolean) {
        if (!this.door) throw new Error("this profile has no door sensor (board.pins.doorSensor)")
        if (open) this.door.inactive()
        else this.door.active()
    }

    /** Whether the door is open (false without a door sensor). */
    isDoorOpen(): boolean {
        return !!this.door && Math.abs((this.door.reading.values() as [number])[0]) < 0.3
    }

    /** Cuts the power at this very moment. Flash keeps only what the firmware had saved. */
    powerCut() {
        this.device.powerCut()
    }

    /** Power cut, then power on again with the same flash. */
    async restart(): Promise<void> {
        this.powerCut()
        await sleep(20)
        await this.powerOn()
    }

    /** Cuts the power the moment the firmware's next flash write has been kept. */
    cutPowerAtNextFlashWrite() {
        this.device.cutPowerAtNextFlashWrite()
    }

    /**
     * When the in-process VM's flash holds a program other than this board's image (an earlier
     * build, or another image: npm start after npm start -- --fast), the next power-on writes this
     * one, settings kept, as `devs deploy` does. True when it will.
     */
    redeployIfStale(): boolean {
        const d = this.device as { flash?: Flash; deployAtNextPowerOn?: () => void }
        const image = d.flash?.image
        if (!d.deployAtNextPowerOn || !image || image.length === 0 || !hasFstor(image) || holdsProgram(image, this.bytecode)) return false
        d.deployAtNextPowerOn()
        return true
    }

    /** Erases the flash chip (settings and program; the program is written again at power-on). */
    async wipeFlash() {
        await this.device.wipeFlash()
    }

    /** Has the latch been driven to the unlocked angle since move index `from`? */
    openedSince(from: number): boolean {
        const open = this.options.profile.latch.unlockedAngle
        return this.latchMoves.slice(from).some(m => Math.abs(m.angle - open) < 1)
    }

    get running() {
        return this.device.running
    }

    async dispose() {
        if (this.probe) clearInterval(this.probe)
        await this.device.dispose()
        await this.bus.dispose()
    }

    /** Calls `listener` with every console line from now on; returns a function that stops it. */
    onLine(listener: (line: string) => void): () => void {
        this.listeners.push(listener)
        return () => {
            const i = this.listeners.indexOf(listener)
            if (i >= 0) this.listeners.splice(i, 1)
        }
    }

    private log(line: string) {
        this.logs.push(line)
        if (this.options.echo) console.log(line)
        for (const l of this.listeners) l(line)
    }

    /** Resolves when a console line after index `from` matches; rejects after `timeoutMs`. */
    waitForLog(re: RegExp, timeoutMs = 5000, from = this.logs.length): Promise<string> {
        for (let i = from; i < this.logs.length; i++) if (re.test(this.logs[i])) return Promise.resolve(this.logs[i])
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                remove()
                const recent = this.logs.filter(l => l.startsWith("> ")).slice(-12).join("\n  ")
                reject(new Error(`timed out after ${timeoutMs} ms waiting for a firmware log matching ${re}; last lines:\n  ${recent}`))
            }, timeoutMs)
            const listener = (line: string) => {
                if (re.test(line)) {
                    clearTimeout(timer)
                    remove()
                    resolve(line)
                }
            }
            const remove = () => this.listeners.splice(this.listeners.indexOf(listener), 1)
            this.listeners.push(listener)
        })
    }

    private keyIndex(key: string): number {
        const i = this.options.profile.keypad.labels.indexOf(key)
        if (key.length !== 1 || i < 0) throw new Error(`no key "${key}" on this keypad`)
        return i
    }

    /** Key goes down (reading and Down event, as a real keypad server reports it). */
    async keyDown(key: string) {
        const i = this.keyIndex(key)
        await this.keypad.down(i as never)
        await this.keypad.sendEvent(MatrixKeypadEvent.Down, jdpack("u8", [i]))
    }

    async keyUp(key: string) {
        const i = this.keyIndex(key)
        await this.keypad.up(i as never)
        await this.keypad.sendEvent(MatrixKeypadEvent.Up, jdpack("u8", [i]))
    }

    /** Presses and releases a key, holding it `holdMs`. */
    async press(key: string, holdMs = KEY_HOLD_MS) {
        await this.keyDown(key)
        await sleep(holdMs)
        await this.keyUp(key)
    }

    /** Types a sequence such as "2580#", with `gapMs` between keys. */
    async type(keys: string, gapMs = 30) {
        for (const k of keys) {
            await this.press(k)
            await sleep(gapMs)
        }
    }

    /**
     * Holds the inside program button for `holdMs`, then leaves it released long enough for the
     * button server (which samples every 50 ms) to report the release before any next press.
     */
    async pressProgramButton(holdMs = 150) {
        await this.program.down()
        await sleep(holdMs)
        await this.program.up()
        await sleep(120)
    }

    /**
     * The setup ritual at the door: program button, `code` + '#', the same code + '#'. Resolves
     * once the lock says the code is saved and its success tune has played (so that the tune is
     * never taken for the answer to whatever is typed next).
     */
    async setUpMaster(code: string, timeoutMs = 5000) {
        const mark = this.logs.length
        await this.pressProgramButton()
        await this.waitForLog(/setup: enter new code/, timeoutMs, mark)
        await this.type(code + "#")
        await this.waitForLog(/setup: enter the same code again/, timeoutMs, mark)
        const heard = this.heard.length
        await this.type(code + "#")
        await this.waitForLog(/setup: code saved/, timeoutMs, mark)
        await this.waitForSound("success", heard, timeoutMs)
    }

    /**
     * Sets the lock's wall clock to `wall` ("YYYY-MM-DD hh:mm" or "YYYY-MM-DD hh:mm:ss", local
     * time) through the TEST firmware's Real Time Clock service (firmware-fast only: the shipping
     * firmware has no unauthenticated way to set its clock). Resolves once the firmware says so.
     */
    async setClock(wall: string, timeoutMs = 5000): Promise<void> {
        const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?$/.exec(wall)
        if (!m) throw new Error(`setClock: "${wall}" is not "YYYY-MM-DD hh:mm[:ss]"`)
        const [y, mo, d, h, mi, sec] = m.slice(1).map(x => Number(x ?? 0))
        const dow = ((new Date(Date.UTC(y, mo - 1, d)).getUTCDay() + 6) % 7) + 1 // 1 Monday .. 7 Sunday
        const end = Date.now() + timeoutMs
        let clock = this.clockService()
        while (!clock) {
            if (Date.now() > end) throw new Error("setClock: no clock service on the bus (is this the test firmware, firmware-fast?)")
            await sleep(50)
            clock = this.clockService()
        }
        const mark = this.logs.length
        await clock.sendCmdPackedAsync(RealTimeClockCmd.SetTime, [y, mo, d, dow, h, mi, sec], false)
        await this.waitForLog(/lock: clock (set|refused)/, Math.max(500, end - Date.now()), mark)
    }

    private clockService() {
        return this.bus.services({ serviceClass: SRV_REAL_TIME_CLOCK }).find(s => s.device.deviceId !== SIMULATED_PARTS_ID)
    }

    /** The last recovery code the firmware showed (digits only), or undefined. */
    recoveryCode(): string | undefined {
        for (let i = this.logs.length - 1; i >= 0; i--) {
            const m = /RECOVERY CODE[^:]*: (\d{4}) (\d{4}) (\d{4})/.exec(this.logs[i])
            if (m) return m[1] + m[2] + m[3]
        }
        return undefined
    }

    /** The angle the firmware last commanded the latch servo to. */
    latchAngle(): number {
        if (this.probedAngle !== undefined) return this.probedAngle
        return this.latch.angle.values()[0] as number
    }

    /** Is `angle` the profile's unlocked angle? */
    isUnlockedAngle(angle: number): boolean {
        return Math.abs(angle - this.options.profile.latch.unlockedAngle) < 1
    }

    /** Is the latch at the profile's locked angle? */
    isLocked(): boolean {
        return Math.abs(this.latchAngle() - this.options.profile.latch.lockedAngle) < 1
    }

    isUnlocked(): boolean {
        return Math.abs(this.latchAngle() - this.options.profile.latch.unlockedAngle) < 1
    }

    /** Resolves when `cond()` holds (polled every 10 ms); rejects with `what` after `timeoutMs`. */
    async waitUntil(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
        const end = Date.now() + timeoutMs
        while (!cond()) {
            if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
            await sleep(10)
        }
    }

    /** Waits for the next tune named `sound` heard after index `from` of `heard`. */
    async waitForSound(sound: string, from: number, timeoutMs = 5000): Promise<Heard> {
        let found: Heard | undefined
        await this.waitUntil(
            () => (found = this.heard.slice(from).find(h => h.sound === sound)) !== undefined,
            `the "${sound}" sound`,
            timeoutMs,
        )
        return found!
    }
}
