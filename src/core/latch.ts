/**
 * Jammed-latch detection, pure. Where a latch-position sensor is fitted, every move of the latch
 * must be confirmed by it in time. A move that is not confirmed is retried once; if the retry is
 * not confirmed either the latch is jammed: LockJammed is raised and the latch is driven to (or
 * kept at) locked, so a jam never leaves the door open. No pins and no clock: the firmware feeds
 * commands, sensor readings and ticks with the time, and applies the effects.
 */

/** What the monitor is told. `locked` is the latch position (commanded or sensed). */
export type LatchInput =
    | { type: "command"; locked: boolean }
    | { type: "sensor"; locked: boolean }
    | { type: "tick" }

/** What the firmware must do. `drive` re-drives the servo; `jammed` is the LockJammed alarm. */
export type LatchEffect =
    | { type: "drive"; locked: boolean }
    | { type: "jammed"; target: boolean; attempts: number }
    | { type: "cleared" }
    | { type: "log"; message: string }

/** Monitor state. `target` is null when no move is awaiting confirmation. */
export interface LatchMonitor {
    timeoutMs: number
    target: boolean | null
    attempts: number
    deadline: number
    /** Last sensor reading (null until the first one arrives). */
    sensed: boolean | null
    /** Set by LockJammed; cleared when a later commanded move is confirmed. */
    jammed: boolean
    /** The move awaited is the monitor's own fail-secure drive back to locked. */
    failSecure: boolean
}

/** Attempts per move: the first drive and one retry. */
export const LATCH_ATTEMPTS = 2

/** A monitor that waits up to `timeoutMs` per attempt for the sensor to confirm a move. */
export function createLatchMonitor(timeoutMs: number): LatchMonitor {
    return { timeoutMs, target: null, attempts: 0, deadline: 0, sensed: null, jammed: false, failSecure: false }
}

function where(locked: boolean): string {
    return locked ? "locked" : "unlocked"
}

function reached(m: LatchMonitor, out: LatchEffect[]) {
    if (m.target === null || m.sensed !== m.target) return
    m.target = null
    m.attempts = 0
    if (m.failSecure) {
        m.failSecure = false
        out.push({ type: "log", message: "latch: back at locked after the jam" })
    } else if (m.jammed) {
        m.jammed = false
        out.push({ type: "cleared" })
        out.push({ type: "log", message: "latch: jam cleared" })
    }
}

/** Applies one input at time `now`; returns the effects in order. */
export function latchStep(m: LatchMonitor, input: LatchInput, now: number): LatchEffect[] {
    const out: LatchEffect[] = []
    if (input.type === "command") {
        // the firmware has already driven the servo; from now on the sensor has timeoutMs to agree
        m.target = input.locked
        m.failSecure = false
        m.attempts = 1
        m.deadline = now + m.timeoutMs
        reached(m, out)
    } else if (input.type === "sensor") {
        m.sensed = input.locked
        reached(m, out)
    } else if (m.target !== null && m.sensed === m.target) {
        reached(m, out)
    } else if (m.target !== null && now >= m.deadline) {
        const target = m.target
        if (m.attempts < LATCH_ATTEMPTS) {
            m.attempts++
            m.deadline = now + m.timeoutMs
            out.push({ type: "log", message: `latch: not ${where(target)} after ${m.timeoutMs} ms, retrying` })
            out.push({ type: "drive", locked: target })
        } else {
            m.jammed = true
            out.push({ type: "jammed", target, attempts: m.attempts })
            out.push({
                type: "log",
                message: `latch: LockJammed: not ${where(target)} after ${m.attempts} attempts (sensor: ${m.sensed === null ? "silent" : where(m.sensed)})`,
            })
            if (!target) {
                // fail secure: a latch that would not open is sent back to locked, and watched again
                m.target = true
                m.failSecure = true
                m.attempts = 1
                m.deadline = now + m.timeoutMs
                out.push({ type: "drive", locked: true })
            } else {
                // it would not lock: keep commanding locked (nothing else is safer) and stop retrying
                m.target = null
                m.failSecure = false
                m.attempts = 0
            }
        }
    }
    return out
}
