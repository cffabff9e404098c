/**
 * User changes shared by the keypad menu (menu.ts) and the companion (companion.ts): the same
 * rules and the same audit entries whichever way a change arrives; only the source differs.
 */
import { AuditKind, AuditSource } from "./audit"
import { Bytes } from "./ct"
import { audit, Effect, LockState, log, saveNameOf, saveUserOf } from "./state"
import {
    clearUser,
    isOccupied,
    isSlot,
    MASTER_SLOT,
    setUser,
    setUserName,
    setUserStatus,
    userCount,
    userName,
    UserStatus,
    UserType,
    userType,
    userTypeName,
} from "./users"

/** Where a change came from, for the log: "menu: " or "remote: ". */
function by(source: AuditSource): string {
    return source === AuditSource.Keypad ? "menu: " : "remote: "
}

/** User types that may be added (the master is the Programming user; ScheduleRestricted is not done). */
export function isAddableType(type: number): boolean {
    return (
        type === UserType.Unrestricted ||
        type === UserType.YearDaySchedule ||
        type === UserType.WeekDaySchedule ||
        type === UserType.NonAccess ||
        type === UserType.Forced ||
        type === UserType.Disposable ||
        type === UserType.Expiring ||
        type === UserType.RemoteOnly
    )
}

/** Why `slot` cannot be deleted, disabled or enabled, or null. */
export function slotChangeError(state: LockState, slot: number): string | null {
    if (!isSlot(slot) || !isOccupied(state.users, slot)) return "no user in that slot"
    if (slot === MASTER_SLOT) return "slot 1 is the master code"
    return null
}

/** Deletes the user in `slot` (checked with slotChangeError) and its name. */
export function removeUser(state: LockState, slot: number, now: number, effects: Effect[], source: AuditSource) {
    clearUser(state.users, slot)
    state.userCount = userCount(state.users)
    saveUserOf(state, effects, slot)
    if (userName(state.names, slot) !== "") {
        setUserName(state.names, slot, "")
        saveNameOf(state, effects, slot)
    }
    audit(state, now, effects, AuditKind.UserDeleted, source, slot)
    log(effects, `${by(source)}slot ${slot} deleted`)
}

/** Enables or disables the user in `slot` (checked with slotChangeError). */
export function setUserEnabled(state: LockState, slot: number, enable: boolean, now: number, effects: Effect[], source: AuditSource) {
    setUserStatus(state.users, slot, enable ? UserStatus.OccupiedEnabled : UserStatus.OccupiedDisabled)
    saveUserOf(state, effects, slot)
    audit(state, now, effects, enable ? AuditKind.UserEnabled : AuditKind.UserDisabled, source, slot)
    log(effects, `${by(source)}slot ${slot} ${enable ? "enabled" : "disabled"}`)
}

/** Writes a user (new, or the master's new code) with its code's digest, saves and audits it. */
export function storeUser(
    state: LockState,
    slot: number,
    type: number,
    params: Bytes,
    digest: Bytes,
    now: number,
    effects: Effect[],
    source: AuditSource
) {
    setUser(state.users, slot, type, UserStatus.OccupiedEnabled, params, digest)
    state.userCount = userCount(state.users)
    saveUserOf(state, effects, slot)
    const master = slot === MASTER_SLOT
    audit(state, now, effects, master ? AuditKind.MasterChanged : AuditKind.UserAdded, source, slot)
    log(effects, by(source) + (master ? "master code changed" : `slot ${slot} saved (${userTypeName(userType(state.users, slot))})`))
}
