import { Bytes, ctEqual, findSlot } from "./ct"
import { codeSyntaxError, isDigitKey, isKey, weakCodeReason } from "./codes"
import { lockoutDurationMs } from "./lockout"
import { Policy } from "./policy"

/** Where an operation came from (Matter OperationSourceEnum names). */
export type OperationSource = "keypad" | "auto" | "button" | "remote"

/** Why an operation was refused (Matter OperationErrorEnum names, plus lockedOut). */
export type OperationError = "invalidCredential" | "lockedOut"

/** What an authenticated companion command asks of the lock itself. */
export type RemoteAction = "unlock" | "lock" | "clearLockout" | "none"

/** Tones the buzzer knows. */
export type Sound = "key" | "success" | "failure" | "lockout" | "locked" | "step" | "timeout"

/** Inputs of the state machine. */
export type LockEvent =
    /** After restart: what flash held. Always the first event. */
    | { type: "boot"; codes: (Bytes | null)[]; failures: number; served: boolean }
    /** A keypad key went down: "0".."9", "*" or "#". */
    | { type: "keyDown"; key: string }
    | { type: "keyUp"; key: string }
    /** The program button inside the door. */
    | { type: "buttonDown" }
    | { type: "buttonUp" }
    /** Sent periodically (about every 100 ms). */
    | { type: "tick" }
    /** HMAC-SHA256 of the code of the last "hash" effect. Must be a fresh buffer. */
    | { type: "digest"; digest: Bytes }
    /** A companion's sealed command arrived: it counts as an attempt until it proves itself. */
    | { type: "remoteAttempt" }
    /** Answer to "checkRemote": was the command authentic, and what it asks of the lock. */
    | { type: "remoteResult"; ok: boolean; action: RemoteAction; keyId: number }

/** Outputs of the state machine, to be applied in order. */
export type Effect =
    /** Persist the failure counter; the adapter awaits the write before applying later effects. */
    | { type: "saveCounter"; failures: number; served: boolean }
    /** Persist the code slots (digests). */
    | { type: "saveCodes"; codes: (Bytes | null)[] }
    /** Compute HMAC-SHA256(deviceKey, code) and send it back as a "digest" event. */
    | { type: "hash"; code: string }
    | { type: "latch"; locked: boolean }
    | { type: "sound"; sound: Sound }
    /** Human-readable; never contains a code or a digest. */
    | { type: "log"; message: string }
    /** Matter LockOperation event: the latch was locked or unlocked (slot -1 = no user). */
    | { type: "operation"; unlock: boolean; source: OperationSource; slot: number }
    /** Matter LockOperationError event: an unlock attempt was refused. */
    | { type: "operationError"; source: OperationSource; error: OperationError; failures: number }
    /** Check the pending companion command (decrypt, nonce, counter) and answer "remoteResult". */
    | { type: "checkRemote" }
    /** Matter DoorLockAlarm: a keypad lockout started. */
    | { type: "alarm"; alarm: "wrongCodeEntryLimit" }

/** Where the setup flow stands. */
export type SetupStage = "idle" | "new" | "confirm"

/** What a pending "hash" effect is for ("" = none). */
export type Pending = "" | "verify" | "setupNew" | "setupConfirm" | "remote"

/** The whole lock state: a plain object, mutated in place by {@link step}. */
export interface LockState {
    policy: Policy
    /** Stored code digests; null = empty slot. No non-null slot = setup mode. */
    codes: (Bytes | null)[]
    /** Consecutive failed attempts. */
    failures: number
    /** The lockout earned by `failures` has been served. */
    served: boolean
    lockoutActive: boolean
    lockoutUntil: number
    locked: boolean
    relockActive: boolean
    relockAt: number
    /** Digits typed so far: at most maxCodeLength + 1. */
    entry: string
    /** More digits were typed than maxCodeLength. */
    overlong: boolean
    lastKeyAt: number
    pending: Pending
    setupStage: SetupStage
    /** Digest of the first entry of the setup flow, RAM only. */
    setupFirst: Bytes | null
    setupLastAt: number
    /** '#' is held for a possible long-press lock. */
    hashHeld: boolean
    hashDownAt: number
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
}

/** A new lock: locked, no codes (so in setup mode) until a "boot" event says otherwise. */
export function createLock(policy: Policy, now: number): LockState {
    return {
        policy: policy,
        codes: [],
        failures: 0,
        served: true,
        lockoutActive: false,
        lockoutUntil: now,
        locked: true,
        relockActive: false,
        relockAt: now,
        entry: "",
        overlong: false,
        lastKeyAt: now,
        pending: "",
        setupStage: "idle",
        setupFirst: null,
        setupLastAt: now,
        hashHeld: false,
        hashDownAt: now,
    }
}

function hasCode(codes: (Bytes | null)[]): boolean {
    for (const c of codes) if (c !== null && c !== undefined) return true
    return false
}

/** Current status; `now` only matters for the remaining lockout time. */
export function lockStatus(state: LockState, now: number): LockStatus {
    const remaining = state.lockoutUntil - now
    return {
        setup: !hasCode(state.codes),
        setupStage: state.setupStage,
        locked: state.locked,
        failures: state.failures,
        lockoutRemainingMs: state.lockoutActive && remaining > 0 ? remaining : 0,
        entryLength: state.entry.length,
        busy: state.pending !== "",
    }
}

function sound(effects: Effect[], s: Sound) {
    effects.push({ type: "sound", sound: s })
}

function log(effects: Effect[], message: string) {
    effects.push({ type: "log", message: message })
}

function clearEntry(state: LockState) {
    state.entry = ""
    state.overlong = false
}

function leaveSetupStage(state: LockState) {
    state.setupStage = "idle"
    state.setupFirst = null
    if (state.pending === "setupNew" || state.pending === "setupConfirm") state.pending = ""
}

function lockNow(state: LockState, effects: Effect[], why: string, source: OperationSource) {
    state.locked = true
    state.relockActive = false
    state.hashHeld = false
    effects.push({ type: "latch", locked: true })
    sound(effects, "locked")
    log(effects, `locked (${why})`)
    effects.push({ type: "operation", unlock: false, source: source, slot: -1 })
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
    if (state.entry.length > 0 && now - state.lastKeyAt >= p.entryTimeoutMs) {
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
    if (!state.locked && state.relockActive && now >= state.relockAt) lockNow(state, effects, "auto-relock", "auto")
    if (state.hashHeld && !state.locked && state.entry.length === 0 && now - state.hashDownAt >= p.longPressMs)
        lockNow(state, effects, "long press", "keypad")
}

function onBoot(
    state: LockState,
    event: { codes: (Bytes | null)[]; failures: number; served: boolean },
    now: number,
    effects: Effect[]
) {
    const p = state.policy
    // fail secure: lock before anything else
    effects.push({ type: "latch", locked: true })
    state.locked = true
    state.relockActive = false
    state.hashHeld = false
    state.pending = ""
    clearEntry(state)
    leaveSetupStage(state)
    state.codes = event.codes ? event.codes.slice(0) : []
    const failures = event.failures
    state.failures = failures > 0 ? Math.floor(failures) : 0
    state.served = !!event.served
    state.lockoutActive = false
    if (state.failures > p.freeFailures && !state.served) {
        state.lockoutActive = true
        state.lockoutUntil = now + lockoutDurationMs(p, state.failures)
    }
    let count = 0
    for (const c of state.codes) if (c !== null && c !== undefined) count++
    log(effects, `boot: ${count} code(s), failures ${state.failures}${count === 0 ? ", setup mode" : ""}`)
    if (state.lockoutActive) log(effects, `lockout resumed: ${state.lockoutUntil - now} ms`)
}

/** A failed attempt whose counter is already saved: lockout or failure tone. */
function failAttempt(state: LockState, now: number, effects: Effect[], what: string, source: OperationSource = "keypad") {
    const p = state.policy
    if (state.failures > p.freeFailures) {
        const duration = lockoutDurationMs(p, state.failures)
        state.lockoutActive = true
        state.lockoutUntil = now + duration
        sound(effects, "lockout")
        log(effects, `${what} (failures ${state.failures}), lockout ${duration} ms`)
    } else {
        sound(effects, "failure")
        log(effects, `${what} (failures ${state.failures})`)
    }
    effects.push({ type: "operationError", source: source, error: "invalidCredential", failures: state.failures })
    if (state.lockoutActive) effects.push({ type: "alarm", alarm: "wrongCodeEntryLimit" })
}

/** '#' with a non-empty entry in normal mode. */
function submitCode(state: LockState, now: number, effects: Effect[]) {
    state.failures = state.failures + 1
    state.served = false
    // counted before the check: cutting power during it cannot buy a free try
    effects.push({ type: "saveCounter", failures: state.failures, served: false })
    if (codeSyntaxError(state.policy, state.entry) !== null) {
        clearEntry(state)
        failAttempt(state, now, effects, "invalid entry length")
        return
    }
    effects.push({ type: "hash", code: state.entry })
    clearEntry(state)
    state.pending = "verify"
}

/** '#' with a non-empty entry while a setup stage is open. */
function submitSetup(state: LockState, now: number, effects: Effect[]) {
    const code = state.entry
    clearEntry(state)
    state.setupLastAt = now
    const syntax = codeSyntaxError(state.policy, code)
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

function onKeyDown(state: LockState, key: string, now: number, effects: Effect[]) {
    if (!isKey(key) || state.pending !== "") return
    if (state.lockoutActive) {
        sound(effects, "lockout")
        if (key === "#")
            effects.push({ type: "operationError", source: "keypad", error: "lockedOut", failures: state.failures })
        return
    }
    const setup = !hasCode(state.codes)
    if (setup && state.setupStage === "idle") {
        // press the program button first
        sound(effects, "failure")
        return
    }
    state.hashHeld = false
    if (setup) state.setupLastAt = now
    if (isDigitKey(key)) {
        if (state.entry.length <= state.policy.maxCodeLength) state.entry = state.entry + key
        if (state.entry.length > state.policy.maxCodeLength) state.overlong = true
        state.lastKeyAt = now
        sound(effects, "key")
    } else if (key === "*") {
        clearEntry(state)
        state.lastKeyAt = now
        sound(effects, "key")
    } else if (state.entry.length > 0) {
        if (setup) submitSetup(state, now, effects)
        else submitCode(state, now, effects)
    } else if (!state.locked) {
        // '#' on an empty entry: a long press locks
        state.hashHeld = true
        state.hashDownAt = now
    }
}

function onDigest(state: LockState, digest: Bytes, now: number, effects: Effect[]) {
    const pending = state.pending
    state.pending = ""
    if (pending === "verify") {
        const slot = findSlot(digest, state.codes)
        if (slot >= 0) {
            state.failures = 0
            state.served = false
            // the latch first: clearing the counter can wait a few ms (a power cut in between
            // only leaves the counter higher, which is the safe side)
            effects.push({ type: "latch", locked: false })
            effects.push({ type: "saveCounter", failures: 0, served: false })
            state.locked = false
            sound(effects, "success")
            log(effects, `unlocked (slot ${slot})`)
            effects.push({ type: "operation", unlock: true, source: "keypad", slot: slot })
            state.relockActive = state.policy.autoRelockMs > 0
            state.relockAt = now + state.policy.autoRelockMs
        } else {
            failAttempt(state, now, effects, "wrong code")
        }
    } else if (pending === "setupNew") {
        state.setupFirst = digest
        state.setupStage = "confirm"
        state.setupLastAt = now
        sound(effects, "step")
        log(effects, "setup: enter the same code again")
    } else if (pending === "setupConfirm") {
        state.setupLastAt = now
        if (state.setupFirst !== null && ctEqual(state.setupFirst, digest)) {
            state.codes = [digest]
            leaveSetupStage(state)
            effects.push({ type: "saveCodes", codes: [digest] })
            sound(effects, "success")
            log(effects, "setup: code saved")
        } else {
            setupMismatch(state, effects)
        }
    } else {
        log(effects, "unexpected digest ignored")
    }
}

/**
 * Feeds one event to the lock. Mutates `state` and returns the effects the
 * adapter must apply, in order. `now` is the current time in ms.
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
        if (!hasCode(state.codes) && state.pending === "") {
            clearEntry(state)
            state.setupStage = "new"
            state.setupFirst = null
            state.setupLastAt = now
            sound(effects, "step")
            log(effects, "setup: enter new code")
        }
    } else if (event.type === "digest") {
        onDigest(state, event.digest, now, effects)
    } else if (event.type === "remoteAttempt") {
        onRemoteAttempt(state, effects)
    } else if (event.type === "remoteResult") {
        onRemoteResult(state, event.ok, event.action, event.keyId, now, effects)
    }
    return effects
}

/** A sealed companion command: counted (and saved) before it is checked, like a typed code. */
function onRemoteAttempt(state: LockState, effects: Effect[]) {
    if (state.pending !== "") {
        log(effects, "remote command while busy: ignored")
        return
    }
    state.failures = state.failures + 1
    state.served = false
    effects.push({ type: "saveCounter", failures: state.failures, served: false })
    effects.push({ type: "checkRemote" })
    state.pending = "remote"
}

function onRemoteResult(state: LockState, ok: boolean, action: RemoteAction, keyId: number, now: number, effects: Effect[]) {
    if (state.pending !== "remote") {
        log(effects, "unexpected remote result ignored")
        return
    }
    state.pending = ""
    if (!ok) {
        failAttempt(state, now, effects, `remote command refused (key ${keyId})`, "remote")
        return
    }
    // an enrolled companion proved itself: the failure counter and any keypad lockout are cleared
    const wasLockedOut = state.lockoutActive
    state.failures = 0
    state.served = false
    state.lockoutActive = false
    if (action === "unlock" && hasCode(state.codes)) {
        effects.push({ type: "latch", locked: false })
        effects.push({ type: "saveCounter", failures: 0, served: false })
        state.locked = false
        sound(effects, "success")
        log(effects, `unlocked (companion ${keyId})`)
        effects.push({ type: "operation", unlock: true, source: "remote", slot: -1 })
        state.relockActive = state.policy.autoRelockMs > 0
        state.relockAt = now + state.policy.autoRelockMs
        return
    }
    effects.push({ type: "saveCounter", failures: 0, served: false })
    if (action === "unlock") {
        // an unprovisioned lock never opens, whoever asks
        log(effects, `remote unlock refused: no master code yet (companion ${keyId})`)
        sound(effects, "failure")
    } else if (action === "lock") {
        if (state.locked) log(effects, `already locked (companion ${keyId})`)
        else lockNow(state, effects, `companion ${keyId}`, "remote")
    } else if (action === "clearLockout") {
        log(effects, `failure counter${wasLockedOut ? " and lockout" : ""} cleared (companion ${keyId})`)
    } else {
        log(effects, `companion ${keyId} command done`)
    }
}
