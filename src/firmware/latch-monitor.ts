/**
 * Jammed-latch detection on the firmware side: feeds the pure monitor (src/core/latch.ts) with
 * every commanded latch angle, the latch-position switch and a tick, and applies its effects
 * (re-drive the servo; on a jam its tune, and the lock is told: LockJammed in its audit log and as
 * an alarm, and its lock_state from latchState). Only where devs.json configures
 * `board.pins.latchSensor`; the switch is the Jacdac role "latchSensor" (on-board on the lock,
 * hosted on the bus by the simulator and tests).
 */
import * as ds from "@devicescript/core"
import { createLatchMonitor, LatchEffect, LatchInput, LatchMonitor, latchState, latchStep } from "../core/latch"
import { LockPart } from "../core/audit"
import { ROLE_NAMES } from "./board.g"
import { guardPart } from "./bus-guard"
import { PROFILE } from "../config/profile.g"
import { playSound, setLatchAngle, watchLatch } from "./hardware"

const TICK_MS = 100

let monitor: LatchMonitor = null
const inbox: LatchInput[] = []
let busy = false
let jamReport: (locked: boolean) => void = null

/** Tells `report(locked)` of every LockJammed (`locked`: the position the latch did not reach). */
export function reportJams(report: (locked: boolean) => void) {
    jamReport = report
}

/** The lock_state to report for a latch last commanded to `locked` (see core latchState). */
export function reportedLatchState(locked: boolean): number {
    return latchState(monitor, locked)
}

async function apply(e: LatchEffect) {
    if (e.type === "drive") {
        await setLatchAngle(e.locked ? PROFILE.latch.lockedAngle : PROFILE.latch.unlockedAngle)
    } else if (e.type === "jammed") {
        await playSound("jammed")
        if (jamReport) jamReport(e.target)
    } else if (e.type === "log") {
        console.log(e.message)
    }
}

/** One queue, like the lock's: inputs are applied in order, one at a time. */
async function post(input: LatchInput) {
    inbox.push(input)
    if (busy) return
    busy = true
    try {
        while (inbox.length > 0) {
            const effects = latchStep(monitor, inbox.shift(), ds.millis())
            for (const e of effects) await apply(e)
        }
    } finally {
        busy = false
    }
}

function isLocked(angle: number) {
    return Math.abs(angle - PROFILE.latch.lockedAngle) < 1
}

/** Starts watching the latch, if the board has a latch-position switch. */
export function startLatchMonitor() {
    if (PROFILE.board.pins.latchSensor === undefined || PROFILE.board.pins.latchSensor === null) return
    monitor = createLatchMonitor(PROFILE.latch.jamTimeoutMs)
    const sensor = new ds.Switch(ROLE_NAMES.latchSensor)
    guardPart(sensor, LockPart.LatchSensor)
    let lastCommand: boolean = null
    let bound = false
    // a move is only timed once the switch can answer: until it is bound, remember the command
    watchLatch(async angle => {
        lastCommand = isLocked(angle)
        if (bound) await post({ type: "command", locked: lastCommand })
    })
    sensor.binding().subscribe(async b => {
        bound = b
        if (b && lastCommand !== null) await post({ type: "command", locked: lastCommand })
    })
    sensor.reading.subscribe(async v => {
        await post({ type: "sensor", locked: !!v })
    })
    setInterval(async () => {
        if (inbox.length === 0) await post({ type: "tick" })
    }, TICK_MS)
}
