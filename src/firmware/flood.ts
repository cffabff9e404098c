/**
 * The flood report of the lock's bus and companion inputs. Every refused frame (companion frames
 * over the companion throttle, core/throttle.ts, or that did not authenticate, and the
 * packets ./packet-limit.ts drops) counts towards the flood, which is reported (audited) once
 * when it has been quiet for FLOOD_QUIET_MS, and at least every FLOOD_REPORT_MS during one.
 */

const FLOOD_QUIET_MS = 2000
const FLOOD_REPORT_MS = 60000
let floodRefused = 0
let floodStartAt = 0
let floodLastAt = 0

/** Counts one refused frame. */
export function refuseFlood(now: number) {
    if (floodRefused === 0) floodStartAt = now
    floodRefused++
    floodLastAt = now
}

/**
 * How many frames the flood refused, when it is time to report it (it is over, or has lasted
 * FLOOD_REPORT_MS); 0 otherwise. A count is returned once.
 */
export function takeFloodReport(now: number): number {
    if (floodRefused === 0 || (now - floodLastAt < FLOOD_QUIET_MS && now - floodStartAt < FLOOD_REPORT_MS)) return 0
    const n = floodRefused
    floodRefused = 0
    return n
}
