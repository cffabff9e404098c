/**
 * The MQTT topics of one lock: all exact (no wildcards) and under `<prefix>/<lock id>/`, so a
 * broker's access rules can give each lock, and each client, exactly its own. Pure: shared by the
 * firmware's link and by Node (tests, the companion).
 */

/** What the availability topic holds: the lock publishes "online", its will says "offline". */
export const AVAILABLE = "online"
export const UNAVAILABLE = "offline"

export interface LockTopics {
    /** Requests to the lock (sealed companion frames), in. */
    req: string
    /** The lock's answers to them, out. */
    ans: string
    /** The lock's state document (retained). */
    state: string
    /** Alarms as they happen (not retained). */
    events: string
    /** "online" (retained) while connected; the broker publishes the will, "offline", when it is not. */
    availability: string
    /** Home Assistant's lock commands (only LOCK is ever obeyed, and only when allowed). */
    command: string
}

/** The topics of lock `lockId` under `prefix` (a validated `network.topicPrefix`). */
export function lockTopics(prefix: string, lockId: string): LockTopics {
    const base = prefix + "/" + lockId + "/"
    return {
        req: base + "req",
        ans: base + "ans",
        state: base + "state",
        events: base + "events",
        availability: base + "availability",
        command: base + "command",
    }
}

/**
 * A lock id as the link uses it in topics: the device id, 16 hex digits (lower case). Anything
 * else (which would make a topic that is not the lock's own) is refused: null.
 */
export function topicLockId(deviceId: string): string | null {
    if (!deviceId || deviceId.length !== 16) return null
    const HEX = "0123456789abcdef"
    let out = ""
    for (let i = 0; i < deviceId.length; i++) {
        let c = deviceId.charCodeAt(i)
        // A-F as a-f (character codes: DeviceScript does not order strings)
        if (c >= 65 && c <= 70) c = c + 32
        const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1
        if (digit < 0) return null
        out = out + HEX[digit]
    }
    return out
}
