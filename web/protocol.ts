/**
 * The simulator page's side channel, next to the Jacdac frames on the same WebSocket.
 *
 * Binary WebSocket messages are raw Jacdac frames: the page is a jacdac-ts bus bridged onto the
 * simulated board's bus, and reads the latch, the buzzer and the lock's own service from them.
 * Text messages (JSON, below) carry only what is not Jacdac: a hand on the hardware (a key, the
 * program button, the door), on the power supply (power cut, wipe flash) and on the simulator's
 * MQTT broker (down, up), and from the board the VM's power state, its console and the lock's
 * link to the broker. Each hand message maps to exactly one action of a
 * standard jacdac-ts server on the board (e.g. key = MatrixKeypadServer down/up with its event).
 *
 * Shared by the Node server and the browser page: no DOM, no Node APIs.
 */

/**
 * The URL parameter that carries this run's secret token (in the URL the simulator prints): the
 * page passes it on to every request it makes, its WebSocket included (sim/page-guard.ts).
 */
export const TOKEN_PARAM = "token"

/** The keypad's labels etc., as the page needs them to draw the lock. */
export interface PageProfile {
    /** The profile's name (devs.json `name`). */
    name: string
    /** The 12 keypad labels, row by row. */
    labels: string
    lockedAngle: number
    unlockedAngle: number
}

/** The power state of the simulated board's VM. */
export type VmState = "off" | "booting" | "running" | "crashed"

/**
 * The lock's link to the MQTT broker, as its console says it (sim/link-status.ts reads it):
 * off (the VM is not running), starting (booted, nothing said yet), connected, reconnecting (a
 * connection that was up dropped; dialling again), offline (the broker unreachable or refusing).
 */
export type LinkState = "off" | "starting" | "connected" | "reconnecting" | "offline"

/** The simulator's broker and the lock's link to it, for the page's Network panel. */
export interface NetStatus {
    /** The simulator's own broker (mqtt://127.0.0.1:PORT), or null without one (--no-broker). */
    broker: string | null
    /** Whether that broker is up (the page can take it down and bring it up). */
    brokerUp: boolean
    link: LinkState
    /** What the firmware last said about it ("127.0.0.1:1883 unreachable", …). */
    detail?: string
    /** The lock id the firmware uses in its topics (its bus device id), once it said it. */
    lockId?: string
    /** The companion command that reaches this lock through the broker. */
    companion?: string
}

/** Board -> page. */
export type ServerMessage =
    | {
          t: "hello"
          profile: PageProfile
          /** Which bytecode the VM runs ("firmware", "firmware-fast") or "hub" (an external VM). */
          firmware: string
          /** Device id of the board's peripherals (keypad, latch, buzzer, program button). */
          hardwareId: string
          /** Device id of the door sensor. */
          doorId: string
      }
    | { t: "vm"; state: VmState; boots: number; detail?: string }
    | { t: "console"; line: string }
    | { t: "door"; open: boolean }
    | ({ t: "net" } & NetStatus)

/** Page -> board: a hand on the hardware. */
export type ClientMessage =
    | { t: "key"; key: string; down: boolean }
    | { t: "button"; down: boolean }
    | { t: "door"; open: boolean }
    | { t: "power"; action: "cut" | "wipe" }
    | { t: "broker"; action: "down" | "up" }

/** Parses a page's message; throws with the reason when it is not one. */
export function parseClientMessage(text: string): ClientMessage {
    let m: unknown
    try {
        m = JSON.parse(text)
    } catch {
        throw new Error("not JSON")
    }
    if (typeof m !== "object" || m === null) throw new Error("not an object")
    const o = m as Record<string, unknown>
    switch (o.t) {
        case "key":
            if (typeof o.key !== "string" || o.key.length !== 1) throw new Error("key: needs a one-character key")
            if (typeof o.down !== "boolean") throw new Error("key: needs down: boolean")
            return { t: "key", key: o.key, down: o.down }
        case "button":
            if (typeof o.down !== "boolean") throw new Error("button: needs down: boolean")
            return { t: "button", down: o.down }
        case "door":
            if (typeof o.open !== "boolean") throw new Error("door: needs open: boolean")
            return { t: "door", open: o.open }
        case "power":
            if (o.action !== "cut" && o.action !== "wipe") throw new Error('power: action must be "cut" or "wipe"')
            return { t: "power", action: o.action }
        case "broker":
            if (o.action !== "down" && o.action !== "up") throw new Error('broker: action must be "down" or "up"')
            return { t: "broker", action: o.action }
        default:
            throw new Error(`unknown message type ${JSON.stringify(o.t)}`)
    }
}

/** Parses a board message (the page trusts its own server, but still checks the shape). */
export function parseServerMessage(text: string): ServerMessage | undefined {
    try {
        const m = JSON.parse(text) as ServerMessage
        if (typeof m === "object" && m !== null && typeof m.t === "string") return m
    } catch {
        // fall through
    }
    return undefined
}
