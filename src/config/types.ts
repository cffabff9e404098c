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

/**
 * The lock's link to an MQTT broker (src/firmware/net/). Secrets are not here: the Wi-Fi network
 * and the broker's user name and password come from DeviceScript's `.env.defaults` /
 * `.env.local` settings (WIFI_SSID, WIFI_PWD, MQTT_USER, MQTT_PASS), written to the board when it
 * is deployed, never into devs.json or the bytecode.
 */
export interface NetworkProfile {
    /** Off: the firmware is built without the MQTT client at all. */
    enabled: boolean
    /**
     * The broker the lock dials. `tls`: on a board, only a broker whose certificate chains to a
     * public root is accepted (the firmware cannot be given another CA). MQTT_HOST and MQTT_PORT
     * settings, when present, take the place of `host` and `port`.
     */
    broker: { host: string; port: number; tls: boolean }
    /** Every topic of this lock is under `<topicPrefix>/<lock id>/`. */
    topicPrefix: string
    /** Off: no state and no events are published (the broker learns only that the lock is online). */
    publishState: boolean
    homeAssistant: {
        /** Publish Home Assistant MQTT discovery configs (retained) for this lock. */
        discovery: boolean
        discoveryPrefix: string
        /** Obey a LOCK from Home Assistant (never an UNLOCK: that needs a companion key). */
        allowLock: boolean
    }
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
    network: NetworkProfile
}
