/**
 * Tunable numbers of the lock. All durations are in milliseconds.
 * Names follow the Matter Door Lock cluster where one exists.
 */
export interface Policy {
    /** Shortest accepted code, in digits. */
    minCodeLength: number
    /** Longest accepted code, in digits. */
    maxCodeLength: number
    /** Idle time after the last key that clears a partial entry. */
    entryTimeoutMs: number
    /** Time after an unlock until the latch locks again; 0 turns auto-relock off. */
    autoRelockMs: number
    /** Holding '#' this long (unlocked, empty entry) locks at once. */
    longPressMs: number
    /** Idle time after which an unfinished setup is abandoned. */
    setupTimeoutMs: number
    /** Wrong attempts allowed before the first lockout. */
    freeFailures: number
    /** Length of the first lockout; each further failure doubles it. */
    lockoutBaseMs: number
    /** Upper bound of a lockout. */
    lockoutMaxMs: number
    /** Idle time after which the keypad programming menu closes. */
    menuTimeoutMs: number
    /** Holding the inside program button this long wipes the lock (factory reset). */
    resetHoldMs: number
    /** A door left open this long raises DoorAjar (only with a door sensor). */
    doorAjarMs: number
}

/** Seven days in milliseconds: the longest lockout by default. */
export const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000

/** The policy the lock ships with. */
export const DEFAULT_POLICY: Policy = {
    minCodeLength: 4,
    maxCodeLength: 8,
    entryTimeoutMs: 10000,
    autoRelockMs: 30000,
    longPressMs: 1000,
    setupTimeoutMs: 120000,
    freeFailures: 5,
    lockoutBaseMs: 30000,
    lockoutMaxMs: SEVEN_DAYS_MS,
    menuTimeoutMs: 30000,
    resetHoldMs: 10000,
    doorAjarMs: 60000,
}
