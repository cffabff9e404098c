/**
 * The lock's state, its inputs (events) and outputs (effects), and the small helpers every room
 * of the core shares. No logic about codes lives here: see lock.ts (the state machine), menu.ts
 * (keypad programming), users.ts (the user table), schedule.ts and audit.ts.
 */
import { AuditKind, AuditSource } from "./audit"
import { Bytes } from "./ct"
import { modeName, OperatingMode } from "./modes"
import { Policy } from "./policy"
import { formatWallTime, MAX_WALL_SECONDS, MIN_WALL_SECONDS } from "./schedule"
import { createNameTable, createUserTable, nameChunk, nameChunkOf, newBytes, PARAMS_BYTES, userChunk, userChunkOf } from "./users"

/** Tones the buzzer knows. */
export type Sound =
    | "key"
    | "success"
    | "failure"
    | "lockout"
    | "locked"
    | "step"
    | "timeout"
    | "menu"
    | "exit"
    | "reset"

/** Inputs of the state machine. */
export type LockEvent =
    /** After restart: what flash held. Always the first event. Null tables read as empty. */
    | {
          type: "boot"
          users: Bytes | null
          names: Bytes | null
          failures: number
          served: boolean
          mode: number
          recovery: Bytes | null
      }
    /** A keypad key went down: "0".."9", "*" or "#". */
    | { type: "keyDown"; key: string }
    | { type: "keyUp"; key: string }
    /** The program button inside the door. */
    | { type: "buttonDown" }
    | { type: "buttonUp" }
    /** Sent periodically (about every 100 ms). */
    | { type: "tick" }
    /** HMAC-SHA256 of the message of the last "hash" effect. Must be a fresh buffer. */
    | { type: "digest"; digest: Bytes }
    /**
     * Sets the wall clock: local time as milliseconds since 1970-01-01 00:00 (no time zone is
     * applied). Comes from an authenticated source only (the firmware decides which).
     */
    | { type: "setClock"; epochMs: number }
    /** Answer to "issueRecovery": the digest of the recovery code just shown. */
    | { type: "recoveryIssued"; digest: Bytes }
    /** An authenticated remote operation (a companion's sealed command). `slot` 0 = none. */
    | { type: "remote"; op: string; slot: number }
    /** A companion's sealed command arrived: it counts as an attempt until it proves itself. */
    | { type: "remoteAttempt" }
    /** Answer to "checkRemote": was the command authentic, and what it asks of the lock. */
    | { type: "remoteResult"; ok: boolean; action: RemoteAction; keyId: number; args?: Bytes }
    /** An authenticated request to name a user (at most 10 printable ASCII characters). */
    | { type: "setUserName"; slot: number; name: string }
    /** The door sensor's reading (the first one after boot only says where the door is). */
    | { type: "door"; open: boolean }
    /**
     * The latch switch did not confirm a move to `locked`, even on its retry (src/core/latch.ts).
     * A latch that would not open has been sent back to locked by the monitor.
     */
    | { type: "latchJammed"; locked: boolean }
    /** A companion key was enrolled (physical presence; the adapter holds the key). */
    | { type: "companionEnrolled"; keyId: number }
    /** A setting the lock keeps changed on flash without it (tamper.ts). */
    | { type: "storeTampered" }
    /** A part (LockPart) is bound to a device that is not the board's own (tamper.ts). */
    | { type: "foreignPart"; part: number }

/** Outputs of the state machine, to be applied in order. */
export type Effect =
    /** Persist the failure counter; the adapter awaits the write before applying later effects. */
    | { type: "saveCounter"; failures: number; served: boolean }
    /** Persist one chunk of the user table (see users.ts). */
    | { type: "saveUsers"; chunk: number; data: Bytes }
    /** Persist one chunk of the name table. */
    | { type: "saveNames"; chunk: number; data: Bytes }
    | { type: "saveMode"; mode: number }
    /** Persist the recovery code's digest (null: there is none any more). */
    | { type: "saveRecovery"; digest: Bytes | null }
    /** Compute HMAC-SHA256(deviceKey, code) and send it back as a "digest" event. */
    | { type: "hash"; code: string }
    | { type: "latch"; locked: boolean }
    | { type: "sound"; sound: Sound }
    /** Human-readable; never contains a code or a digest. */
    | { type: "log"; message: string }
    /** Append to the audit log; `time` is wall-clock seconds, 0 when the clock is not set. */
    | { type: "audit"; kind: number; source: number; slot: number; time: number }
    /** A Matter alarm (ForcedUser, WrongCodeEntryLimit, LockFactoryReset): never a sound. */
    | { type: "alarm"; alarm: string; slot: number }
    /** Matter LockOperationError with no audit entry: '#' pressed during a keypad lockout. */
    | { type: "lockedOut" }
    /**
     * Make a fresh random recovery code, show it ONCE (console / log) and answer with
     * "recoveryIssued" carrying the HMAC of recoveryMessage(code).
     */
    | { type: "issueRecovery" }
    /** Erase everything the lock keeps (users, names, counter, mode, recovery, audit, device key). */
    | { type: "factoryReset" }
    /** Check the pending companion command (decrypt, nonce, counter) and answer "remoteResult". */
    | { type: "checkRemote" }
    /**
     * The answer to the companion command being carried out: a CommandStatus and plaintext for
     * the companion (the adapter seals it with the companion's key; null or empty = none).
     */
    | { type: "remoteReply"; status: number; detail: Bytes | null }
    /** Answer the companion command with audit segment `segment` as on flash (255: the chain's key). */
    | { type: "remoteAudit"; segment: number }

/** Where the setup flow (first master code, or a new one after recovery) stands. */
export type SetupStage = "idle" | "new" | "confirm"

/** What a pending "hash" effect is for ("" = none). */
export type Pending =
    | ""
    | "verify"
    | "menuOpen"
    | "recovery"
    | "setupNew"
    | "setupConfirm"
    | "menuCode"
    | "menuConfirm"
    | "remote"
    | "remoteCode"

/** What an authenticated companion command asks of the lock itself. */
export type RemoteAction =
    | "unlock"
    | "lock"
    | "clearLockout"
    | "mode"
    | "clock"
    | "userAdd"
    | "userRemove"
    | "userEnable"
    | "userDisable"
    | "userName"
    | "userList"
    | "auditRead"
    /** Companion keys revoked (by the adapter, which holds them); args[0]: the key id, 0 for all. */
    | "revoked"
    /** A companion found the store behind (the adapter has raised the generation): audit and alarm. */
    | "rolledBack"
    | "none"
    /** Authentic, but its arguments are refused by the adapter (args: the reason, as text). */
    | "invalid"

/** Keypad programming menu step ("" = closed). See menu.ts. */
export type MenuStep =
    | ""
    | "top"
    | "type"
    | "days"
    | "start"
    | "end"
    | "from"
    | "until"
    | "minutes"
    | "code"
    | "confirm"
    | "delete"
    | "disable"
    | "enable"
    | "mode"

/** How an entry began: no star, '*' first (recovery code), or '*' after digits (menu request). */
export const STAR_NONE = 0
export const STAR_FIRST = 1
export const STAR_AFTER = 2

/** The whole lock state: a plain object, mutated in place by step(). */
export interface LockState {
    policy: Policy
    /** The user table (users.ts); no occupied slot = setup mode. */
    users: Bytes
    /** User names (users.ts). */
    names: Bytes
    /** Occupied slots (cached from `users`). */
    userCount: number
    /** Digest of the recovery code (first DIGEST_LENGTH bytes); null = none. */
    recovery: Bytes | null
    mode: number
    /** Consecutive failed attempts. */
    failures: number
    /** The lockout earned by `failures` has been served. */
    served: boolean
    lockoutActive: boolean
    lockoutUntil: number
    locked: boolean
    relockActive: boolean
    relockAt: number
    /** Digits typed so far (bounded). */
    entry: string
    /** More digits were typed than the entry allows. */
    overlong: boolean
    /** STAR_NONE, STAR_FIRST or STAR_AFTER. */
    star: number
    lastKeyAt: number
    pending: Pending
    setupStage: SetupStage
    /** The setup flow replaces the master after a recovery (other users stay). */
    setupForced: boolean
    /** Digest of the first entry of a new code, RAM only. */
    setupFirst: Bytes | null
    setupLastAt: number
    menu: MenuStep
    menuLastAt: number
    /** The slot being added or changed in the menu. */
    draftSlot: number
    draftType: number
    /** Schedule parameters being collected (8 bytes). */
    draftParams: Bytes
    /** Digest of the first entry of the new code in the menu. */
    draftFirst: Bytes | null
    /** A companion's user being added while its code is hashed (see companion.ts). */
    remoteType: number
    remoteParams: Bytes
    remoteName: string
    /** Code uniqueness checks a companion ran since the last right keypad code (companion.ts). */
    codeChecks: number
    /** No companion code check before this time (ms). */
    codeChecksUntil: number
    /** '#' is held for a possible long-press lock. */
    hashHeld: boolean
    hashDownAt: number
    /** The program button is down (since buttonDownAt). */
    buttonHeld: boolean
    buttonDownAt: number
    /** The current hold already reset the lock. */
    resetDone: boolean
    /** The door sensor has reported (no sensor: the door is never known). */
    doorKnown: boolean
    doorOpen: boolean
    doorOpenedAt: number
    /** DoorAjar was raised for the current opening. */
    doorAjarRaised: boolean
    /** When the latch was last driven locked. */
    lockedAt: number
    /** The wall clock was set since power-on. */
    clockSet: boolean
    /** Wall-clock ms = now + clockOffsetMs (when clockSet). */
    clockOffsetMs: number
    /** The store alarm stands until the program button is pressed (tamper.ts). */
    tampered: boolean
}

/** Snapshot for displays, the adapter and tests. */
export interface LockStatus {
    setup: boolean
    setupStage: SetupStage
    locked: boolean
    failures: number
    lockoutRemainingMs: number
    entryLength: number
    busy: boolean
    mode: number
    users: number
    menu: MenuStep
    clockSet: boolean
    /** Door state: "open", "closed", or "unknown" (no sensor, or none reported yet). */
    door: string
    /** Wall-clock seconds since 1970, or 0 when the clock is not set. */
    wallSeconds: number
    hasRecovery: boolean
}

/** A new lock: locked, no users (so in setup mode) until a "boot" event says otherwise. */
export function createLock(policy: Policy, now: number): LockState {
    return {
        policy: policy,
        users: createUserTable(),
        names: createNameTable(),
        userCount: 0,
        recovery: null,
        mode: OperatingMode.Normal,
        failures: 0,
        served: true,
        lockoutActive: false,
        lockoutUntil: now,
        locked: true,
        relockActive: false,
        relockAt: now,
        entry: "",
        overlong: false,
        star: STAR_NONE,
        lastKeyAt: now,
        pending: "",
        setupStage: "idle",
        setupForced: false,
        setupFirst: null,
        setupLastAt: now,
        menu: "",
        menuLastAt: now,
        draftSlot: 0,
        draftType: 0,
        draftParams: newBytes(PARAMS_BYTES),
        draftFirst: null,
        remoteType: 0,
        remoteParams: newBytes(PARAMS_BYTES),
        remoteName: "",
        codeChecks: 0,
        codeChecksUntil: 0,
        hashHeld: false,
        hashDownAt: now,
        buttonHeld: false,
        buttonDownAt: now,
        resetDone: false,
        doorKnown: false,
        doorOpen: false,
        doorOpenedAt: now,
        doorAjarRaised: false,
        lockedAt: now,
        clockSet: false,
        clockOffsetMs: 0,
        tampered: false,
    }
}

/** Wall-clock seconds since 1970 (local time), or 0 when the clock is not set. */
export function wallSeconds(state: LockState, now: number): number {
    return state.clockSet ? Math.floor((now + state.clockOffsetMs) / 1000) : 0
}

/** Current status; `now` only matters for times. */
export function lockStatus(state: LockState, now: number): LockStatus {
    const remaining = state.lockoutUntil - now
    return {
        setup: state.userCount === 0,
        setupStage: state.setupStage,
        locked: state.locked,
        failures: state.failures,
        lockoutRemainingMs: state.lockoutActive && remaining > 0 ? remaining : 0,
        // digits then '*' look cleared: the next digit starts afresh (only '#' makes it a menu request)
        entryLength: state.star === STAR_AFTER ? 0 : state.entry.length,
        busy: state.pending !== "",
        mode: state.mode,
        users: state.userCount,
        menu: state.menu,
        clockSet: state.clockSet,
        door: state.doorKnown ? (state.doorOpen ? "open" : "closed") : "unknown",
        wallSeconds: wallSeconds(state, now),
        hasRecovery: state.recovery !== null,
    }
}

export function sound(effects: Effect[], s: Sound) {
    effects.push({ type: "sound", sound: s })
}

export function log(effects: Effect[], message: string) {
    effects.push({ type: "log", message: message })
}

export function audit(state: LockState, now: number, effects: Effect[], kind: AuditKind, source: AuditSource, slot: number) {
    effects.push({ type: "audit", kind: kind, source: source, slot: slot, time: wallSeconds(state, now) })
}

export function alarm(effects: Effect[], name: string, slot: number) {
    effects.push({ type: "alarm", alarm: name, slot: slot })
}

/** Persist the chunk of the user table holding `slot`. */
export function saveUserOf(state: LockState, effects: Effect[], slot: number) {
    const chunk = userChunkOf(slot)
    effects.push({ type: "saveUsers", chunk: chunk, data: userChunk(state.users, chunk) })
}

/** Persist the chunk of the name table holding `slot`. */
export function saveNameOf(state: LockState, effects: Effect[], slot: number) {
    const chunk = nameChunkOf(slot)
    effects.push({ type: "saveNames", chunk: chunk, data: nameChunk(state.names, chunk) })
}

export function clearEntry(state: LockState) {
    state.entry = ""
    state.overlong = false
    state.star = STAR_NONE
}

/** The message hashed for a recovery code: kept apart from user codes of the same digits. */
export function recoveryMessage(code: string): string {
    return "*" + code
}

/** Length of the recovery code, in digits. */
export const RECOVERY_LENGTH = 12

/** Locks the latch now (auto-relock, long press, remote, leaving Passage). */
export function lockNow(state: LockState, now: number, effects: Effect[], why: string, source: AuditSource) {
    state.locked = true
    state.lockedAt = now
    state.relockActive = false
    state.hashHeld = false
    effects.push({ type: "latch", locked: true })
    sound(effects, "locked")
    log(effects, `locked (${why})`)
    audit(state, now, effects, AuditKind.Lock, source, 0)
}

/** Drives the latch open (again, if it is open) and arms the auto-relock, except in Passage mode. */
export function openLatch(state: LockState, now: number, effects: Effect[]) {
    effects.push({ type: "latch", locked: false })
    state.locked = false
    state.hashHeld = false
    state.relockActive = state.mode !== OperatingMode.Passage && state.policy.autoRelockMs > 0
    state.relockAt = now + state.policy.autoRelockMs
}

/** Switches the operating mode, persists it, and moves the latch for Passage. */
export function changeMode(state: LockState, mode: number, now: number, effects: Effect[], source: AuditSource) {
    const before = state.mode
    state.mode = mode
    effects.push({ type: "saveMode", mode: mode })
    log(effects, `mode ${modeName(mode)}`)
    audit(state, now, effects, AuditKind.ModeChanged, source, mode)
    if (mode === OperatingMode.Passage) {
        openLatch(state, now, effects)
    } else if (before === OperatingMode.Passage && !state.locked) {
        lockNow(state, now, effects, "passage mode off", source)
    }
}

/**
 * Sets the wall clock (local time, ms since 1970) from an authenticated source; false (and
 * nothing changes) when it is outside 2020..2099.
 */
export function setWallClock(state: LockState, epochMs: number, now: number, effects: Effect[], source: AuditSource): boolean {
    if (!(epochMs >= MIN_WALL_SECONDS * 1000 && epochMs <= MAX_WALL_SECONDS * 1000)) {
        log(effects, "clock refused: out of range")
        return false
    }
    state.clockSet = true
    state.clockOffsetMs = epochMs - now
    log(effects, `clock set: ${formatWallTime(wallSeconds(state, now))}`)
    audit(state, now, effects, AuditKind.ClockSet, source, 0)
    return true
}
