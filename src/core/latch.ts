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

/** The values of the lock service's lock_state register (services/latchkey.md; Matter's names, and Jammed). */
export enum LatchState {
    NotFullyLocked = 0,
    Locked = 1,
    Unlocked = 2,
    Locking = 3,
    Unlocking = 4,
    Jammed = 5,
}

/**
 * What the lock reports as its state: the latch as last commanded (`locked`), and where a latch
 * switch is fitted (`m`) what the switch says. Locking/Unlocking while a move awaits the switch;
 * Jammed after LockJammed while the bolt is not where it was sent (or the switch is silent);
 * NotFullyLocked when a latch commanded locked is sensed open with no jam raised (moved by hand
 * or forced). A latch sent back to locked after a jam, and confirmed there, is Locked.
 */
export function latchState(m: LatchMonitor | null, locked: boolean): LatchState {
    const plain = locked ? LatchState.Locked : LatchState.Unlocked
    if (!m) return plain
    if (m.target !== null) return m.target ? LatchState.Locking : LatchState.Unlocking
    if (m.sensed === null) return m.jammed ? LatchState.Jammed : plain
    if (m.sensed === locked) return plain
    if (m.jammed) return LatchState.Jammed
    return locked ? LatchState.NotFullyLocked : LatchState.Locked
}
