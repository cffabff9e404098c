/**
 * What an authentic companion command does to the lock, once the adapter has authenticated its
 * frame (../firmware/remote-requests.ts: challenge, key, counter, tag): user, mode and
 * clock changes, and reads of the user list and the audit log. Unlock, lock and clear-lockout
 * stay in lock.ts. Every command is answered exactly once, with a "remoteReply" effect (or
 * "remoteAudit", which the adapter answers from flash). Reads return metadata only: never a code
 * or a digest.
 */
import { isAddableType, removeUser, setUserEnabled, slotChangeError, storeUser } from "./admin"
import { AUDIT_SEGMENTS, AuditKind, AuditSource } from "./audit"
import { codeSyntaxError, weakCodeReason } from "./codes"
import { Bytes } from "./ct"
import { lockoutDurationMs } from "./lockout"
import { MODE_COUNT } from "./modes"
import {
    argU32,
    AUDIT_KEY_SEGMENT,
    parseUserAdd,
    STATUS_INVALID,
    STATUS_OK,
    STATUS_REFUSED,
    textBytes,
    userListPage,
} from "./remote"
import { scheduleParamsError } from "./schedule"
import { audit, changeMode, Effect, LockState, log, RemoteAction, saveNameOf, setWallClock } from "./state"
import { findUser, firstFreeSlot, isOccupied, isSlot, nameError, PARAMS_BYTES, setUserName } from "./users"

/** Answers the companion command (detail: plaintext the adapter seals; null = none). */
export function reply(effects: Effect[], status: number, detail: Bytes | null) {
    effects.push({ type: "remoteReply", status: status, detail: detail })
}

/** Refuses the companion command with a reason the companion is told (never a secret). */
export function refuseRemote(effects: Effect[], status: number, why: string) {
    log(effects, `remote: refused: ${why}`)
    reply(effects, status, textBytes(why))
}

function argsText(args: Bytes, from: number): string {
    let s = ""
    for (let i = from; i < args.length; i++) s = s + String.fromCharCode(args[i])
    return s
}

function nameUser(state: LockState, slot: number, name: string, now: number, effects: Effect[]) {
    setUserName(state.names, slot, name)
    saveNameOf(state, effects, slot)
    audit(state, now, effects, AuditKind.UserNamed, AuditSource.Remote, slot)
}

/** Starts adding a user: checks everything but the code's uniqueness, then has the code hashed. */
function startUserAdd(state: LockState, args: Bytes, now: number, effects: Effect[]) {
    const req = parseUserAdd(args)
    if (req === null) return refuseRemote(effects, STATUS_INVALID, "malformed user")
    if (!isAddableType(req.type)) return refuseRemote(effects, STATUS_INVALID, "not a user type that can be added")
    const params = req.params
    const why = scheduleParamsError(req.type, params)
    if (why !== null) return refuseRemote(effects, STATUS_INVALID, why)
    const syntax = codeSyntaxError(state.policy, req.code)
    const weak = syntax !== null ? syntax : weakCodeReason(req.code)
    if (weak !== null) return refuseRemote(effects, STATUS_INVALID, `code: ${weak}`)
    const badName = nameError(req.name)
    if (badName !== null) return refuseRemote(effects, STATUS_INVALID, badName)
    if (firstFreeSlot(state.users) === 0) return refuseRemote(effects, STATUS_REFUSED, "no free slot")
    // the uniqueness check is throttled like the keypad: it must not map the codes faster
    if (now < state.codeChecksUntil) return refuseRemote(effects, STATUS_REFUSED, `code checks wait ${Math.ceil((state.codeChecksUntil - now) / 1000)} s`)
    state.remoteType = req.type
    for (let i = 0; i < PARAMS_BYTES; i++) state.remoteParams[i] = params[i]
    state.remoteName = req.name
    effects.push({ type: "hash", code: req.code })
    state.pending = "remoteCode"
}

/** The digest of the code of a user a companion adds (pending "remoteCode"). */
export function companionCode(state: LockState, digest: Bytes, now: number, effects: Effect[]) {
    const name = state.remoteName
    state.remoteName = ""
    // every uniqueness check counts, whatever its answer; past the keypad's free failures the
    // next waits as long as a keypad lockout would (a right keypad code forgives them)
    state.codeChecks = state.codeChecks + 1
    if (state.codeChecks > state.policy.freeFailures) state.codeChecksUntil = now + lockoutDurationMs(state.policy, state.codeChecks)
    // constant-time scan of every slot, as for a code typed in the menu
    if (findUser(state.users, digest, 0) !== 0) return refuseRemote(effects, STATUS_INVALID, "code already in use")
    const slot = firstFreeSlot(state.users)
    if (slot === 0) return refuseRemote(effects, STATUS_REFUSED, "no free slot")
    storeUser(state, slot, state.remoteType, state.remoteParams, digest, now, effects, AuditSource.Remote)
    if (name !== "") nameUser(state, slot, name, now, effects)
    reply(effects, STATUS_OK, [slot])
}

/** Carries out an authentic companion command other than unlock, lock and clear-lockout. */
export function companionAction(state: LockState, action: RemoteAction, args: Bytes, now: number, effects: Effect[]) {
    // refused by the adapter (e.g. revoking a key the lock never issued): the reason is the args
    if (action === "invalid") return refuseRemote(effects, STATUS_INVALID, argsText(args, 0))
    if (action === "userList") return reply(effects, STATUS_OK, userListPage(state.users, state.names, args[0]))
    if (action === "auditRead") {
        const segment = args[0]
        if (segment !== AUDIT_KEY_SEGMENT && !(segment < AUDIT_SEGMENTS)) return refuseRemote(effects, STATUS_INVALID, "no such audit segment")
        effects.push({ type: "remoteAudit", segment: segment })
        return
    }
    if (action === "clock") {
        if (!setWallClock(state, argU32(args) * 1000, now, effects, AuditSource.Remote))
            return refuseRemote(effects, STATUS_INVALID, "clock out of range (2020 to 2099)")
        return reply(effects, STATUS_OK, null)
    }
    // changes wait for a master code: an unprovisioned lock is set up at its keypad
    if (state.userCount === 0) return refuseRemote(effects, STATUS_REFUSED, "setup mode: set the master code at the keypad first")
    if (action === "mode") {
        if (!(args[0] < MODE_COUNT)) return refuseRemote(effects, STATUS_INVALID, "modes are 0 to 4")
        changeMode(state, args[0], now, effects, AuditSource.Remote)
        return reply(effects, STATUS_OK, null)
    }
    if (action === "userAdd") return startUserAdd(state, args, now, effects)
    const slot = args[0]
    if (action === "userName") {
        const name = argsText(args, 1)
        const why = !isSlot(slot) || !isOccupied(state.users, slot) ? "no user in that slot" : nameError(name)
        if (why !== null) return refuseRemote(effects, STATUS_INVALID, why)
        nameUser(state, slot, name, now, effects)
        log(effects, `remote: slot ${slot} named`)
        return reply(effects, STATUS_OK, null)
    }
    if (action === "userRemove" || action === "userEnable" || action === "userDisable") {
        const why = slotChangeError(state, slot)
        if (why !== null) return refuseRemote(effects, STATUS_INVALID, why)
        if (action === "userRemove") removeUser(state, slot, now, effects, AuditSource.Remote)
        else setUserEnabled(state, slot, action === "userEnable", now, effects, AuditSource.Remote)
        return reply(effects, STATUS_OK, null)
    }
    refuseRemote(effects, STATUS_INVALID, "unknown command")
}
