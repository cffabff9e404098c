/**
 * The timing test at the door (bench:ct --door-samples N): the shipping firmware (build/firmware.devs)
 * in the in-process VM with jacdac-ts keypad, buzzer and latch servo, 250 users on flash, one of them
 * NonAccess. A sample is one code typed, timed from the '#' key going down on the bus to the first
 * effect at the door: the first tune that is not a key click, or the latch servo driven open
 * (performance.now() in the host's listeners). Classes picked at random per sample: a wrong code or
 * the NonAccess user's right code. After every 4 samples the master code is typed (it clears the
 * failure counter, so no lockout ever starts) and timed too, as the "opens" class against the wrong
 * codes around it: a code that opens answers with the latch.
 */
import { performance } from "node:perf_hooks"
import { BuzzerServer, REPORT_RECEIVE } from "jacdac-ts"
import { loadProfile } from "../../host/profile-io"
import { UserType } from "../../src/core/index"
import { SimulatedBoard, sleep } from "../../sim/board"
import { provision, ProvisionedUser } from "../../sim/provision"

const MASTER = "4719"
const REFUSED_SLOT = 137

export interface DoorRun {
    /** [wrong, refused] timings in ms, with their class, in the order taken. */
    times: number[]
    classes: number[]
    /** The master code's timings (opens), and the wrong codes'. */
    opens: number[]
    seconds: number
}

function codeOf(slot: number): string {
    return String(10000000 + slot * 7919).slice(-8)
}

export async function runDoor(samples: number, keyMs: number, gapMs: number, progress: (line: string) => void): Promise<DoorRun> {
    const started = performance.now()
    const profile = loadProfile()
    const board = new SimulatedBoard({ profile, firmware: "firmware", echo: !!process.env.LATCHKEY_ECHO })
    await board.powerOn()
    await board.setUpMaster(MASTER)
    board.powerCut()
    const users: ProvisionedUser[] = [{ slot: 1, code: MASTER, name: "owner" }]
    for (let s = 2; s <= 250; s++) users.push({ slot: s, code: codeOf(s), name: `guest ${s}`, type: s === REFUSED_SLOT ? UserType.NonAccess : undefined })
    provision(board.flash.image, { users, auditEntries: 0 })
    const at = board.logs.length
    await board.powerOn()
    await board.waitForLog(/boot: 250 user\(s\)/, 15000, at)

    let t0 = 0
    let first = 0
    const mark = () => {
        if (t0 > 0 && first === 0) first = performance.now()
    }
    // the board's own listener (registered first) has pushed the tune's name by the time this runs
    const onTone = () => {
        const h = board.heard[board.heard.length - 1]
        if (h && h.sound !== "key") mark()
    }
    const onAngle = () => {
        if (board.isUnlocked()) mark()
    }
    board.buzzer.on(BuzzerServer.PLAY_TONE, onTone)
    board.latch.angle.on(REPORT_RECEIVE, onAngle)
    const out: DoorRun = { times: [], classes: [], opens: [], seconds: 0 }
    const refused = codeOf(REFUSED_SLOT)
    const timeOne = async (code: string): Promise<number> => {
        for (const k of code) {
            await board.press(k, keyMs)
            await sleep(gapMs)
        }
        first = 0
        t0 = performance.now()
        await board.keyDown("#")
        await board.waitUntil(() => first > 0, "an answer at the door", 5000)
        const dt = first - t0
        t0 = 0
        await board.keyUp("#")
        await sleep(gapMs)
        return dt
    }
    try {
        for (let i = 0; i < samples; i++) {
            const cls = Math.random() < 0.5 ? 0 : 1
            const wrong = "8" + String(Math.floor(Math.random() * 1e7)).padStart(7, "0")
            out.times.push(await timeOne(cls === 0 ? wrong : refused))
            out.classes.push(cls)
            if (i % 4 === 3) out.opens.push(await timeOne(MASTER))
            if ((i + 1) % 100 === 0) progress(`ct: door ${i + 1}/${samples}, ${((performance.now() - started) / 1000).toFixed(0)} s`)
        }
    } finally {
        board.buzzer.off(BuzzerServer.PLAY_TONE, onTone)
        board.latch.angle.off(REPORT_RECEIVE, onAngle)
        await board.dispose()
    }
    out.seconds = (performance.now() - started) / 1000
    return out
}
