/**
 * The lock's connection to an MQTT broker, with DeviceScript's client (`@devicescript/net`): one
 * socket, clean session, QoS 0 both ways (the client ignores QoS 1 acknowledgements, so delivery
 * is at most once whatever is asked), exact topics only.
 *
 * - Dials with a will: the broker publishes "offline" (retained) on the availability topic when
 *   the lock vanishes; once connected the lock publishes "online" (retained) there.
 * - Reconnects with backoff (src/core/backoff.ts), reading the broker settings again each time.
 *   A protocol error (a packet the client cannot parse) drops the connection: the next one
 *   starts on a clean stream.
 * - Incoming requests go to `onRequest`, one at a time, from a fiber of their own; a request that
 *   arrives while one is being handled, or that is larger than MAX_REQUEST_BYTES, is dropped (and
 *   counted). The answer, if any, is published on the answer topic.
 * - Nothing waits on it: `publish` returns false at once when the link is down, and no publish is
 *   ever queued here (callers keep at most a bounded few, ./lock-link.ts).
 *
 * Two things the client does are undone here (DeviceScript 2.16.4, frozen upstream):
 * - It traces every packet it sends, in hex, to the device log (console.debug): the CONNECT
 *   packet carries the broker's password. Each client's trace is silenced before it connects.
 * - Its socket handler reads one buffer per wake-up, and wake-ups that come while it runs are
 *   merged: a packet can wait in the socket's queue until the next one arrives (seen: a request
 *   held until the next ping, 20 s later). The link wakes the handler again while data is queued.
 */
import * as ds from "@devicescript/core"
import { MQTTClient, MQTTMessage, MQTTState } from "@devicescript/net"
import { reconnectDelayMs } from "../../core/backoff"
import { AVAILABLE, UNAVAILABLE } from "../../core/topics"
import { BrokerSettings } from "./broker-settings"

/** Larger requests are dropped unread (a sealed companion frame is far smaller). */
export const MAX_REQUEST_BYTES = 512
/** How long a connection attempt (socket, then the broker's CONNACK) may take. */
const CONNECT_TIMEOUT_MS = 5000
/** Keep-alive the broker enforces (1.5 times this without a packet: the broker drops the lock and publishes its will). */
const KEEP_ALIVE_S = 30
const PING_MS = 20000
/** How often the link checks that its connection is still up, and wakes the client for queued data. */
const WATCH_MS = 50
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

function noTrace(msg: string) {}

/** The client's packet trace (hex of every packet, the CONNECT's password included) goes nowhere. */
function silenceTrace(client: MQTTClient) {
    ;(client as any).trace = noTrace
}

/** Wakes the client's receive handler when its socket still holds data it has not read. */
function wakeForQueuedData(client: MQTTClient) {
    const socket = (client as any).socket
    if (socket && socket.buffers && socket.buffers.length > 0) socket.onmessage.emit(undefined)
}

/** "connected", "connecting" (an attempt in progress) or "offline" (waiting to try again). */
export type LinkState = "connected" | "connecting" | "offline"

export class Link {
    private client: MQTTClient = null
    private up = false
    private broken = false
    private requestBusy = false
    private dropped = 0
    private droppedReportAt = -DROP_REPORT_MS
    state: LinkState = "connecting"

    constructor(readonly opts: LinkOptions) {}

    /** Whether a publish can go out now. */
    connected(): boolean {
        return this.up && !this.broken && this.client !== null && this.client.readyState !== MQTTState.Closed
    }

    /**
     * Publishes `payload` now (QoS 0). False, at once, when the link is down or the client
     * dropped it (its previous send still busy): nothing is kept for later.
     */
    async publish(topic: string, payload: string | Buffer, retained: boolean): Promise<boolean> {
        if (!this.connected()) return false
        try {
            return await this.client.publish(topic, payload, 0, retained)
        } catch (e) {
            this.broken = true
            return false
        }
    }

    private noteDropped(why: string) {
        this.dropped++
        const now = ds.millis()
        if (now - this.droppedReportAt >= DROP_REPORT_MS) {
            console.log(`net: ${this.dropped} request(s) dropped (${why})`)
            this.dropped = 0
            this.droppedReportAt = now
        }
    }

    /** @internal (answerRequest) */
    async answer(payload: Buffer) {
        try {
            const a = await this.opts.onRequest(payload)
            if (a && a.length > 0) await this.publish(this.opts.answerTopic, a, false)
        } catch (e) {
            console.log("net: a request failed in its handler")
        } finally {
            this.requestBusy = false
        }
    }

    /** Runs in the client's receive loop: notes what came and returns at once. */
    private onMessage(msg: MQTTMessage) {
        if (msg.topic === this.opts.requestTopic) {
            if (!this.opts.onRequest) return
            if (msg.content.length > MAX_REQUEST_BYTES) return this.noteDropped(`larger than ${MAX_REQUEST_BYTES} bytes`)
            if (this.requestBusy) return this.noteDropped("one already being handled")
            this.requestBusy = true
            answerRequest.start(this, msg.content)
        } else if (this.opts.commandTopic && msg.topic === this.opts.commandTopic && this.opts.onCommand) {
            if (msg.content.length <= 32) this.opts.onCommand(msg.content.toString())
        }
    }

    /** One connection: dial, subscribe, announce, then watch until it drops. True if it was up. */
    private async session(b: BrokerSettings): Promise<boolean> {
        const self = this
        this.broken = false
        this.up = false
        const client = new MQTTClient({
            host: b.host,
            port: b.port,
            proto: b.tls ? "tls" : "tcp",
            username: b.username.length > 0 ? b.username : undefined,
            password: b.username.length > 0 && b.password.length > 0 ? b.password : undefined,
            clientId: this.opts.clientId,
            will: { topic: this.opts.availabilityTopic, message: UNAVAILABLE, qos: 0, retain: true },
            keepAlive: KEEP_ALIVE_S,
            pingInterval: PING_MS,
            // the link reconnects by itself: the client's own watchdog never fires in practice
            watchdogInterval: 24 * 3600 * 1000,
            timeout: CONNECT_TIMEOUT_MS,
        })
        this.client = client
        silenceTrace(client)
        client.onerror.subscribe(async () => {
            // a protocol error leaves the stream where the client can no longer parse it
            if (self.up) self.broken = true
        })
        try {
            await client.start()
            if (client.readyState !== MQTTState.Connected) return false
            this.up = true
            this.state = "connected"
            console.log(`net: connected to ${b.host}:${b.port}${b.tls ? " (tls)" : ""}`)
            await client.subscribe(this.opts.requestTopic, async (m: MQTTMessage) => self.onMessage(m))
            if (this.opts.commandTopic && this.opts.onCommand)
                await client.subscribe(this.opts.commandTopic, async (m: MQTTMessage) => self.onMessage(m))
            await this.publish(this.opts.availabilityTopic, AVAILABLE, true)
            if (this.opts.onConnected) await this.opts.onConnected()
            while (this.connected()) {
                await ds.sleep(WATCH_MS)
                wakeForQueuedData(client)
            }
            console.log(`net: connection to ${b.host}:${b.port} lost`)
            return true
        } catch (e) {
            return this.up
        } finally {
            this.up = false
            this.state = "offline"
            this.client = null
            try {
                await client.stop()
            } catch (e) {}
        }
    }

    /** Dials, and dials again after each failure or lost connection, for ever. */
    async run() {
        let failures = 0
        for (;;) {
            this.state = "connecting"
            const b = await this.opts.broker()
            if (b.host.length === 0) {
                console.log("net: no broker host (devs.json network.broker.host or the MQTT_HOST setting): not connecting")
                this.state = "offline"
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

async function answerRequest(link: Link, payload: Buffer) {
    await link.answer(payload)
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
