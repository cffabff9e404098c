/**
 * The real DeviceScript VM (WASM, sliced from the pinned CLI by scripts/build.ts) running
 * compiled firmware bytecode in this process, attached to a jacdac-ts bus through a Transport.
 * No sockets and no fixed ports: many VMs can run side by side (one per test file).
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import { JDBus, Transport } from "jacdac-ts"
import { ROOT } from "../host/paths"

const require = createRequire(import.meta.url)

/** The emscripten module instance's API, as far as we use it. */
interface DevsModule {
    devsSetDeviceId(id: string): void
    devsDeploy(bytecode: Uint8Array): number
    devsStart(): void
    devsStop(): void
    devsIsRunning(): boolean
    handlePacket(frame: Uint8Array): void
    sendPacket: (frame: Uint8Array) => void
    dmesg: (line: string) => void
    log: (...args: unknown[]) => void
    error: (...args: unknown[]) => void
    flashLoad: (() => Uint8Array) | null
    flashSave: ((image: Uint8Array) => void) | null
    panicHandler?: (exitCode: number) => void
    /** Size of the emulated flash, read once at start (the VM's own default is 128 KB). */
    flashSize?: number
    /** Closes the firmware's TCP/TLS socket, if it has one (the VM's sockets are Node's). */
    sockClose?: () => number
    /** Hands a socket event (4: data at `ptr`, `len` bytes) to the runtime, which copies the data. */
    _jd_em_tcpsock_on_event: (event: number, ptr: number, len: number) => void
}

/** The socket event that carries received data (jd_tcpsock_on_event's JD_CONN_EV_MESSAGE). */
const SOCKET_DATA = 4

/**
 * How many bytes of received socket data reach the firmware at a time. The ESP32 port reads its
 * socket into a 128-byte buffer and hands each read to the runtime as one data event
 * (devicescript-esp32 main/sock.c: recv into sockbuf[128], in a loop until nothing is left), so a
 * board's firmware sees a burst as many small pieces; Node would hand it over in one. The
 * firmware must take both.
 */
export const SOCKET_CHUNK_BYTES = 128

/**
 * The emulated flash: 256 KB, the size of the ESP32 "fstor" partition (devicescript-esp32
 * boards/partitions.csv). Settings live in its header pages, 1/16 of it: 16 KB, as on the
 * board; the VM's default of 128 KB would give them only 8 KB.
 */
export const FLASH_BYTES = 256 * 1024

type DevsFactory = (opts?: object) => Promise<DevsModule>
let factory: DevsFactory | undefined

function vmFactory(): DevsFactory {
    if (!factory) {
        const path = join(ROOT, "build", "devicescript-vm.cjs")
        try {
            factory = require(path) as DevsFactory
        } catch (e) {
            throw new Error(`cannot load ${path} (run \`npm run build\` first): ${(e as Error).message}`)
        }
    }
    return factory
}

/** Reads a compiled firmware image from build/ (e.g. "firmware", "firmware-fast", "core-door-tests"). */
export function readBytecode(name: string): Uint8Array {
    const path = join(ROOT, "build", `${name}.devs`)
    try {
        return new Uint8Array(readFileSync(path))
    } catch {
        throw new Error(`missing ${path}: run \`npm run build\` first`)
    }
}

/** The flash chip of a simulated board: survives power cuts, lost on `wipe()`. */
export class Flash {
    image: Uint8Array = new Uint8Array(0)
    /** Number of times the VM wrote the flash. */
    saves = 0
    /** Called after each write has been kept (e.g. to cut the power at that exact moment). */
    onSave: (() => void) | undefined
    wipe() {
        this.image = new Uint8Array(0)
    }
    /** Calls `cut` once, right after the next write has been kept (replacing any onSave). */
    cutAtNextSave(cut: () => void) {
        this.onSave = () => {
            this.onSave = undefined
            cut()
        }
    }
}

export interface VmOptions {
    bytecode: Uint8Array
    flash: Flash
    deviceId?: string
    /**
     * Write `bytecode` to flash before starting (as `devs deploy` does). Without it the VM boots
     * whatever program its flash holds, like a real board after a power cut.
     */
    deploy: boolean
    /** Receives each console line of the firmware (lines starting "> " are its console.log). */
    onLog?: (line: string) => void
    /** Emulated flash size in bytes (default FLASH_BYTES, the ESP32's). */
    flashBytes?: number
    /** Received socket data reaches the firmware in pieces of at most this many bytes (default SOCKET_CHUNK_BYTES, the ESP32's; 0: as Node reads it). */
    socketChunkBytes?: number
}

/** One powered-on run of the VM. Stop it to "cut the power"; the Flash object keeps what was saved. */
export class VmRun {
    private stopped = false
    constructor(private readonly mod: DevsModule, private readonly transport: VmTransport) {}

    /** Delivers a frame from the bus to the firmware. */
    deliver(frame: Uint8Array) {
        if (!this.stopped) this.mod.handlePacket(frame)
    }

    /** Cuts the power: the VM stops at once, mid-whatever it was doing. */
    stop() {
        if (this.stopped) return
        this.stopped = true
        this.mod.devsStop()
        // a board without power holds no connection: its socket (an MQTT link) closes with it
        this.mod.sockClose?.()
        // whatever the VM still does in its current slice can neither be seen nor persisted
        this.mod.sendPacket = () => {}
        this.mod.flashSave = () => {}
        this.transport.detach(this)
    }

    get running() {
        return !this.stopped
    }
}

/**
 * A jacdac-ts Transport whose other end is the in-process VM. Frames from the VM enter the bus
 * as if they came over a wire; frames the bus sends are handed to the VM.
 */
export class VmTransport extends Transport {
    private run: VmRun | undefined

    constructor() {
        super("devicescript-vm", { checkPulse: false })
    }

    /** Powers the VM on with `opts.bytecode`, restoring the flash image. */
    async powerOn(opts: VmOptions): Promise<VmRun> {
        if (this.run?.running) throw new Error("the VM is already running: power it off first")
        const mod = await vmFactory()()
        mod.flashSize = opts.flashBytes ?? FLASH_BYTES
        const onLog = opts.onLog ?? (() => {})
        mod.dmesg = line => onLog(line)
        mod.log = (...a) => onLog(a.join(" "))
        mod.error = (...a) => onLog(`error: ${a.join(" ")}`)
        // a crash stops the firmware program (the VM itself keeps answering on the bus)
        mod.panicHandler = code => {
            if (code) onLog(`vm: PANIC ${code}`)
        }
        const chunk = opts.socketChunkBytes ?? SOCKET_CHUNK_BYTES
        if (chunk > 0) {
            const onEvent = mod._jd_em_tcpsock_on_event
            mod._jd_em_tcpsock_on_event = (event, ptr, len) => {
                if (event !== SOCKET_DATA || len <= chunk) return onEvent(event, ptr, len)
                for (let at = 0; at < len; at += chunk) onEvent(event, ptr + at, Math.min(chunk, len - at))
            }
        }
        mod.flashLoad = () => opts.flash.image
        mod.flashSave = image => {
            opts.flash.image = new Uint8Array(image)
            opts.flash.saves++
            opts.flash.onSave?.()
        }
        const run = new VmRun(mod, this)
        mod.sendPacket = frame => {
            if (run.running) this.handleFrame(new Uint8Array(frame))
        }
        mod.devsSetDeviceId(opts.deviceId ?? "1a7c4b3e9d2f0a55")
        if (opts.deploy) {
            const err = mod.devsDeploy(opts.bytecode)
            if (err !== 0) throw new Error(`the VM refused the bytecode (devsDeploy returned ${err})`)
        }
        this.run = run
        mod.devsStart()
        return run
    }

    /** @internal */
    detach(run: VmRun) {
        if (this.run === run) this.run = undefined
    }

    protected async transportSendPacketAsync(frame: Uint8Array): Promise<void> {
        this.run?.deliver(frame)
    }
    protected async transportConnectAsync(): Promise<void> {}
    protected async transportDisconnectAsync(): Promise<void> {
        this.run?.stop()
    }
}

/** A bus whose only wire leads to the VM transport. */
export function createVmBus(transport: VmTransport): JDBus {
    const bus = new JDBus([transport], { client: false, disableRoleManager: true })
    return bus
}

/** What a program run by `runProgram` printed, and how it ended. */
export interface ProgramRun {
    lines: string[]
    /** The line that matched `until`, or null (timed out, or the program stopped first). */
    matched: string | null
    /** The program stopped by itself (e.g. a panic) before `until` matched. */
    stopped: boolean
}

/**
 * Runs build/<name>.devs alone in a fresh VM (empty flash) until it prints a line matching
 * `until`, the program stops, or `timeoutMs` passes; then powers it off.
 */
export async function runProgram(name: string, until: RegExp, timeoutMs: number): Promise<ProgramRun> {
    const transport = new VmTransport()
    const bus = createVmBus(transport)
    bus.start()
    await transport.connect()
    const out: ProgramRun = { lines: [], matched: null, stopped: false }
    let done!: () => void
    const finished = new Promise<void>(r => (done = r))
    const run = await transport.powerOn({
        bytecode: readBytecode(name),
        flash: new Flash(),
        deploy: true,
        onLog: line => {
            out.lines.push(line)
            if (out.matched === null && until.test(line)) {
                out.matched = line
                done()
            }
            // a panic (e.g. InfiniteLoop) ends the program: give its last words a moment, then stop
            if (/^\* stop program/.test(line)) {
                out.stopped = true
                setTimeout(done, 200)
            }
        },
    })
    const timer = setTimeout(done, timeoutMs)
    try {
        await finished
    } finally {
        clearTimeout(timer)
        run.stop()
        await bus.dispose()
    }
    return out
}

/**
 * Whether a flash image holds `bytecode` as its program: the VM writes the program's bytes as they
 * are, but the image it saves ends at its last non-zero byte, so the program's trailing zeros may
 * be cut off.
 */
export function holdsProgram(image: Uint8Array, bytecode: Uint8Array): boolean {
    let end = bytecode.length
    while (end > 0 && bytecode[end - 1] === 0) end--
    if (end === 0) return false
    return Buffer.from(image.buffer, image.byteOffset, image.byteLength).indexOf(Buffer.from(bytecode.buffer, bytecode.byteOffset, end)) >= 0
}
