/**
 * Failed attempts at the keypad, and the one answer every refused code gets. A wrong code and
 * the right code of a user who may not open now (disabled, NonAccess, RemoteOnly, outside its
 * schedule, clock not set, refused by the mode) give the same effects in the same order: the
 * counter saved, the same tune, "wrong code (failures N)" on the console, an audit entry. Only
 * that entry (the audit log, which a companion reads sealed) holds the reason and the slot.
 */
import { AuditKind, AuditSource } from "./audit"
import { lockoutDurationMs } from "./lockout"
import { alarm, audit, Effect, LockState, log, sound } from "./state"

/** The console text of every refused code. */
export const WRONG_CODE = "wrong code"

/** Counts an attempt on flash before anything about it is checked. */
export function countAttempt(state: LockState, effects: Effect[]) {
    state.failures = state.failures + 1
    state.served = false
    effects.push({ type: "saveCounter", failures: state.failures, served: false })
}

/**
 * A failed attempt whose counter is already saved: lockout or failure tone, the reason in the
 * audit log (`kind`, `slot`) and `what` on the console (never a slot for a refused code).
 */
export function failAttempt(
    state: LockState,
    now: number,
    effects: Effect[],
    what: string,
    kind: AuditKind,
    slot: number,
    source: AuditSource = AuditSource.Keypad
) {
    const p = state.policy
    // the answer first (tune, console line), the same for every refusal; then the audit entry
    // (its event on the bus is InvalidCredential for every refused code, see firmware/service.ts)
    if (state.failures > p.freeFailures) {
        const duration = lockoutDurationMs(p, state.failures)
        state.lockoutActive = true
        state.lockoutUntil = now + duration
        sound(effects, "lockout")
        log(effects, `${what} (failures ${state.failures}), lockout ${duration} ms`)
        audit(state, now, effects, kind, source, slot)
        audit(state, now, effects, AuditKind.WrongCodeEntryLimit, source, 0)
        alarm(effects, "WrongCodeEntryLimit", 0)
    } else {
        sound(effects, "failure")
        log(effects, `${what} (failures ${state.failures})`)
        audit(state, now, effects, kind, source, slot)
    }
}

/** A refused code (counted already): answered as a wrong code; `reason` and `slot` audited only. */
export function refuseCode(state: LockState, now: number, effects: Effect[], reason: AuditKind, slot: number) {
    failAttempt(state, now, effects, WRONG_CODE, reason, slot)
}

/**
 * A new code that another user already has (the menu, setup after a recovery): a failed keypad
 * attempt, counted and throttled like a wrong code, so mapping codes is no faster than guessing.
 */
export function codeInUse(state: LockState, now: number, effects: Effect[], what: string) {
    countAttempt(state, effects)
    failAttempt(state, now, effects, what, AuditKind.InvalidCredential, 0)
}
