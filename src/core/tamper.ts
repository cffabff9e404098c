/**
 * Tampering the lock notices (the firmware tells it: src/firmware/tamper.ts watches the store,
 * src/firmware/bus-guard.ts the parts): a setting it keeps changed on flash without it, or one of
 * its parts bound to a device that is not the board's own. Each is audited (a tamper entry,
 * audit.ts) and raised as an alarm.
 *
 * A changed store also stops the companion channel until someone presses the program button
 * inside: authentic commands that could open the door or change who may open it are refused
 * ("tamper: press the program button"); reads (the audit log, the user list), a lock and a
 * revocation still work, so the owner can look, lock and cut off keys from afar. The flag is
 * kept in RAM only: a restart clears it (the audit entry stays).
 */
import { AuditSource, TAMPER_KIND, TAMPER_PART, TAMPER_STORE } from "./audit"
import { alarm, audit, Effect, LockState, log, RemoteAction } from "./state"

/** What a refused companion command is told while the store alarm stands. */
export const TAMPER_REFUSAL = "tamper: press the program button"

/** A setting the lock keeps changed on flash without it. */
export function onStoreTampered(state: LockState, now: number, effects: Effect[]) {
    state.tampered = true
    audit(state, now, effects, TAMPER_KIND, AuditSource.Unspecified, TAMPER_STORE)
    alarm(effects, "StoreTampered", 0)
    log(effects, "tamper: the store changed without the lock; press the program button")
}

/** Part `part` (LockPart) is bound to a device that is not the board's own (its packets are ignored). */
export function onForeignPart(state: LockState, part: number, now: number, effects: Effect[]) {
    audit(state, now, effects, TAMPER_KIND, AuditSource.Unspecified, TAMPER_PART + part)
    alarm(effects, "ForeignPart", 0)
}

/** The program button was pressed inside: the store alarm is acknowledged. */
export function acknowledgeTamper(state: LockState, effects: Effect[]) {
    if (!state.tampered) return
    state.tampered = false
    log(effects, "tamper acknowledged")
}

/** Companion actions a standing store alarm still lets through (a lock, a revocation, a rollback report, reads). */
const ALLOWED = " lock revoked rolledBack auditRead userList none "

/** Whether the store alarm refuses an authentic companion command asking `action`. */
export function tamperRefuses(state: LockState, action: RemoteAction): boolean {
    return state.tampered && ALLOWED.indexOf(" " + action + " ") < 0
}
