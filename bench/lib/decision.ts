/**
 * The lock's real keypad decision, set up for the timing test (bench/ct.ts in Node,
 * bench/firmware/ct.devs.ts in the VM): one lock with 250 users, whose slot TEST_SLOT is made,
 * before each sample, the kind of user the sample's pair compares with a wrong code. Written in
 * the TypeScript subset DeviceScript compiles, so both runners time the very same core code.
 *
 * A sample is the core's whole decision: the digest of a typed code goes in as the "digest" event
 * (the firmware's path after its HMAC), and step() returns every effect that leaves the lock
 * (latch, tune, counter write, console line, audit entry). reset() runs between samples, outside
 * the timed region, so every sample starts from the same state (locked, no failures).
 */
import {
    Bytes,
    createLock,
    DEFAULT_POLICY,
    Effect,
    LockState,
    OperatingMode,
    setUser,
    setUserParam,
    STAR_NONE,
    step,
    UserStatus,
    UserType,
} from "../../src/core/index"

export const USERS = 250
/** The slot the refused (or opening) user sits in: mid-table (the scan reads every slot alike). */
export const TEST_SLOT = 137
/** 2026-01-01 12:00 (a Thursday), ms since 1970: the wall clock while it is set. */
export const CLOCK_MS = 1767268800000
/** 2020-01-01 and 2021-01-01, seconds since 1970. */
const Y2020 = 1577836800
const Y2021 = 1609459200

/**
 * The second class of each pair (the first is always a wrong code): the right code of a user who
 * may not open now, one of each kind the issue names, and a code that opens.
 */
export const KINDS = ["disabled", "nonaccess", "remoteonly", "off_hours", "off_dates", "expired", "clock_not_set", "vacation", "privacy", "opens"]

/** The code of slot s (6 digits, distinct, none weak). */
export function codeOf(slot: number): string {
    return "7" + (10000 + slot)
}

/** Slot s of a bench table: the master in slot 1, Unrestricted users in every other slot. */
export function enrol(t: Bytes, s: number, digest: Bytes) {
    setUser(t, s, s === 1 ? UserType.Programming : UserType.Unrestricted, UserStatus.OccupiedEnabled, null, digest)
}

/** The lock booted on a table of USERS users (enrol() each), its wall clock set. */
export function benchLock(t: Bytes): LockState {
    const state = createLock(DEFAULT_POLICY, 0)
    step(state, { type: "boot", users: t, names: null, failures: 0, served: true, mode: 0, recovery: null }, 0)
    step(state, { type: "setClock", epochMs: CLOCK_MS }, 0)
    return state
}

/** Makes TEST_SLOT (digest `d`), the mode and the clock what pair `kind` needs. */
export function configure(state: LockState, kind: number, d: Bytes) {
    const name = KINDS[kind]
    const t = state.users
    let type = UserType.Unrestricted
    let status = UserStatus.OccupiedEnabled
    if (name === "disabled") status = UserStatus.OccupiedDisabled
    else if (name === "nonaccess") type = UserType.NonAccess
    else if (name === "remoteonly") type = UserType.RemoteOnly
    else if (name === "off_hours" || name === "clock_not_set") type = UserType.WeekDaySchedule
    else if (name === "off_dates") type = UserType.YearDaySchedule
    else if (name === "expired") type = UserType.Expiring
    setUser(t, TEST_SLOT, type, status, null, d)
    if (name === "off_hours") {
        // every day, 00:00 to 01:00: 12:00 is outside
        setUserParam(t, TEST_SLOT, 0, 1, 127)
        setUserParam(t, TEST_SLOT, 1, 2, 0)
        setUserParam(t, TEST_SLOT, 3, 2, 60)
    } else if (name === "clock_not_set") {
        setUserParam(t, TEST_SLOT, 0, 1, 127)
        setUserParam(t, TEST_SLOT, 1, 2, 0)
        setUserParam(t, TEST_SLOT, 3, 2, 1440)
    } else if (name === "off_dates") {
        setUserParam(t, TEST_SLOT, 0, 4, Y2020)
        setUserParam(t, TEST_SLOT, 4, 4, Y2021)
    } else if (name === "expired") {
        setUserParam(t, TEST_SLOT, 0, 2, 60)
        setUserParam(t, TEST_SLOT, 2, 4, Y2020)
    }
    state.mode = name === "vacation" ? OperatingMode.Vacation : name === "privacy" ? OperatingMode.Privacy : OperatingMode.Normal
    state.clockSet = name !== "clock_not_set"
}

/** Back to the state every sample starts from: locked, no failure, a code submitted. */
export function reset(state: LockState) {
    state.failures = 0
    state.served = true
    state.lockoutActive = false
    state.locked = true
    state.relockActive = false
    state.pending = "verify"
}

/** The timed region: the core's decision on a digest, to every effect it returns. */
export function decide(state: LockState, digest: Bytes, now: number): Effect[] {
    return step(state, { type: "digest", digest: digest }, now)
}

/** True when the effects open the latch. */
export function opens(effects: Effect[]): boolean {
    for (const e of effects) if (e.type === "latch" && !e.locked) return true
    return false
}

/**
 * Back to the state every end-to-end sample starts from: locked, no failure, `code` typed and
 * waiting for its '#' (what the keys before it leave behind).
 */
export function typed(state: LockState, code: string, now: number) {
    reset(state)
    state.pending = ""
    state.entry = code
    state.overlong = false
    state.star = STAR_NONE
    state.lastKeyAt = now
}
