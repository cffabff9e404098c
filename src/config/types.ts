/** The lock board profile (devs.json) as the firmware sees it. Types only: shared by firmware and Node. */

/** Pin map of the lock board. */
export interface BoardPins {
    keypadRows: number[]
    keypadColumns: number[]
    servo: number
    buzzer: number
    programButton: number
    doorSensor?: number
    /** Optional latch-position switch: closed when the bolt is fully thrown (locked). */
    latchSensor?: number
}

/** Everything the firmware and simulator need to know about one lock board. */
export interface Profile {
    name: string
    board: { id: string; pins: BoardPins }
    /** `debounceMs`: how long a contact must read the same before the on-board scanner believes it. */
    keypad: { labels: string; debounceMs: number }
    /** `jamTimeoutMs`: how long the latch sensor has to confirm a move (only with `board.pins.latchSensor`). */
    latch: { lockedAngle: number; unlockedAngle: number; jamTimeoutMs: number }
    codes: { minLength: number; maxLength: number }
    lockout: { freeFailures: number; baseSeconds: number; maxSeconds: number }
    timing: {
        autoRelockSeconds: number
        entryTimeoutSeconds: number
        longPressMs: number
        setupTimeoutSeconds: number
        menuTimeoutSeconds: number
        resetHoldSeconds: number
        /** A door open this long raises DoorAjar (with `board.pins.doorSensor`). */
        doorAjarSeconds: number
    }
}
