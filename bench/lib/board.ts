/**
 * Simulated boards for the benchmarks (the real firmware bytecode in the in-process VM, driven
 * only through its Jacdac peripherals), plus the few flows every benchmark needs. When enrolment
 * changes, change setUpMaster/enrol here.
 */
import { join } from "node:path"
import { loadProfile } from "../../host/profile-io"
import { SimulatedBoard, sleep } from "../../sim/board"
import { ROOT } from "../../host/paths"
import { readBytecode, VmTransport } from "../../sim/vm"
import type { Profile } from "../../src/config/types"

export { SimulatedBoard, sleep }

export const MASTER = "4719"
export const FAST_PROFILE: Profile = loadProfile(join(ROOT, "test", "fixtures", "fast-timing.json"))
export const SHIPPING_PROFILE: Profile = loadProfile()

export function newBoard(firmware: "firmware" | "firmware-fast" = "firmware-fast", echo = !!process.env.LATCHKEY_ECHO): SimulatedBoard {
    return new SimulatedBoard({ profile: firmware === "firmware" ? SHIPPING_PROFILE : FAST_PROFILE, firmware, echo })
}

/** Setup ritual (SimulatedBoard.setUpMaster); resolves when the code is saved. */
export async function setUpMaster(b: SimulatedBoard, code = MASTER) {
    await b.setUpMaster(code)
}

const ANSWERS = /lock: (unlocked|wrong code|invalid entry length|setup:)/

/** Types `code#` and resolves with the firmware's log line that answered it. */
export async function attempt(b: SimulatedBoard, code: string, timeoutMs = 5000): Promise<string> {
    const mark = b.logs.length
    await b.type(code + "#")
    return await b.waitForLog(ANSWERS, timeoutMs, mark)
}

/**
 * Calls `hook(mod)` with the emscripten module of every VM powered on from now on, before its
 * first time slice runs (e.g. to turn on GC stress or sample the heap). Returns an undo function.
 */
export function onVmPowerOn(hook: (mod: any) => void): () => void {
    const orig = VmTransport.prototype.powerOn
    VmTransport.prototype.powerOn = async function (this: VmTransport, opts) {
        const run = await orig.call(this, opts)
        hook((run as any).mod)
        return run
    }
    return () => {
        VmTransport.prototype.powerOn = orig
    }
}

/** Powers `b` on running `bytecode` written over whatever program its flash holds (settings kept). */
export async function powerOnWithProgram(b: SimulatedBoard, name: string) {
    const anyB = b as any
    const transport: VmTransport = anyB.transport
    if (!transport.connected) await transport.connect()
    const mark = b.logs.length
    anyB.run = await transport.powerOn({ bytecode: readBytecode(name), flash: b.flash, deploy: true, onLog: (l: string) => anyB.log(l) })
    await b.waitForLog(/lock: ready/, 15000, mark)
}
