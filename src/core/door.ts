/**
 * The door sensor (a magnetic contact; only where devs.json configures one): Matter's
 * DoorForcedOpen when the door opens while the latch is locked, DoorAjar when it stays open too
 * long, and an auto-relock that waits for the door to be shut (a bolt thrown into an open door
 * frame only stops the door from closing). Without a sensor nothing here ever runs.
 */
import { AuditKind, AuditSource } from "./audit"
import { alarm, audit, Effect, LockState, lockNow, log } from "./state"

/** The latch takes this long to throw: a door opening sooner after a lock was not forced. */
export const LATCH_SETTLE_MS = 2000

/** Whether the auto-relock must wait: the door is known to be open. */
export function relockWaitsForDoor(state: LockState): boolean {
    return state.doorKnown && state.doorOpen
}

/** A door reading: alarms on an opening the latch should have stopped, relock once it shuts. */
export function onDoor(state: LockState, open: boolean, now: number, effects: Effect[]) {
    const first = !state.doorKnown
    state.doorKnown = true
    if (!first && open === state.doorOpen) return
    state.doorOpen = open
    if (first) {
        log(effects, `door ${open ? "open" : "closed"}`)
        if (open) state.doorOpenedAt = now
        return
    }
    if (open) {
        state.doorOpenedAt = now
        state.doorAjarRaised = false
        if (state.locked && now - state.lockedAt >= LATCH_SETTLE_MS) {
            log(effects, "door forced open while locked")
            audit(state, now, effects, AuditKind.DoorForcedOpen, AuditSource.Unspecified, 0)
            alarm(effects, "DoorForcedOpen", 0)
        } else log(effects, "door opened")
        return
    }
    log(effects, "door closed")
    if (!state.locked && state.relockActive && now >= state.relockAt) lockNow(state, now, effects, "auto-relock, door closed", AuditSource.Auto)
}

/** DoorAjar once per opening, after policy.doorAjarMs (run on every event). */
export function doorTimers(state: LockState, now: number, effects: Effect[]) {
    if (state.doorKnown && state.doorOpen && !state.doorAjarRaised && now - state.doorOpenedAt >= state.policy.doorAjarMs) {
        state.doorAjarRaised = true
        log(effects, "door left open")
        audit(state, now, effects, AuditKind.DoorAjar, AuditSource.Unspecified, 0)
        alarm(effects, "DoorAjar", 0)
    }
}
