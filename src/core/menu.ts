/**
 * Keypad programming: master code, then `*` `#` opens this menu (lock.ts checks the master).
 * Every step takes digits and `#`; `*` clears a half-typed value, or on an empty value goes back
 * to the top (and at the top closes the menu). The menu closes by itself after
 * policy.menuTimeoutMs without a key. Tones: "menu" = at the top, waiting for an option;
 * "step" = value accepted, enter the next one; "success" = done (back at the top);
 * "failure" = value refused (enter it again); "exit" = menu closed; "timeout" = timed out.
 *
 * Options (at the top):
 *   1  add a user: the lock picks the lowest free slot. Then the user type (Matter number:
 *      0 Unrestricted, 1 YearDaySchedule, 2 WeekDaySchedule, 4 NonAccess, 5 Forced,
 *      6 Disposable, 7 Expiring, 9 RemoteOnly), its schedule if any
 *        WeekDaySchedule: days (1 = Monday .. 7 = Sunday, e.g. 12345), start hhmm, end hhmm
 *        YearDaySchedule: from YYYYMMDDhhmm, until YYYYMMDDhhmm
 *        Expiring:        minutes of validity after the first use (1..2880)
 *      then the new code, then the same code again.
 *   2  delete a slot (slot number), 3 disable a slot, 4 enable a slot (not slot 1, the master)
 *   5  change the master code (new code, then again)
 *   6  operating mode (0 Normal, 1 Vacation, 2 Privacy, 3 NoRemoteLockUnlock, 4 Passage)
 *   7  issue a new recovery code (shown once; the old one stops working)
 */
import { codeInUse } from "./attempts"
import { isAddableType, removeUser, setUserEnabled, slotChangeError, storeUser } from "./admin"
import { AuditKind, AuditSource } from "./audit"
import { Bytes } from "./ct"
import { codeSyntaxError, weakCodeReason } from "./codes"
import { MODE_COUNT, modeName } from "./modes"
import { MAX_EXPIRING_MINUTES, parseDateTime, parseDays, parseTimeOfDay } from "./schedule"
import {
    audit,
    changeMode,
    clearEntry,
    Effect,
    LockState,
    log,
    MenuStep,
    sound,
} from "./state"
import {
    findUser,
    firstFreeSlot,
    getUint,
    MASTER_SLOT,
    PARAMS_BYTES,
    putUint,
    sameDigest,
    truncateDigest,
    UserType,
    userTypeName,
} from "./users"

/** Longest value a menu step takes (a date and time: 12 digits). */
export const MENU_ENTRY_MAX = 12

/** Opens the menu (the master code was verified). */
export function openMenu(state: LockState, now: number, effects: Effect[]) {
    clearEntry(state)
    state.menu = "top"
    state.menuLastAt = now
    state.draftFirst = null
    sound(effects, "menu")
    log(effects, "menu: open (1 add, 2 delete, 3 disable, 4 enable, 5 master, 6 mode, 7 recovery)")
    audit(state, now, effects, AuditKind.MenuOpened, AuditSource.Keypad, MASTER_SLOT)
}

export function closeMenu(state: LockState) {
    clearEntry(state)
    state.menu = ""
    state.draftFirst = null
    if (state.pending === "menuCode" || state.pending === "menuConfirm") state.pending = ""
}

function toTop(state: LockState, effects: Effect[], s: "menu" | "success" | "failure") {
    state.menu = "top"
    state.draftFirst = null
    sound(effects, s)
}

function next(state: LockState, effects: Effect[], step: MenuStep, prompt: string) {
    state.menu = step
    sound(effects, "step")
    log(effects, `menu: ${prompt}`)
}

function refuse(effects: Effect[], why: string) {
    sound(effects, "failure")
    log(effects, `menu: refused: ${why}`)
}

/** `*` on an empty value: back to the top, or close the menu when already there. */
export function menuBack(state: LockState, effects: Effect[]) {
    if (state.menu === "top") {
        closeMenu(state)
        sound(effects, "exit")
        log(effects, "menu: closed")
    } else {
        clearEntry(state)
        toTop(state, effects, "menu")
        log(effects, "menu: back to the top")
    }
}

/** Closes the menu after menuTimeoutMs without a key (run by lock.ts on every event). */
export function menuTimers(state: LockState, now: number, effects: Effect[]) {
    if (state.menu !== "" && state.pending === "" && now - state.menuLastAt >= state.policy.menuTimeoutMs) {
        closeMenu(state)
        sound(effects, "timeout")
        log(effects, "menu: timed out")
    }
}

/** The entry as a number, or -1 when empty, too long or malformed. */
function number(value: string, maxDigits: number): number {
    if (value.length === 0 || value.length > maxDigits) return -1
    let v = 0
    for (let i = 0; i < value.length; i++) {
        const d = value.charCodeAt(i) - 48
        if (!(d >= 0 && d <= 9)) return -1
        v = v * 10 + d
    }
    return v
}

function chooseOption(state: LockState, option: number, now: number, effects: Effect[]) {
    if (option === 1) {
        const slot = firstFreeSlot(state.users)
        if (slot === 0) return refuse(effects, "no free slot")
        state.draftSlot = slot
        for (let i = 0; i < PARAMS_BYTES; i++) state.draftParams[i] = 0
        next(state, effects, "type", `add a user in slot ${slot}: enter the user type`)
    } else if (option === 2) {
        next(state, effects, "delete", "delete: enter the slot number")
    } else if (option === 3) {
        next(state, effects, "disable", "disable: enter the slot number")
    } else if (option === 4) {
        next(state, effects, "enable", "enable: enter the slot number")
    } else if (option === 5) {
        state.draftSlot = MASTER_SLOT
        state.draftType = UserType.Programming
        for (let i = 0; i < PARAMS_BYTES; i++) state.draftParams[i] = 0
        next(state, effects, "code", "enter the new master code")
    } else if (option === 6) {
        next(state, effects, "mode", "enter the mode (0 Normal, 1 Vacation, 2 Privacy, 3 NoRemoteLockUnlock, 4 Passage)")
    } else if (option === 7) {
        effects.push({ type: "issueRecovery" })
        toTop(state, effects, "success")
        log(effects, "menu: new recovery code issued (the old one no longer works)")
    } else {
        refuse(effects, "no such option")
    }
}

function chooseType(state: LockState, type: number, effects: Effect[]) {
    if (!isAddableType(type)) return refuse(effects, "not a user type the keypad can add")
    state.draftType = type
    if (type === UserType.WeekDaySchedule) next(state, effects, "days", "enter the days (1 Monday .. 7 Sunday)")
    else if (type === UserType.YearDaySchedule) next(state, effects, "from", "enter the start, YYYYMMDDhhmm")
    else if (type === UserType.Expiring) next(state, effects, "minutes", "enter the minutes of validity after first use")
    else next(state, effects, "code", `${userTypeName(type)}: enter the new code`)
}

/** Acts on a slot number for delete / disable / enable. */
function slotAction(state: LockState, slot: number, now: number, effects: Effect[]) {
    const why = slotChangeError(state, slot)
    if (why !== null) return refuse(effects, slot === MASTER_SLOT ? "slot 1 is the master code (option 5 changes it)" : why)
    if (state.menu === "delete") removeUser(state, slot, now, effects, AuditSource.Keypad)
    else setUserEnabled(state, slot, state.menu === "enable", now, effects, AuditSource.Keypad)
    toTop(state, effects, "success")
}

/** `#` in the menu: the typed value goes to the current step. */
export function menuSubmit(state: LockState, now: number, effects: Effect[]) {
    // an over-long value is refused at every step: read as "" (never a valid value)
    const overlong = state.overlong
    const value = overlong ? "" : state.entry
    clearEntry(state)
    const step = state.menu
    const p = state.draftParams
    if (step === "top") {
        chooseOption(state, number(value, 1), now, effects)
    } else if (step === "type") {
        chooseType(state, number(value, 1), effects)
    } else if (step === "days") {
        const days = parseDays(value)
        if (days < 0) return refuse(effects, "days are digits 1 (Monday) .. 7 (Sunday)")
        p[0] = days
        next(state, effects, "start", "enter the start time, hhmm")
    } else if (step === "start" || step === "end") {
        const minute = parseTimeOfDay(value, step === "end")
        if (minute < 0) return refuse(effects, "a time is hhmm")
        if (step === "start") {
            putUint(p, 1, 2, minute)
            next(state, effects, "end", "enter the end time, hhmm")
        } else {
            if (minute <= getUint(p, 1, 2)) return refuse(effects, "the end must come after the start")
            putUint(p, 3, 2, minute)
            next(state, effects, "code", "WeekDaySchedule: enter the new code")
        }
    } else if (step === "from" || step === "until") {
        const seconds = parseDateTime(value)
        if (seconds < 0) return refuse(effects, "a date is YYYYMMDDhhmm")
        if (step === "from") {
            putUint(p, 0, 4, seconds)
            next(state, effects, "until", "enter the end, YYYYMMDDhhmm")
        } else {
            if (seconds <= getUint(p, 0, 4)) return refuse(effects, "the end must come after the start")
            putUint(p, 4, 4, seconds)
            next(state, effects, "code", "YearDaySchedule: enter the new code")
        }
    } else if (step === "minutes") {
        const minutes = number(value, 4)
        if (minutes < 1 || minutes > MAX_EXPIRING_MINUTES) return refuse(effects, "minutes from 1 to 2880")
        putUint(p, 0, 2, minutes)
        next(state, effects, "code", "Expiring: enter the new code")
    } else if (step === "code") {
        if (overlong) return refuse(effects, "code: too long")
        const syntax = codeSyntaxError(state.policy, value)
        const reason = syntax !== null ? syntax : weakCodeReason(value)
        if (reason !== null) return refuse(effects, `code: ${reason}`)
        effects.push({ type: "hash", code: value })
        state.pending = "menuCode"
    } else if (step === "confirm") {
        if (overlong || codeSyntaxError(state.policy, value) !== null) return mismatch(state, effects)
        effects.push({ type: "hash", code: value })
        state.pending = "menuConfirm"
    } else if (step === "delete" || step === "disable" || step === "enable") {
        slotAction(state, number(value, 3), now, effects)
    } else if (step === "mode") {
        const mode = number(value, 1)
        if (mode < 0 || mode >= MODE_COUNT) return refuse(effects, "modes are 0 to 4")
        changeMode(state, mode, now, effects, AuditSource.Keypad)
        toTop(state, effects, "success")
        log(effects, `menu: mode ${modeName(mode)} saved`)
    }
}

function mismatch(state: LockState, effects: Effect[]) {
    state.draftFirst = null
    state.menu = "code"
    sound(effects, "failure")
    log(effects, "menu: codes differ, enter the new code again")
}

/** The digest of a code typed in the menu ("menuCode" or "menuConfirm"). */
export function menuDigest(state: LockState, pending: string, digest: Bytes, now: number, effects: Effect[]) {
    if (state.menu !== "code" && state.menu !== "confirm") return
    if (pending === "menuCode") {
        // constant-time scan of every slot except the one being written
        // in use: a failed keypad attempt, counted and throttled (mapping codes costs a guess each)
        if (findUser(state.users, digest, state.draftSlot) !== 0) return codeInUse(state, now, effects, "menu: refused: code already in use")
        state.draftFirst = truncateDigest(digest)
        state.menu = "confirm"
        sound(effects, "step")
        log(effects, "menu: enter the same code again")
        return
    }
    if (state.draftFirst === null || !sameDigest(state.draftFirst, digest)) return mismatch(state, effects)
    storeUser(state, state.draftSlot, state.draftType, state.draftParams, digest, now, effects, AuditSource.Keypad)
    toTop(state, effects, "success")
}
