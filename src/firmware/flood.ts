/**
 * Flood limits for the lock's bus inputs. Companion commands are checked REMOTE_BURST at once,
 * then one per REMOTE_REFILL_MS: each check is a counted attempt (a flash write and its
 * read-back), an audit entry and a bus event. Commands over the rate (or while one is waiting)
 * are refused Busy at once, unchecked and not counted as attempts. Every refused frame (those
 * commands, and the packets ./packet-limit.ts drops) counts towards the flood, which is reported
 * once when it has been quiet for FLOOD_QUIET_MS, and at least every FLOOD_REPORT_MS during one.
 */

// 24: a whole audit read (the chain key and 22 segments) fits in one burst
const REMOTE_BURST = 24
const REMOTE_REFILL_MS = 500
const FLOOD_QUIET_MS = 2000
const FLOOD_REPORT_MS = 60000
let remoteTokens = REMOTE_BURST
let remoteRefillAt = 0
let floodRefused = 0
let floodStartAt = 0
let floodLastAt = 0

/** True when a companion command may be checked now (and uses up one of the burst). */
export function takeRemoteToken(now: number): boolean {
    if (remoteTokens < REMOTE_BURST && now - remoteRefillAt >= REMOTE_REFILL_MS) {
        const n = Math.floor((now - remoteRefillAt) / REMOTE_REFILL_MS)
        remoteTokens = Math.min(REMOTE_BURST, remoteTokens + n)
        remoteRefillAt = remoteRefillAt + n * REMOTE_REFILL_MS
    }
    if (remoteTokens <= 0) return false
    if (remoteTokens === REMOTE_BURST) remoteRefillAt = now
    remoteTokens--
    return true
}

/** Counts one frame refused unchecked. */
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
