/**
 * Shared set-up for scenario tests: a simulated board running real firmware bytecode.
 *
 * The same scenario files run wherever the firmware runs, chosen by the HIL environment variable:
 *   (unset)      the VM in this process (npm test)
 *   HIL=vm       a `devs run <bytecode> --tcp` VM process per board on the devtools hub
 *   HIL=serial   the flashed board behind `devs devtools --serial` (npm run test:hil starts it)
 *   HIL=tcp      whatever lock is already on a running hub (you started the hub yourself)
 * `npm run test:hil` starts the hub and runs these files one at a time (its ports are fixed).
 */
import { afterEach, beforeAll, it } from "vitest"
import { loadProfile } from "../../scripts/profile-io"
import { join } from "node:path"
import { ROOT } from "../../sim/paths"
import { SimulatedBoard, sleep } from "../../sim/board"
import { DeviceCapabilities, InProcessDevice, LockDevice, VmProcessDevice } from "../../sim/device"
import { HubBoardDevice } from "../../sim/board-device"
import { HUB_HOST, HUB_PORTS, portAnswers } from "../../sim/hil-hub"
import type { Profile } from "../../src/config/types"

export { sleep }

/** devs.json with the fast test timings laid over it (what build/firmware-fast.devs was built from). */
export const FAST_PROFILE: Profile = loadProfile(join(ROOT, "test", "fixtures", "fast-timing.json"))
/** devs.json as it ships (what build/firmware.devs was built from). */
export const SHIPPING_PROFILE: Profile = loadProfile()

/** A master code that passes the weak-code rules. */
export const MASTER = "4719"

/** Where the boards of this run live: "" (in-process), "vm", "serial" or "tcp". */
export const HIL = (process.env.HIL ?? "").toLowerCase()
if (!["", "vm", "serial", "tcp"].includes(HIL)) throw new Error(`HIL=${HIL}: expected vm, serial or tcp (or unset for the in-process VM)`)

function newDevice(): LockDevice {
    if (HIL === "vm") return new VmProcessDevice()
    if (HIL === "serial" || HIL === "tcp") return new HubBoardDevice()
    return new InProcessDevice()
}

/** What this run's devices can do (a scenario that needs more is skipped, and says so). */
export const CAPABILITIES: DeviceCapabilities = newDeviceCapabilities()
function newDeviceCapabilities(): DeviceCapabilities {
    if (HIL === "vm") return { powerCycle: true, wipeFlash: true, cutAtFlashWrite: false, jamLatch: true }
    if (HIL) return HubBoardDevice.CAPABILITIES
    return { powerCycle: true, wipeFlash: true, cutAtFlashWrite: true, jamLatch: true }
}

/** `it`, or `it.skip` when this run's device lacks `need` (e.g. an exact power cut on a board). */
export function itNeeds(need: keyof DeviceCapabilities) {
    return CAPABILITIES[need] ? it : it.skip
}

/** Generous waits through the hub: a separate process or a serial link, on a busy machine. */
const POWER_ON_MS = HIL ? 45000 : 15000

if (HIL)
    beforeAll(async () => {
        if (!(await portAnswers(HUB_PORTS.tcp)))
            throw new Error(
                `HIL=${HIL} needs the DeviceScript devtools hub on ${HUB_HOST}:${HUB_PORTS.tcp}; ` +
                    "run the suite with `npm run test:hil` (it starts the hub), or start `devs devtools` yourself",
            )
    })

const boards: SimulatedBoard[] = []
afterEach(async () => {
    for (const b of boards.splice(0)) await b.dispose()
})

/** Powers on a fresh board (empty flash) running the fast firmware, or the shipping one. */
export async function freshBoard(firmware: "firmware-fast" | "firmware" = "firmware-fast"): Promise<SimulatedBoard> {
    const profile = firmware === "firmware" ? SHIPPING_PROFILE : FAST_PROFILE
    const b = new SimulatedBoard({ profile, firmware, echo: !!process.env.LATCHKEY_ECHO, device: newDevice() })
    boards.push(b)
    await b.powerOn(POWER_ON_MS)
    return b
}

/** Runs the setup ritual: program button, code + '#', same code + '#'; resolves when saved. */
export async function setUpMaster(b: SimulatedBoard, code = MASTER) {
    const mark = b.logs.length
    await b.pressProgramButton()
    await b.waitForLog(/setup: enter new code/, 3000, mark)
    await b.type(code + "#")
    await b.waitForLog(/setup: enter the same code again/, 3000, mark)
    await b.type(code + "#")
    await b.waitForLog(/setup: code saved/, 3000, mark)
}

const ANSWERS = ["success", "failure", "lockout", "step"]

/** Types `code#` and resolves with the sound that answered it ("success", "failure", "lockout", "step"). */
export async function attempt(b: SimulatedBoard, code: string): Promise<string> {
    const from = b.heard.length
    await b.type(code + "#")
    let answer: string | undefined
    await b.waitUntil(() => {
        answer = b.heard.slice(from).find(h => ANSWERS.includes(h.sound))?.sound
        return answer !== undefined
    }, `an answer to ${code.length} digits + #`)
    return answer!
}

/** A board that is set up and locked, on the fast firmware. */
export async function setUpBoard(): Promise<SimulatedBoard> {
    const b = await freshBoard()
    await setUpMaster(b)
    return b
}
