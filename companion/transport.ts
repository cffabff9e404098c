/**
 * How the companion's commands reach the lock: one protocol 2 frame out, the lock's answer back
 * (services/latchkey.md). The frames are the same bytes on every transport; what differs is how an
 * answer is found:
 *   - on the Jacdac bus (BusTransport, below) the lock answers the service command that carried
 *     the frame, so the answer is the packet that answers it;
 *   - over an MQTT broker (./mqtt-transport.ts) every answer of the lock goes to one topic, which
 *     other companions (and the broker itself) may publish on: the caller says which answers can
 *     be its own (`take`), and the rest are passed over, counted, never acted on.
 * Protocol 2 binds a sealed answer to its request (command, key id, counter, the challenge's IV):
 * ./protocol.ts opens it, on either transport, and reports one it cannot open.
 */
import { jdpack, jdunpack, JDService, Packet } from "jacdac-ts"
import { LatchkeyClient } from "../host/lock-client"

/** The lock's answer frame may be this one's: true to take it, false to pass it over. */
export type AnswerFilter = (answer: Uint8Array) => boolean

export interface LockTransport {
    readonly kind: "bus" | "mqtt"
    /** Where the lock is reached, for messages ("127.0.0.1:8082", "mqtt://host:1883"). */
    readonly where: string
    /** The lock's id: its Jacdac device id, which the key file names it by and its topics hold. */
    lockId(timeoutMs?: number): Promise<string>
    /**
     * Sends one frame; resolves with the answer `take` accepts (the bus has only one). Throws
     * NoAnswer when none came within `timeoutMs`.
     */
    exchange(frame: Uint8Array, take?: AnswerFilter, timeoutMs?: number): Promise<Uint8Array>
    close(): Promise<void>
}

/** No answer the caller could take came in time; `passedOver` answers came that were not its own. */
export class NoAnswer extends Error {
    constructor(
        readonly passedOver = 0,
        detail = "",
    ) {
        super(`the lock did not answer${detail}`)
        this.name = "NoAnswer"
    }
}

/** How long the lock has to answer a frame (a command's flash writes and read-backs included). */
export const ANSWER_TIMEOUT_MS = 5000

const CMD_FRAME = 0x83

/** The lock's service on a Jacdac bus (USB through `devs devtools`, or the simulator's hub). */
export class BusTransport implements LockTransport {
    readonly kind = "bus"
    constructor(
        readonly client: LatchkeyClient,
        readonly where = "the Jacdac bus",
    ) {}

    async lockId(timeoutMs = 5000): Promise<string> {
        return (await this.client.service(timeoutMs)).device.deviceId
    }

    async exchange(frame: Uint8Array, _take?: AnswerFilter, timeoutMs = ANSWER_TIMEOUT_MS): Promise<Uint8Array> {
        const srv: JDService = await this.client.service()
        let resp: Packet | undefined
        try {
            resp = await srv.sendCmdAwaitResponseAsync(Packet.from(CMD_FRAME, jdpack("b", [frame])), timeoutMs)
        } catch (e) {
            if (/timeout/i.test((e as Error).message)) throw new NoAnswer()
            throw e
        }
        if (!resp) throw new NoAnswer()
        const [answer] = jdunpack<[Uint8Array]>(resp.data, "b")
        return answer ?? new Uint8Array(0)
    }

    async close() {}
}

/** A LatchkeyClient (what the tests and the simulator hold) or a transport, as a transport. */
export type LockLink = LatchkeyClient | LockTransport

const wrapped = new WeakMap<LatchkeyClient, BusTransport>()

export function transportOf(link: LockLink): LockTransport {
    if (!(link instanceof LatchkeyClient)) return link
    let t = wrapped.get(link)
    if (!t) wrapped.set(link, (t = new BusTransport(link)))
    return t
}
