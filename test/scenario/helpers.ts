/** Shared set-up for scenario tests: a simulated board running real firmware bytecode. */
import { afterEach } from "vitest"
import { loadProfile } from "../../scripts/profile-io"
import { join } from "node:path"
import { ROOT } from "../../sim/paths"
import { SimulatedBoard, sleep } from "../../sim/board"
import type { Profile } from "../../src/config/types"

export { sleep }

/** devs.json with the fast test timings laid over it (what build/firmware-fast.devs was built from). */
export const FAST_PROFILE: Profile = loadProfile(join(ROOT, "test", "fixtures", "fast-timing.json"))
/** devs.json as it ships (what build/firmware.devs was built from). */
export const SHIPPING_PROFILE: Profile = loadProfile()

/** A master code that passes the weak-code rules. */
export const MASTER = "4719"

const boards: SimulatedBoard[] = []
afterEach(async () => {
    for (const b of boards.splice(0)) await b.dispose()
})

/** Powers on a fresh board (empty flash) running the fast firmware, or the shipping one. */
export async function freshBoard(firmware: "firmware-fast" | "firmware" = "firmware-fast"): Promise<SimulatedBoard> {
    const profile = firmware === "firmware" ? SHIPPING_PROFILE : FAST_PROFILE
    const b = new SimulatedBoard({ profile, firmware, echo: !!process.env.LATCHKEY_ECHO })
    boards.push(b)
    await b.powerOn()
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
