/**
 * The lock's connection to an MQTT broker, with the lean client of ./mqtt.ts: one socket, clean
 * session, QoS 0 both ways (delivery is at most once), exact topics only.
 *
 * - Dials with a will: the broker publishes "offline" (retained) on the availability topic when
 *   the lock vanishes; once connected the lock publishes "online" (retained) there.
 * - Reconnects with backoff (src/core/backoff.ts), reading the broker settings again each time.
 *   A protocol error (a packet that cannot be parsed) or a broker silent for longer than
 *   DEAD_MS (it answers each ping, sent every PING_MS) drops the connection: the next one starts
 *   on a clean stream.
 * - Incoming requests go to `onRequest`, one at a time and in order, from a fiber of their own:
 *   up to MAX_WAITING - 1 wait while one is handled, so two companions at once are both answered.
 *   A request beyond those, or one larger than MAX_REQUEST_BYTES, is dropped (and counted). The
 *   answer, if any, is published on the answer topic.
 * - Nothing waits on it: `publish` returns false at once when the link is down, and no publish is
 *   ever queued here (callers keep at most a bounded few, ./lock-link.ts).
 * - No packet is ever written to the device log (the CONNECT carries the broker's password).
 */
import * as ds from "@devicescript/core"
import { reconnectDelayMs } from "../../core/backoff"
import { MAX_FRAME_BYTES } from "../../core/frames"
import { AVAILABLE, UNAVAILABLE } from "../../core/topics"
import { BrokerSettings } from "./broker-settings"
import { MqttConnection, mqttConnect } from "./mqtt"

/**
 * Larger requests are dropped unread: no companion frame is larger (core/frames.ts
 * MAX_FRAME_BYTES, one Jacdac packet's payload). The frame handler copies a frame into arrays of
 * numbers (8 bytes each): a 512-byte request asked a heap fragmented by a flood and the keypad
 * for a single 4 KB block, and ran it out of memory (test/net/flood-keypad.test.ts).
 */
export const MAX_REQUEST_BYTES = MAX_FRAME_BYTES
/** How long a connection attempt (socket, then the broker's CONNACK) may take. */
const CONNECT_TIMEOUT_MS = 5000
/** Keep-alive the broker enforces (1.5 times this without a packet: the broker drops the lock and publishes its will). */
const KEEP_ALIVE_S = 30
const PING_MS = 20000
/** Nothing from the broker for this long (a ping unanswered): the connection is dead. */
const DEAD_MS = PING_MS + CONNECT_TIMEOUT_MS
/** Requests held at once: the one being handled and those waiting behind it (each at most MAX_REQUEST_BYTES). */
const MAX_WAITING = 4
/** Dropped requests are reported at most this often. */
const DROP_REPORT_MS = 10000

export interface LinkOptions {
    /** Read before each connection attempt. */
    broker: () => Promise<BrokerSettings>
    clientId: string
    availabilityTopic: string
    requestTopic: string
    answerTopic: string
    /** Subscribed only when given, with `onCommand`. */
    commandTopic?: string
    /** Handles one request's payload; resolves with the answer to publish (null or empty: none). */
    onRequest?: (payload: Buffer) => Promise<Buffer>
    /** A payload on the command topic, as text. Must return at once. */
    onCommand?: (text: string) => void
    /** Called on each new connection, after "online" is published (for the retained messages). */
    onConnected?: () => Promise<void>
}

export class Link {
    private conn: MqttConnection = null
    /** The request being handled (first), then those waiting, in the order they came. */
    private requests: Buffer[] = []
    private dropped = 0
    private droppedReportAt = -DROP_REPORT_MS

    constructor(readonly opts: LinkOptions) {}

    /** Whether a publish can go out now. */
    connected(): boolean {
        return this.conn !== null
    }

    /** Publishes `payload` now (QoS 0). False, at once, when the link is down: nothing is kept for later. */
    async publish(topic: string, payload: string | Buffer, retained: boolean): Promise<boolean> {
        const c = this.conn
        if (c === null) return false
        try {
            await c.publish(topic, payload, retained)
            return true
        } catch (e) {
            if (this.conn === c) this.conn = null
            return false
        }
    }

    /** @internal (answerRequest): handles the requests held, in order, until none is left. */
    async answer() {
        while (this.requests.length > 0) {
            try {
                const a = await this.opts.onRequest(this.requests[0])
                if (a && a.length > 0) await this.publish(this.opts.answerTopic, a, false)
            } catch (e) {
                console.log("net: a request failed in its handler")
            }
            this.requests.shift()
        }
    }

    /** A PUBLISH from the broker (`head` its first byte): notes what came and returns at once. */
    private onPublish(head: number, body: Buffer) {
        const topicEnd = 2 + ((body[0] << 8) | body[1])
        if (topicEnd > body.length) return
        const topic = body.slice(2, topicEnd).toString()
        // a packet id follows the topic at QoS 1 and 2
        const content = body.slice((head & 6) !== 0 ? topicEnd + 2 : topicEnd)
        let why: string = null
        if (topic === this.opts.requestTopic && this.opts.onRequest) {
            if (content.length > MAX_REQUEST_BYTES) why = `larger than ${MAX_REQUEST_BYTES} bytes`
            else if (this.requests.push(content) > MAX_WAITING) {
                this.requests.pop()
                why = "too many waiting"
            } else if (this.requests.length === 1) answerRequest.start(this)
        } else if (topic === this.opts.commandTopic && this.opts.onCommand && content.length <= 32) this.opts.onCommand(content.toString())
        if (why !== null) {
            this.dropped++
            const now = ds.millis()
            if (now - this.droppedReportAt >= DROP_REPORT_MS) {
                console.log(`net: ${this.dropped} request(s) dropped (${why})`)
                this.dropped = 0
                this.droppedReportAt = now
            }
        }
    }

    /** One connection: dial, subscribe, announce, then read until it drops. True if it was up. */
    private async session(b: BrokerSettings): Promise<boolean> {
        const o = this.opts
        let c: MqttConnection = null
        try {
            c = await mqttConnect({
                host: b.host,
                port: b.port,
                tls: b.tls,
                clientId: o.clientId,
                username: b.username,
                password: b.password,
                willTopic: o.availabilityTopic,
                willMessage: UNAVAILABLE,
                keepAliveS: KEEP_ALIVE_S,
                timeoutMs: CONNECT_TIMEOUT_MS,
            })
        } catch (e) {
            return false
        }
        const where = `${b.host}:${b.port}`
        try {
            this.conn = c
            console.log(`net: connected to ${where}${b.tls ? " (tls)" : ""}`)
            await c.subscribe(o.commandTopic && o.onCommand ? [o.requestTopic, o.commandTopic] : [o.requestTopic])
            await this.publish(o.availabilityTopic, AVAILABLE, true)
            if (o.onConnected) await o.onConnected()
            let pingAt = ds.millis()
            let heardAt = pingAt
            while (this.conn === c) {
                const p = await c.next(1000)
                const now = ds.millis()
                if (p === null) break
                if (p) {
                    heardAt = now
                    if (p.head >> 4 === 3) this.onPublish(p.head, p.body)
                } else if (now - heardAt > DEAD_MS) break
                if (now - pingAt >= PING_MS) {
                    pingAt = now
                    await c.ping()
                }
            }
        } catch (e) {}
        console.log(`net: connection to ${where} lost`)
        if (this.conn === c) this.conn = null
        try {
            await c.close()
        } catch (e) {}
        return true
    }

    /** Dials, and dials again after each failure or lost connection, for ever. */
    async run() {
        let failures = 0
        for (;;) {
            const b = await this.opts.broker()
            if (b.host.length === 0) {
                console.log("net: no broker host (devs.json network.broker.host or the MQTT_HOST setting): not connecting")
                await ds.sleep(60000)
                continue
            }
            const wasUp = await this.session(b)
            // a connection that was up is retried after the shortest wait, and not logged again
            failures = wasUp ? 0 : failures + 1
            const wait = reconnectDelayMs(failures > 0 ? failures : 1, Math.random())
            if (failures === 1 || (failures > 0 && failures % 10 === 0))
                console.log(`net: broker ${b.host}:${b.port} unreachable (${failures} attempt(s)); trying again in ${wait} ms`)
            await ds.sleep(wait)
        }
    }
}

async function answerRequest(link: Link) {
    await link.answer()
}

async function runLink(link: Link) {
    await link.run()
}

/** Starts a link in a fiber of its own and returns it at once. */
export function startLink(opts: LinkOptions): Link {
    const link = new Link(opts)
    runLink.start(link)
    return link
}
