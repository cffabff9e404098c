/**
 * What the lock tells a broker: its state document (retained on the state topic) and its alarms
 * (on the events topic), in the names Home Assistant's MQTT lock, sensors and event entity read
 * (./homeassistant.ts builds their discovery configs from the same field names). Pure.
 *
 * Nothing here carries a code, a digest, a key or a user's name.
 */
import { LatchState } from "./latch"
import { LockStatus } from "./state"
import { modeName } from "./modes"

/** The state document's `lock` values: Home Assistant's MQTT lock states. */
export const LOCK_STATE_NAMES = ["LOCKED", "UNLOCKED", "LOCKING", "UNLOCKING", "JAMMED"]

/**
 * The state document's `lock` value for a lock_state register value. NotFullyLocked (a latch
 * commanded locked that the switch senses open, with no jam raised: moved by hand, or forced) is
 * UNLOCKED: the bolt is not thrown, and no one should be told the door is locked.
 */
export function lockStateName(s: number): string {
    if (s === LatchState.Locked) return "LOCKED"
    if (s === LatchState.Locking) return "LOCKING"
    if (s === LatchState.Unlocking) return "UNLOCKING"
    if (s === LatchState.Jammed) return "JAMMED"
    return "UNLOCKED"
}

/** The retained state document. */
export interface StateDoc {
    /** One of LOCK_STATE_NAMES. */
    lock: string
    /** Consecutive failed attempts at the keypad (the persisted counter). */
    failures: number
    /** Whole seconds left in the keypad lockout when published; 0 when the keypad accepts codes. */
    lockout_s: number
    /** The operating mode's name (Normal, Vacation, Privacy, NoRemoteLockUnlock, Passage). */
    mode: string
    /** "open", "closed", or "unknown" (no door sensor, or no reading yet). */
    door: string
}

/** The state document for `status`, with `latchState` the lock_state register's value. */
export function stateDoc(status: LockStatus, latchState: number): StateDoc {
    return {
        lock: lockStateName(latchState),
        failures: status.failures,
        lockout_s: Math.ceil(status.lockoutRemainingMs / 1000),
        mode: modeName(status.mode),
        door: status.door === "open" || status.door === "closed" ? status.door : "unknown",
    }
}

/** While a lockout runs, its remaining time is published again at least this often. */
export const LOCKOUT_REFRESH_MS = 30000

/**
 * Whether `next` must be published, given the document last published (`last`, null: none since
 * the link came up) at `lastAt`. Every field but the lockout's remaining seconds counts as a
 * change; the lockout counts when it starts or ends, and is refreshed every LOCKOUT_REFRESH_MS
 * while it runs (not every second: a week-long lockout would be a retained publish a second).
 */
export function stateDue(last: StateDoc | null, lastAt: number, next: StateDoc, now: number): boolean {
    if (!last) return true
    if (last.lock !== next.lock || last.failures !== next.failures || last.mode !== next.mode || last.door !== next.door) return true
    if (last.lockout_s > 0 !== next.lockout_s > 0) return true
    return next.lockout_s > 0 && now - lastAt >= LOCKOUT_REFRESH_MS
}

/** The state document as published: JSON with its fields in a fixed order. */
export function stateJson(d: StateDoc): string {
    return JSON.stringify({ lock: d.lock, failures: d.failures, lockout_s: d.lockout_s, mode: d.mode, door: d.door })
}

/**
 * The alarms published on the events topic (Matter DoorLockAlarm names). ForcedUser is never
 * published: it means someone is being forced to open the door with the duress code, and the
 * broker's events reach every subscriber (dashboards, phones, wall tablets in the hall, a history
 * anyone with read access can scroll), possibly in front of the person forcing them. A
 * broadcast would give the duress code away and put the user at risk: the alarm stays in the lock
 * (its audit log, the companion's view) and off the broker. LockRadioPowerCycled is not an alarm
 * an owner acts on: availability already says the lock came back.
 */
export const PUBLISHED_ALARMS = ["WrongCodeEntryLimit", "LockJammed", "DoorForcedOpen", "DoorAjar", "LockFactoryReset"]

/** Whether alarm `name` is published on the events topic. */
export function alarmPublished(name: string): boolean {
    return PUBLISHED_ALARMS.indexOf(name) >= 0
}

/**
 * The events topic's payload for alarm `name` raised `ageMs` before it is published (a link that
 * was down publishes the alarms it kept when it comes back: Home Assistant's event entity shows
 * the attribute `age_s`). Null for an alarm that is never published.
 */
export function alarmEventJson(name: string, ageMs: number): string | null {
    if (!alarmPublished(name)) return null
    return JSON.stringify({ event_type: name, age_s: Math.floor((ageMs > 0 ? ageMs : 0) / 1000) })
}
