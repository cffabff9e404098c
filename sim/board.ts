/**
 * A simulated lock board: the real firmware bytecode in the real DeviceScript VM, plus the
 * lock's peripherals as standard jacdac-ts servers on the same bus (keypad, latch servo, buzzer,
 * program button). The simulator front ends and the scenario tests drive it ONLY through those
 * peripherals, exactly as a person at the door would.
 */
import {
    BuzzerServer,
    ButtonServer,
    JDBus,
    JDServerServiceProvider,
    JDServiceServer,
    jdpack,
    Packet,
    MatrixKeypadEvent,
    MatrixKeypadServer,
    ServoServer,
} from "jacdac-ts"
import type { Profile } from "../src/config/types"
import { soundOfTone } from "../src/firmware/tones"
import { createVmBus, Flash, readBytecode, VmRun, VmTransport } from "./vm"

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
}

const KEY_HOLD_MS = 50

export const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, ms))

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
    readonly flash = new Flash()
    readonly keypad: MatrixKeypadServer
    readonly latch: ServoServer
    readonly buzzer: BuzzerServer
    readonly program: ButtonServer
    /** Every firmware console line since creation (dmesg and console.log). */
    readonly logs: string[] = []
    /** Every tune heard since creation. */
    readonly heard: Heard[] = []
    /** Every angle the firmware drove the latch to, with when (Date.now ms). */
    readonly latchMoves: { angle: number; at: number }[] = []
    private readonly transport = new VmTransport()
    private readonly bytecode: Uint8Array
    private run: VmRun | undefined
    private readonly listeners: ((line: string) => void)[] = []

    constructor(readonly options: BoardOptions) {
        this.bytecode = readBytecode(options.firmware ?? "firmware")
        this.bus = createVmBus(this.transport)
        const { labels } = options.profile.keypad
        this.keypad = new MatrixKeypadServer(3, 4, labels.split(""))
        this.latch = new ServoServer({ instanceName: "latch" } as never)
        this.buzzer = new BuzzerServer({ instanceName: "buzzer" } as never)
        this.program = new ButtonServer("program", false)
        this.bus.addServiceProvider(
            new JDServerServiceProvider("latchkey-hardware", [this.keypad, this.latch, this.buzzer, this.program], {
                deviceId: "5e11ab0a7d000001",
            }),
        )
        sendEventsOnce(this.keypad)
        sendEventsOnce(this.program)
        this.buzzer.on(BuzzerServer.PLAY_TONE, (t: { frequency: number }) => {
            const sound = soundOfTone(t.frequency)
            if (sound) this.heard.push({ sound, at: Date.now() })
        })
        this.latch.angle.on("change", () => {
            this.latchMoves.push({ angle: this.latchAngle(), at: Date.now() })
        })
        this.bus.start()
    }

    /** Powers the board on (keeping flash) and resolves once the firmware says it is ready. */
    async powerOn(timeoutMs = 15000): Promise<void> {
        const mark = this.logs.length
        if (!this.transport.connected) await this.transport.connect()
        this.run = await this.transport.powerOn({
            bytecode: this.bytecode,
            flash: this.flash,
            deploy: this.flash.image.length === 0,
            onLog: line => this.log(line),
        })
        await this.waitForLog(/lock: ready/, timeoutMs, mark)
    }

    /** Cuts the power at this very moment. Flash keeps only what the firmware had saved. */
    powerCut() {
        this.run?.stop()
        this.run = undefined
    }

    /** Power cut, then power on again with the same flash. */
    async restart(): Promise<void> {
        this.powerCut()
        await sleep(20)
        await this.powerOn()
    }

    /** Cuts the power the moment the firmware's next flash write has been kept. */
    cutPowerAtNextFlashWrite() {
        this.flash.onSave = () => {
            this.flash.onSave = undefined
            this.powerCut()
        }
    }

    /** Erases the flash chip (settings and program; the program is written again at power-on). */
    wipeFlash() {
        if (this.running) throw new Error("power the board off before wiping its flash")
        this.flash.wipe()
    }

    /** Has the latch been driven to the unlocked angle since move index `from`? */
    openedSince(from: number): boolean {
        const open = this.options.profile.latch.unlockedAngle
        return this.latchMoves.slice(from).some(m => Math.abs(m.angle - open) < 1)
    }

    get running() {
        return !!this.run?.running
    }

    async dispose() {
        this.powerCut()
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

    /** The angle the firmware last commanded the latch servo to. */
    latchAngle(): number {
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
