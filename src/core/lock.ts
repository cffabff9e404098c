/**
 * The lock's state machine: step(state, event, now) -> effects. Keys, the program button,
 * digests of typed codes, the clock and timers go in; latch moves, sounds, flash writes, audit
 * entries and logs come out, in the order the adapter must apply them.
 *
 * Keypad grammar (outside the menu and the setup flow):
 *   digits #        open with a user code
 *   digits * #      open the programming menu (the digits must be the master code)
 *   * digits #      the 12-digit recovery code: opens once, then asks for a new master code
 *   digits * digit  the '*' cleared the digits (a new entry starts with that digit)
 *   * *             clears everything; 10 s (entry timeout) without a key does too
 * Every submitted entry counts as a failure BEFORE it is checked (the counter is on flash
 * first); a right code then clears the counter. Refusals all sound alike (wrong code, disabled
 * user, outside schedule, clock not set, mode): the reason is recorded, not revealed.
 */
import { AuditKind, AuditSource, ROLLED_BACK_SLOT } from "./audit"
import { codeInUse, countAttempt, failAttempt, refuseCode } from "./attempts"
import { Bytes, pick, same } from "./ct"
import { codeSyntaxError, isDigitKey, isKey, weakCodeReason } from "./codes"
import { lockoutDurationMs } from "./lockout"
import { companionAction, companionCode, refuseRemote, reply } from "./companion"
import { doorTimers, onDoor, relockWaitsForDoor } from "./door"
import { acknowledgeTamper, onForeignPart, onStoreTampered, TAMPER_REFUSAL, tamperRefuses } from "./tamper"
import { STATUS_BUSY, STATUS_OK, STATUS_REFUSED, textBytes } from "./remote"
import { closeMenu, MENU_ENTRY_MAX, menuBack, menuDigest, menuSubmit, menuTimers, openMenu } from "./menu"
import { MODE_COUNT, modeName, OperatingMode } from "./modes"
import { formatWallTime, scheduleRefusal } from "./schedule"
import {
    alarm,
    audit,
    clearEntry,
    Effect,
    LockEvent,
    LockState,
    lockNow,
    log,
    openLatch,
    RECOVERY_LENGTH,
    recoveryMessage,
    RemoteAction,
    saveNameOf,
    setWallClock,
    saveUserOf,
    sound,
    STAR_AFTER,
    STAR_FIRST,
    STAR_NONE,
    wallSeconds,
} from "./state"
import {
    createNameTable,
    createUserTable,
    DIGEST_LENGTH,
    findUser,
    isOccupied,
    isSlot,
    MASTER_SLOT,
    MAX_USERS,
    NAME_BYTES,
    nameError,
    sameDigest,
    setUser,
    setUserName,
    setUserParam,
    setUserStatus,
    truncateDigest,
    userCount,
    userParam,
    USER_RECORD_BYTES,
    UserStatus,
    UserType,
    userStatus,
    userType,
    userTypeName,
} from "./users"

function leaveSetupStage(state: LockState) {
    state.setupStage = "idle"
    state.setupForced = false
    state.setupFirst = null
    if (state.pending === "setupNew" || state.pending === "setupConfirm") state.pending = ""
}

/** Time-driven transitions; run on every event so a late tick changes nothing. */
function runTimers(state: LockState, now: number, effects: Effect[]) {
    const p = state.policy
    if (state.lockoutActive && now >= state.lockoutUntil) {
        state.lockoutActive = false
        state.served = true
        effects.push({ type: "saveCounter", failures: state.failures, served: true })
        log(effects, `lockout over (failures ${state.failures})`)
    }
    if ((state.entry.length > 0 || state.star !== STAR_NONE) && now - state.lastKeyAt >= p.entryTimeoutMs) {
        clearEntry(state)
        sound(effects, "timeout")
        log(effects, "entry timed out")
    }
    if (state.setupStage !== "idle" && state.pending === "" && now - state.setupLastAt >= p.setupTimeoutMs) {
        leaveSetupStage(state)
        clearEntry(state)
        sound(effects, "timeout")
        log(effects, "setup timed out")
    }
    menuTimers(state, now, effects)
    if (!state.locked && state.relockActive && now >= state.relockAt && !relockWaitsForDoor(state))
        lockNow(state, now, effects, "auto-relock", AuditSource.Auto)
    doorTimers(state, now, effects)
    if (
        state.hashHeld &&
        !state.locked &&
        state.mode !== OperatingMode.Passage &&
        state.entry.length === 0 &&
        now - state.hashDownAt >= p.longPressMs
    )
        lockNow(state, now, effects, "long press", AuditSource.Keypad)
    if (state.buttonHeld && !state.resetDone && now - state.buttonDownAt >= p.resetHoldMs) factoryReset(state, now, effects)
}

/**
 * Fail secure: the latch locked first, and nothing half-done survives (no entry, no pending
 * check, no setup stage, no menu, no relock or long press under way). Boot and reset start here.
 */
function lockAndForget(state: LockState, now: number, effects: Effect[]) {
    effects.push({ type: "latch", locked: true })
    state.locked = true
    state.lockedAt = now
    state.relockActive = false
    state.hashHeld = false
    state.pending = ""
    clearEntry(state)
    leaveSetupStage(state)
    closeMenu(state)
}

/** The program button held for resetHoldMs: erase everything, back to setup mode. */
function factoryReset(state: LockState, now: number, effects: Effect[]) {
    lockAndForget(state, now, effects)
    effects.push({ type: "factoryReset" })
    state.users = createUserTable()
    state.names = createNameTable()
    state.userCount = 0
    state.recovery = null
    state.mode = OperatingMode.Normal
    state.failures = 0
    state.served = true
    state.lockoutActive = false
    state.resetDone = true
    // the first entry of the new, empty log
    audit(state, now, effects, AuditKind.LockFactoryReset, AuditSource.Button, 0)
    alarm(effects, "LockFactoryReset", 0)
    sound(effects, "reset")
    log(effects, "factory reset: users, codes, recovery, mode, counter, audit and device key erased; setup mode")
}

function onBoot(
    state: LockState,
    event: {
        users: Bytes | null
        names: Bytes | null
        failures: number
        served: boolean
        mode: number
        recovery: Bytes | null
    },
    now: number,
    effects: Effect[]
) {
    const p = state.policy
    // fail secure: lock before anything else
    lockAndForget(state, now, effects)
    state.clockSet = false
    // the tables are taken over, not copied (copying 6.7 KB costs the VM a whole slice)
    state.users = event.users && event.users.length === MAX_USERS * USER_RECORD_BYTES ? event.users : createUserTable()
    state.names = event.names && event.names.length === MAX_USERS * NAME_BYTES ? event.names : createNameTable()
    state.userCount = userCount(state.users)
    state.recovery = event.recovery && event.recovery.length >= DIGEST_LENGTH ? truncateDigest(event.recovery) : null
    const mode = event.mode
    state.mode = state.userCount > 0 && mode >= 0 && mode < MODE_COUNT && Math.floor(mode) === mode ? mode : OperatingMode.Normal
    const failures = event.failures
    state.failures = failures > 0 ? Math.floor(failures) : 0
    state.served = !!event.served
    state.lockoutActive = false
    if (state.failures > p.freeFailures && !state.served) {
        state.lockoutActive = true
        state.lockoutUntil = now + lockoutDurationMs(p, state.failures)
    }
    const n = state.userCount
    log(
        effects,
        `boot: ${n} user(s), failures ${state.failures}, mode ${modeName(state.mode)}` +
            (n === 0 ? ", setup mode" : "") +
            (n > 0 && state.recovery === null ? ", no recovery code" : "")
    )
    audit(state, now, effects, AuditKind.PowerOn, AuditSource.Unspecified, 0)
    if (state.lockoutActive) log(effects, `lockout resumed: ${state.lockoutUntil - now} ms`)
    if (state.mode === OperatingMode.Passage) {
        openLatch(state, now, effects)
        log(effects, "passage mode: latch open")
    }
}

/** '#' after a code (kind "verify"), a code and '*' ("menuOpen") or '*' and a code ("recovery"). */
function submitAttempt(state: LockState, now: number, effects: Effect[], purpose: "verify" | "menuOpen" | "recovery") {
    const code = state.entry
    const overlong = state.overlong
    clearEntry(state)
    // counted before the check: cutting power during it cannot buy a free try
    countAttempt(state, effects)
    const bad =
        overlong ||
        (purpose === "recovery" ? code.length !== RECOVERY_LENGTH : codeSyntaxError(state.policy, code) !== null)
    if (bad) {
        failAttempt(state, now, effects, "invalid entry length", AuditKind.InvalidCredential, 0)
        return
    }
    effects.push({ type: "hash", code: purpose === "recovery" ? recoveryMessage(code) : code })
    state.pending = purpose
}

/** '#' with a non-empty entry while a setup stage is open. */
function submitSetup(state: LockState, now: number, effects: Effect[]) {
    const code = state.entry
    const overlong = state.overlong
    clearEntry(state)
    state.setupLastAt = now
    const syntax = overlong ? "too long" : codeSyntaxError(state.policy, code)
    if (state.setupStage === "new") {
        const reason = syntax !== null ? syntax : weakCodeReason(code)
        if (reason !== null) {
            sound(effects, "failure")
            log(effects, `setup: code refused: ${reason}`)
            return
        }
        effects.push({ type: "hash", code: code })
        state.pending = "setupNew"
    } else {
        if (syntax !== null) {
            setupMismatch(state, effects)
            return
        }
        effects.push({ type: "hash", code: code })
        state.pending = "setupConfirm"
    }
}

function setupMismatch(state: LockState, effects: Effect[]) {
    state.setupStage = "new"
    state.setupFirst = null
    sound(effects, "failure")
    log(effects, "setup: codes differ, enter new code again")
}

/** Longest entry the current context takes (one more digit marks it over-long). */
function entryCap(state: LockState): number {
    if (state.menu !== "" && state.menu !== "code" && state.menu !== "confirm") return MENU_ENTRY_MAX
    if (state.setupStage === "idle" && state.menu === "" && state.star === STAR_FIRST) return RECOVERY_LENGTH
    return state.policy.maxCodeLength
}

function onKeyDown(state: LockState, key: string, now: number, effects: Effect[]) {
    if (!isKey(key) || state.pending !== "") return
    if (state.lockoutActive) {
        sound(effects, "lockout")
        // one LockOperationError per attempt, not per key (and no flash write: a storm wears nothing)
        if (key === "#") effects.push({ type: "lockedOut" })
        return
    }
    const setupMode = state.userCount === 0
    if (setupMode && state.setupStage === "idle") {
        // press the program button first
        sound(effects, "failure")
        return
    }
    state.hashHeld = false
    const inSetup = state.setupStage !== "idle"
    const inMenu = state.menu !== ""
    if (inSetup) state.setupLastAt = now
    if (inMenu) state.menuLastAt = now
    if (isDigitKey(key)) {
        // digits then '*' then a digit: the '*' was a clear
        if (state.star === STAR_AFTER) clearEntry(state)
        const cap = entryCap(state)
        if (state.entry.length <= cap) state.entry = state.entry + key
        if (state.entry.length > cap) state.overlong = true
        state.lastKeyAt = now
        sound(effects, "key")
    } else if (key === "*") {
        state.lastKeyAt = now
        if (inSetup || inMenu) {
            if (state.entry.length > 0 || !inMenu) {
                clearEntry(state)
                sound(effects, "key")
            } else menuBack(state, effects)
        } else if (state.star === STAR_NONE) {
            state.star = state.entry.length === 0 ? STAR_FIRST : STAR_AFTER
            sound(effects, "key")
        } else {
            clearEntry(state)
            sound(effects, "key")
        }
    } else if (inSetup) {
        if (state.entry.length > 0) submitSetup(state, now, effects)
    } else if (inMenu) {
        if (state.entry.length > 0) menuSubmit(state, now, effects)
        else sound(effects, "failure")
    } else if (state.star === STAR_AFTER) {
        submitAttempt(state, now, effects, "menuOpen")
    } else if (state.star === STAR_FIRST) {
        if (state.entry.length > 0) submitAttempt(state, now, effects, "recovery")
        else clearEntry(state)
    } else if (state.entry.length > 0) {
        submitAttempt(state, now, effects, "verify")
    } else if (!state.locked) {
        // '#' on an empty entry: a long press locks
        state.hashHeld = true
        state.hashDownAt = now
    }
}

/**
 * Why the user in `slot` may not open from the keypad now (AuditKind.None when it may). Every
 * check runs whatever the answer, on a real record even when no slot matched (`slot` 0), and the
 * answer is picked arithmetically: the same work for every slot and state.
 */
function keypadRefusal(state: LockState, slot: number, now: number): AuditKind {
    const found = 1 - same(slot, 0)
    const probe = pick(found, slot, MASTER_SLOT)
    const type = userType(state.users, probe)
    const timed = scheduleRefusal(state.users, probe, state.clockSet, wallSeconds(state, now))
    const disabled = same(userStatus(state.users, probe), UserStatus.OccupiedDisabled)
    const keypadless = same(type, UserType.NonAccess) | same(type, UserType.RemoteOnly) | same(type, UserType.ScheduleRestricted)
    const locked = state.locked ? 1 : 0
    const mode = (same(state.mode, OperatingMode.Privacy) & locked) | (same(state.mode, OperatingMode.Vacation) & (1 - same(type, UserType.Programming)))
    const reason = pick(disabled, AuditKind.DisabledUserDenied, pick(keypadless, AuditKind.RestrictedUserType, pick(mode, AuditKind.RestrictedMode, timed)))
    return pick(found, reason, AuditKind.InvalidCredential)
}

function opened(state: LockState, now: number, effects: Effect[]) {
    state.failures = 0
    state.served = false
    state.codeChecks = 0
    state.codeChecksUntil = 0
    // the latch first: clearing the counter can wait a few ms (a power cut in between only
    // leaves the counter higher, which is the safe side)
    openLatch(state, now, effects)
    effects.push({ type: "saveCounter", failures: 0, served: false })
    sound(effects, "success")
}

/** A code matched slot `slot` (or none: 0); decide, open or refuse, and record why. */
function decideKeypad(state: LockState, slot: number, now: number, effects: Effect[]) {
    const reason = keypadRefusal(state, slot, now)
    if (reason !== AuditKind.None) {
        refuseCode(state, now, effects, reason, slot)
        return
    }
    const type = userType(state.users, slot)
    // one-shot credentials are used up on flash BEFORE the latch moves: a power cut in between
    // must not give the code back
    let firstUse = 0
    if (type === UserType.Disposable) {
        setUserStatus(state.users, slot, UserStatus.OccupiedDisabled)
        saveUserOf(state, effects, slot)
    } else if (type === UserType.Expiring && userParam(state.users, slot, 2, 4) === 0) {
        firstUse = wallSeconds(state, now)
        setUserParam(state.users, slot, 2, 4, firstUse)
        saveUserOf(state, effects, slot)
    }
    opened(state, now, effects)
    log(effects, `unlocked (slot ${slot}, ${userTypeName(type)})`)
    audit(state, now, effects, AuditKind.Unlock, AuditSource.Keypad, slot)
    if (type === UserType.Forced) {
        // duress: opens like any code, and raises a silent alarm
        alarm(effects, "ForcedUser", slot)
        audit(state, now, effects, AuditKind.ForcedUser, AuditSource.Keypad, slot)
    } else if (type === UserType.Disposable) {
        audit(state, now, effects, AuditKind.UserDisabled, AuditSource.Auto, slot)
        log(effects, `slot ${slot}: disposable code used up (disabled)`)
    } else if (firstUse > 0) {
        const minutes = userParam(state.users, slot, 0, 2)
        log(effects, `slot ${slot}: first use, valid until ${formatWallTime(firstUse + minutes * 60)}`)
    }
}

function onDigest(state: LockState, digest: Bytes, now: number, effects: Effect[]) {
    const pending = state.pending
    state.pending = ""
    if (pending === "verify") {
        decideKeypad(state, findUser(state.users, digest, 0), now, effects)
    } else if (pending === "menuOpen") {
        const slot = findUser(state.users, digest, 0)
        const master =
            slot === MASTER_SLOT &&
            userType(state.users, slot) === UserType.Programming &&
            userStatus(state.users, slot) === UserStatus.OccupiedEnabled
        if (master) {
            state.failures = 0
            state.served = false
            effects.push({ type: "saveCounter", failures: 0, served: false })
            openMenu(state, now, effects)
        } else {
            failAttempt(state, now, effects, "menu refused: not the master code", AuditKind.InvalidCredential, slot)
        }
    } else if (pending === "recovery") {
        onRecovery(state, digest, now, effects)
    } else if (pending === "setupNew") {
        state.setupFirst = truncateDigest(digest)
        state.setupStage = "confirm"
        state.setupLastAt = now
        sound(effects, "step")
        log(effects, "setup: enter the same code again")
    } else if (pending === "setupConfirm") {
        onSetupConfirm(state, digest, now, effects)
    } else if (pending === "menuCode" || pending === "menuConfirm") {
        menuDigest(state, pending, digest, now, effects)
    } else if (pending === "remoteCode") {
        companionCode(state, digest, now, effects)
    } else {
        log(effects, "unexpected digest ignored")
    }
}

function onRecovery(state: LockState, digest: Bytes, now: number, effects: Effect[]) {
    const stored = state.recovery
    // compared in full even when there is none, so both cases cost the same
    const match = sameDigest(stored !== null ? stored : digest, digest) && stored !== null && state.userCount > 0
    if (!match) {
        refuseCode(state, now, effects, AuditKind.InvalidCredential, 0)
        return
    }
    if (state.mode === OperatingMode.Privacy && state.locked) {
        refuseCode(state, now, effects, AuditKind.RestrictedMode, 0)
        return
    }
    // used up on flash before the latch moves: it never works again, even after a power cut
    state.recovery = null
    effects.push({ type: "saveRecovery", digest: null })
    opened(state, now, effects)
    audit(state, now, effects, AuditKind.RecoveryUsed, AuditSource.Keypad, 0)
    log(effects, "unlocked (recovery code, now used up): enter a new master code, then again")
    state.setupStage = "new"
    state.setupForced = true
    state.setupFirst = null
    state.setupLastAt = now
}

function onSetupConfirm(state: LockState, digest: Bytes, now: number, effects: Effect[]) {
    state.setupLastAt = now
    if (state.setupFirst === null || !sameDigest(state.setupFirst, digest)) {
        setupMismatch(state, effects)
        return
    }
    const first = state.userCount === 0
    if (!first && findUser(state.users, digest, MASTER_SLOT) !== 0) {
        state.setupStage = "new"
        state.setupFirst = null
        codeInUse(state, now, effects, "setup: code refused: already in use, enter new code again")
        return
    }
    setUser(state.users, MASTER_SLOT, UserType.Programming, UserStatus.OccupiedEnabled, null, digest)
    state.userCount = userCount(state.users)
    leaveSetupStage(state)
    saveUserOf(state, effects, MASTER_SLOT)
    // a lock with users always has a counter on flash: a missing one later means tampering
    if (first) effects.push({ type: "saveCounter", failures: state.failures, served: state.served })
    audit(state, now, effects, AuditKind.MasterChanged, AuditSource.Keypad, MASTER_SLOT)
    effects.push({ type: "issueRecovery" })
    sound(effects, "success")
    log(effects, first ? "setup: code saved" : "setup: new master code saved")
}

function onButtonDown(state: LockState, now: number, effects: Effect[]) {
    state.buttonHeld = true
    state.buttonDownAt = now
    state.resetDone = false
    if (state.userCount === 0 && state.pending === "") {
        clearEntry(state)
        state.setupStage = "new"
        state.setupForced = false
        state.setupFirst = null
        state.setupLastAt = now
        sound(effects, "step")
        log(effects, "setup: enter new code")
    }
}

/** A remote unlock or lock; returns why it was refused, or null when it was carried out. */
function onRemote(state: LockState, op: string, slot: number, now: number, effects: Effect[]): string | null {
    const s = isSlot(slot) ? slot : 0
    if (state.userCount === 0) {
        log(effects, "remote refused: setup mode")
        return "setup mode: the lock never opens before it has a master code"
    }
    if (state.mode === OperatingMode.NoRemoteLockUnlock) {
        audit(state, now, effects, AuditKind.RemoteRefused, AuditSource.Remote, s)
        log(effects, `remote ${op} refused: mode NoRemoteLockUnlock`)
        return "mode NoRemoteLockUnlock"
    }
    if (op === "unlock") {
        openLatch(state, now, effects)
        sound(effects, "success")
        log(effects, "unlocked (remote)")
        audit(state, now, effects, AuditKind.Unlock, AuditSource.Remote, s)
    } else if (op === "lock") {
        if (state.mode === OperatingMode.Passage) {
            log(effects, "remote lock refused: mode Passage")
            return "mode Passage keeps the latch open"
        }
        lockNow(state, now, effects, "remote", AuditSource.Remote)
    } else {
        log(effects, "remote: unknown operation")
        return "unknown operation"
    }
    return null
}

/**
 * An authentic companion command (the adapter authenticated it before posting it): carried out
 * in turn. It never touches the keypad's failure counter, which is the keypad's alone (the
 * companion channel has its own throttle, core/throttle.ts).
 */
function onRemoteAttempt(state: LockState, effects: Effect[]) {
    if (state.pending !== "") {
        log(effects, "remote command while busy: ignored")
        reply(effects, STATUS_BUSY, null)
        return
    }
    effects.push({ type: "checkRemote" })
    state.pending = "remote"
}

/**
 * The companion command, its record saved. Not carried out (`ok` false: the adapter has answered
 * it): nothing else happens. Otherwise carried out; clear-lockout, alone, clears the keypad's
 * failure counter and lockout.
 */
function onRemoteResult(state: LockState, ok: boolean, action: RemoteAction, keyId: number, args: Bytes | undefined, now: number, effects: Effect[]) {
    if (state.pending !== "remote") {
        log(effects, "unexpected remote result ignored")
        return
    }
    state.pending = ""
    if (!ok) {
        log(effects, `remote command from companion ${keyId} not carried out`)
        return
    }
    if (tamperRefuses(state, action)) {
        refuseRemote(effects, STATUS_REFUSED, TAMPER_REFUSAL)
        return
    }
    // an owner's routine command (a nightly remote lock) must not wipe an attacker's failures
    const wasLockedOut = state.lockoutActive
    if (action === "clearLockout") {
        state.failures = 0
        state.served = false
        state.lockoutActive = false
        effects.push({ type: "saveCounter", failures: state.failures, served: state.served })
    }
    if (action === "unlock" || action === "lock") {
        const why = onRemote(state, action, 0, now, effects)
        if (why === null) reply(effects, STATUS_OK, null)
        else reply(effects, STATUS_REFUSED, textBytes(why))
    } else if (action === "clearLockout") {
        log(effects, `failure counter${wasLockedOut ? " and lockout" : ""} cleared (companion ${keyId})`)
        audit(state, now, effects, AuditKind.LockoutCleared, AuditSource.Remote, 0)
        reply(effects, STATUS_OK, null)
    } else if (action === "revoked") {
        audit(state, now, effects, AuditKind.CompanionRevoked, AuditSource.Remote, args && args.length > 0 ? args[0] : 0)
        reply(effects, STATUS_OK, null)
    } else if (action === "rolledBack") {
        audit(state, now, effects, AuditKind.LockFactoryReset, AuditSource.Remote, ROLLED_BACK_SLOT)
        alarm(effects, "StoreLost", 0)
        reply(effects, STATUS_OK, null)
    } else if (action === "none") {
        log(effects, `companion ${keyId} command done`)
        reply(effects, STATUS_OK, null)
    } else {
        companionAction(state, action, args ? args : [], now, effects)
    }
}

function onSetUserName(state: LockState, slot: number, name: string, now: number, effects: Effect[]) {
    const why = !isSlot(slot) || !isOccupied(state.users, slot) ? "no user in that slot" : nameError(name)
    if (why !== null) {
        log(effects, `name refused: ${why}`)
        return
    }
    setUserName(state.names, slot, name)
    saveNameOf(state, effects, slot)
    audit(state, now, effects, AuditKind.UserNamed, AuditSource.Remote, slot)
    log(effects, `slot ${slot} named`)
}

/**
 * LockJammed, in the audit log and as an alarm. A latch that would not open is already on its way
 * back to locked (the monitor drives it): the lock is locked again, with no auto-relock pending.
 */
function onLatchJammed(state: LockState, locked: boolean, now: number, effects: Effect[]) {
    audit(state, now, effects, AuditKind.LockJammed, AuditSource.Unspecified, 0)
    alarm(effects, "LockJammed", 0)
    if (!locked) {
        state.locked = true
        state.lockedAt = now
        state.relockActive = false
        log(effects, "latch jammed: it would not open, sent back to locked")
    } else log(effects, "latch jammed: it would not lock")
}

/**
 * Feeds one event to the lock. Mutates `state` and returns the effects the adapter must apply,
 * in order. `now` is the current time in ms (any monotonic clock).
 */
export function step(state: LockState, event: LockEvent, now: number): Effect[] {
    const effects: Effect[] = []
    if (event.type === "boot") {
        onBoot(state, event, now, effects)
        return effects
    }
    runTimers(state, now, effects)
    if (event.type === "keyDown") {
        onKeyDown(state, event.key, now, effects)
    } else if (event.type === "keyUp") {
        if (event.key === "#") state.hashHeld = false
    } else if (event.type === "buttonDown") {
        acknowledgeTamper(state, effects)
        onButtonDown(state, now, effects)
    } else if (event.type === "buttonUp") {
        if (state.buttonHeld && !state.resetDone && state.userCount > 0)
            log(effects, `program button released after ${now - state.buttonDownAt} ms (hold ${state.policy.resetHoldMs} ms to reset)`)
        state.buttonHeld = false
    } else if (event.type === "digest") {
        onDigest(state, event.digest, now, effects)
    } else if (event.type === "setClock") {
        setWallClock(state, event.epochMs, now, effects, AuditSource.Remote)
    } else if (event.type === "recoveryIssued") {
        if (state.userCount > 0) {
            state.recovery = truncateDigest(event.digest)
            effects.push({ type: "saveRecovery", digest: state.recovery })
            audit(state, now, effects, AuditKind.RecoveryIssued, AuditSource.Unspecified, 0)
        }
    } else if (event.type === "remote") {
        onRemote(state, event.op, event.slot, now, effects)
    } else if (event.type === "remoteAttempt") {
        onRemoteAttempt(state, effects)
    } else if (event.type === "remoteResult") {
        onRemoteResult(state, event.ok, event.action, event.keyId, event.args, now, effects)
    } else if (event.type === "door") {
        onDoor(state, event.open, now, effects)
    } else if (event.type === "setUserName") {
        onSetUserName(state, event.slot, event.name, now, effects)
    } else if (event.type === "latchJammed") {
        onLatchJammed(state, event.locked, now, effects)
    } else if (event.type === "companionEnrolled") {
        audit(state, now, effects, AuditKind.CompanionEnrolled, AuditSource.Remote, event.keyId)
    } else if (event.type === "storeTampered") {
        onStoreTampered(state, now, effects)
    } else if (event.type === "foreignPart") {
        onForeignPart(state, event.part, now, effects)
    }
    return effects
}
