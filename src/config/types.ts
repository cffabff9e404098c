/** The lock board profile (devs.json) as the firmware sees it. Types only: shared by firmware and Node. */

/** Pin map of the lock board. */
export interface BoardPins {
    keypadRows: number[]
    keypadColumns: number[]
    servo: number
    buzzer: number
    programButton: number
    doorSensor?: number
}

/** Everything the firmware and simulator need to know about one lock board. */
export interface Profile {
    name: string
    board: { id: string; pins: BoardPins }
    keypad: { labels: string }
    latch: { lockedAngle: number; unlockedAngle: number }
    codes: { minLength: number; maxLength: number }
    lockout: { freeFailures: number; baseSeconds: number; maxSeconds: number }
    timing: {
        autoRelockSeconds: number
        entryTimeoutSeconds: number
        longPressMs: number
        setupTimeoutSeconds: number
        menuTimeoutSeconds: number
        resetHoldSeconds: number
    }
}
