/**
 * The timing test at the door (bench:ct --door-samples N): the shipping firmware (build/firmware.devs)
 * in the in-process VM with jacdac-ts keypad, buzzer and latch servo, 250 users on flash, four of
 * them refused at the keypad (NonAccess, RemoteOnly, a week-day schedule user while the clock is
 * not set, and a disabled user). A sample is one code typed, timed from the '#' key going down on the bus to the
 * first effect at the door: the first tune that is not a key click, or the latch servo driven open
 * (performance.now() in the host's listeners). Classes picked at random per sample: a wrong code
 * (0.4 of the samples), one refused user's right code (0.45 shared among them), or the right code of an
 * Unrestricted user, which opens (0.15). After every 4 samples the master code is typed, untimed:
 * it clears the failure counter, so no lockout ever starts. Every class is drawn alike at every
 * place, so a sample typed right after an opening (the lock still finishing that answer) is as
 * likely in one class as in another.
 * `boards` boards run at once (in one process, each on its own bus), each taking its share of the
 * samples: they add noise to every class alike, never to one more than another.
 */
import { performance } from "node:perf_hooks"
import { BuzzerServer, REPORT_RECEIVE } from "jacdac-ts"
import { loadProfile } from "../../host/profile-io"
import { UserType } from "../../src/core/index"
import { SimulatedBoard, sleep } from "../../sim/board"
import { provision, ProvisionedUser } from "../../sim/provision"

/** As long as the other codes (8 digits): every class is typed with the same rhythm, so the
 * background notes of the previous answer's tune fall at the same point before each '#'. Typed
 * untimed every 4 samples to clear the failure counter. */
const MASTER = "47192058"

/** The refused users, by class (1, 2, 3; class 0 is a wrong code): name, slot, type. */
export const REFUSED: { name: string; slot: number; type: UserType; disabled?: boolean }[] = [
    { name: "nonaccess", slot: 137, type: UserType.NonAccess },
    { name: "remoteonly", slot: 138, type: UserType.RemoteOnly },
    { name: "clock_not_set", slot: 139, type: UserType.WeekDaySchedule },
    { name: "disabled", slot: 140, type: UserType.Unrestricted, disabled: true },
]

/** The class of a code that opens: the right code of an Unrestricted user (this slot). */
export const OPENS = { class: REFUSED.length + 1, slot: 200 }

export interface DoorRun {
    /** Wrong (0), refused (1 + index in REFUSED) and opening (OPENS.class) timings in ms, with their class, in the order taken. */
    times: number[]
    classes: number[]
    /** A random bit per sample: wrong codes split by it are the A/A null test. */
    halves: number[]
    /** 1 for a sample typed right after a code that opened the latch (timed or the untimed master code), else 0. */
    afterOpens: number[]
    seconds: number
}

function codeOf(slot: number): string {
    return String(10000000 + slot * 7919).slice(-8)
}

export async function runDoor(samples: number, keyMs: number, gapMs: number, progress: (line: string) => void, boards = 1): Promise<DoorRun> {
    const started = performance.now()
    let done = 0
    const tick = () => {
        done++
        if (done % 100 === 0) progress(`ct: door ${done}/${samples}, ${((performance.now() - started) / 1000).toFixed(0)} s`)
    }
    const shares = Array.from({ length: boards }, (_, i) => Math.floor(samples / boards) + (i < samples % boards ? 1 : 0))
    const runs = await Promise.all(shares.map(n => runBoard(n, keyMs, gapMs, tick)))
    const out: DoorRun = { times: [], classes: [], halves: [], afterOpens: [], seconds: (performance.now() - started) / 1000 }
    for (const r of runs) {
        out.times.push(...r.times)
        out.classes.push(...r.classes)
        out.halves.push(...r.halves)
        out.afterOpens.push(...r.afterOpens)
    }
    return out
}

async function runBoard(samples: number, keyMs: number, gapMs: number, tick: () => void): Promise<DoorRun> {
    const started = performance.now()
    const profile = loadProfile()
    const board = new SimulatedBoard({ profile, firmware: "firmware", echo: !!process.env.LATCHKEY_ECHO })
    await board.powerOn()
    await board.setUpMaster(MASTER)
    board.powerCut()
    const users: ProvisionedUser[] = [{ slot: 1, code: MASTER, name: "owner" }]
    for (let s = 2; s <= 250; s++) {
        const refused = REFUSED.find(r => r.slot === s)
        users.push({ slot: s, code: codeOf(s), name: `guest ${s}`, type: refused?.type, disabled: refused?.disabled })
    }
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
    const out: DoorRun = { times: [], classes: [], halves: [], afterOpens: [], seconds: 0 }
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
        let afterOpen = 0
        for (let i = 0; i < samples; i++) {
            const r = Math.random()
            const cls = r < 0.4 ? 0 : r < 0.85 ? 1 + Math.floor(((r - 0.4) / 0.45) * REFUSED.length) : OPENS.class
            const wrong = "8" + String(Math.floor(Math.random() * 1e7)).padStart(7, "0")
            const code = cls === 0 ? wrong : cls === OPENS.class ? codeOf(OPENS.slot) : codeOf(REFUSED[cls - 1].slot)
            out.times.push(await timeOne(code))
            out.classes.push(cls)
            out.halves.push(Math.random() < 0.5 ? 0 : 1)
            out.afterOpens.push(afterOpen)
            afterOpen = cls === OPENS.class ? 1 : 0
            if (i % 4 === 3) {
                await timeOne(MASTER)
                afterOpen = 1
            }
            tick()
        }
    } finally {
        board.buzzer.off(BuzzerServer.PLAY_TONE, onTone)
        board.latch.angle.off(REPORT_RECEIVE, onAngle)
        await board.dispose()
    }
    out.seconds = (performance.now() - started) / 1000
    return out
}
