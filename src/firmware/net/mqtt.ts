/**
 * A lean MQTT 3.1.1 client over @devicescript/net's socket: exactly what the lock's link needs and
 * no more. Clean session, QoS 0 both ways, exact topics.
 *
 * - `mqttConnect` dials, sends CONNECT (will, user name and password when given) and waits for the
 *   broker's CONNACK; it throws when the socket fails, the broker refuses (logged, with its
 *   code), or time runs out.
 * - `subscribe`, `publish` (with retain), `ping` and `disconnect` send one packet each.
 * - `next` returns the next whole packet the broker sent (its first byte and its body), undefined
 *   when none came within the wait, null once the connection is closed. A packet larger than
 *   MAX_PACKET is skipped unread, its bytes dropped as they arrive (the stream stays in step and
 *   the connection up); a malformed length field closes the connection (the stream cannot be
 *   trusted). It yields to the other fibers every YIELD_EVERY packets: the socket hands over what
 *   it holds without waiting, so a burst of small packets would otherwise run on without a pause
 *   (the keypad waiting, and past ~50k steps the VM's InfiniteLoop panic).
 * No packet is ever logged, and so never the password.
 */
import * as ds from "@devicescript/core"
import { connect, Socket } from "@devicescript/net"

/**
 * Larger packets from the broker are skipped unread. The lock takes requests of up to 236 bytes
 * (./link.ts MAX_REQUEST_BYTES) on topics of about 30: 1 KB holds any packet it reads, and a
 * packet is assembled in the heap (64 KB on an ESP32) before it is read.
 */
export const MAX_PACKET = 1024
/** Packets handed over between two yields to the other fibers. */
const YIELD_EVERY = 8

export interface MqttPacket {
    /** The fixed header's first byte: the packet type in the high 4 bits, its flags in the low 4. */
    head: number
    body: Buffer
}

/** `s` as an MQTT string: 2-byte big-endian length, then its bytes. */
function str(s: string | Buffer): Buffer {
    const b = typeof s === "string" ? Buffer.from(s) : s
    return Buffer.concat(Buffer.from([b.length >> 8, b.length & 255]), b)
}

export class MqttConnection {
    /** Received bytes not yet returned, from `at` on. */
    private rx: Buffer = Buffer.alloc(0)
    private at = 0
    /** Bytes of a packet over MAX_PACKET still to drop as they arrive. */
    private skip = 0
    /** Packets returned since the last yield. */
    private run = 0
    private open = true

    constructor(private socket: Socket) {}

    /** Sends a packet: `head`, the remaining length, then `body`. Throws when the socket is gone. */
    async send(head: number, body: Buffer) {
        const h = [head]
        let n = body.length
        for (;;) {
            h.push((n & 127) | (n > 127 ? 128 : 0))
            n = n >> 7
            if (n === 0) break
        }
        await this.socket.send(Buffer.concat(Buffer.from(h), body))
    }

    async publish(topic: string, payload: string | Buffer, retain: boolean) {
        await this.send(retain ? 0x31 : 0x30, Buffer.concat(str(topic), typeof payload === "string" ? Buffer.from(payload) : payload))
    }

    /** One SUBSCRIBE (packet id 1) for all `topics`, each at QoS 0. */
    async subscribe(topics: string[]) {
        let body = Buffer.from([0, 1])
        for (const t of topics) body = Buffer.concat(body, str(t), Buffer.from([0]))
        await this.send(0x82, body)
    }

    async ping() {
        await this.send(0xc0, Buffer.alloc(0))
    }

    /** The next packet; undefined if none within `waitMs`; null when the connection is closed. */
    async next(waitMs: number): Promise<MqttPacket> {
        for (;;) {
            if (!this.open) return null
            const rx = this.rx
            let at = this.at
            if (this.skip > 0) {
                const n = Math.min(this.skip, rx.length - at)
                this.skip -= n
                at += n
                this.at = at
            }
            // the remaining length: up to 4 bytes of 7 bits, low first
            let len = 0
            let i = at + 1
            for (; i < rx.length && i <= at + 4; i++) {
                len = len | ((rx[i] & 127) << (7 * (i - at - 1)))
                if (rx[i] < 128) break
            }
            if (i === at + 5) {
                await this.close()
                return null
            }
            if (this.skip === 0 && i < rx.length) {
                const end = i + 1 + len
                if (len > MAX_PACKET) {
                    this.skip = end - at
                    continue
                }
                if (rx.length >= end) {
                    this.at = end
                    if (++this.run >= YIELD_EVERY) {
                        this.run = 0
                        await ds.sleep(0)
                    }
                    return { head: rx[at], body: rx.slice(i + 1, end) }
                }
            }
            const data = await this.socket.recv(waitMs)
            if (data === undefined) return undefined
            if (data === null) this.open = false
            else {
                this.rx = at < rx.length ? Buffer.concat(rx.slice(at), data) : data
                this.at = 0
            }
        }
    }

    /** Sends DISCONNECT (if it can) and closes the socket. */
    async close() {
        if (this.open) {
            this.open = false
            try {
                await this.send(0xe0, Buffer.alloc(0))
            } catch (e) {}
        }
        await this.socket.close()
    }
}

export interface MqttConnectOptions {
    host: string
    port: number
    tls: boolean
    clientId: string
    /** Empty: none (and so no password either). */
    username: string
    password: string
    willTopic: string
    willMessage: string
    keepAliveS: number
    timeoutMs: number
}

/** Dials and waits for the broker's CONNACK; throws unless the broker accepts. */
export async function mqttConnect(o: MqttConnectOptions): Promise<MqttConnection> {
    const socket = await connect({ host: o.host, port: o.port, proto: o.tls ? "tls" : "tcp", timeout: o.timeoutMs })
    const c = new MqttConnection(socket)
    // protocol "MQTT" level 4; flags: clean session, will retained at QoS 0, user name, password
    const user = o.username.length > 0
    const pass = user && o.password.length > 0
    const flags = 0x26 | (user ? 0x80 : 0) | (pass ? 0x40 : 0)
    let body = Buffer.concat(
        Buffer.from([0, 4, 77, 81, 84, 84, 4, flags, o.keepAliveS >> 8, o.keepAliveS & 255]),
        str(o.clientId),
        str(o.willTopic),
        str(o.willMessage)
    )
    if (user) body = Buffer.concat(body, str(o.username))
    if (pass) body = Buffer.concat(body, str(o.password))
    try {
        await c.send(0x10, body)
        const p = await c.next(o.timeoutMs)
        if (!p || p.head !== 0x20 || p.body.length < 2) throw new Error("mqtt: no CONNACK")
        const code = p.body[1]
        if (code === 0) return c
        console.log(`net: the broker refused the connection: code ${code}${code === 4 ? " (bad user name or password)" : code === 5 ? " (not authorized)" : ""}`)
        throw new Error("mqtt: refused")
    } catch (e) {
        await c.close()
        throw e
    }
}
