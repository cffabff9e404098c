/**
 * MQTT 3.1.1 framing for the raw peers of the tests and benches (test/support/raw-broker.ts,
 * bench/lib/mqtt-proxy.ts): cutting a byte stream into whole packets and building the few
 * packets they send. Only framing: the hosts' real MQTT clients come from the `mqtt` package.
 */

/** One packet: its fixed header's first byte and its body. */
export interface Frame {
    head: number
    body: Buffer
    /** The whole packet, header included. */
    raw: Buffer
}

/** The remaining-length field for `n`. */
export function remainingLength(n: number): Buffer {
    const out: number[] = []
    do {
        out.push((n & 127) | (n > 127 ? 128 : 0))
        n = n >> 7
    } while (n > 0)
    return Buffer.from(out)
}

export function packet(head: number, body: Buffer): Buffer {
    return Buffer.concat([Buffer.from([head]), remainingLength(body.length), body])
}

/** A QoS 0 PUBLISH of `payload` on `topic`. */
export function publishPacket(topic: string, payload: Buffer | string, retain = false): Buffer {
    const t = Buffer.from(topic)
    const len = Buffer.from([t.length >> 8, t.length & 255])
    return packet(retain ? 0x31 : 0x30, Buffer.concat([len, t, Buffer.from(payload)]))
}

/** Cuts a stream into packets as its bytes arrive. A malformed length field throws. */
export class FrameReader {
    private buf = Buffer.alloc(0)

    push(data: Buffer): Frame[] {
        this.buf = Buffer.concat([this.buf, data])
        const out: Frame[] = []
        for (;;) {
            let len = 0
            let i = 1
            for (; i < this.buf.length && i <= 4; i++) {
                len |= (this.buf[i] & 127) << (7 * (i - 1))
                if (this.buf[i] < 128) break
            }
            if (i === 5) throw new Error("a malformed remaining length")
            if (i >= this.buf.length || this.buf.length < i + 1 + len) return out
            const raw = this.buf.subarray(0, i + 1 + len)
            out.push({ head: raw[0], body: raw.subarray(i + 1), raw })
            this.buf = this.buf.subarray(i + 1 + len)
        }
    }
}

/** The topic and payload of a PUBLISH body (`head` its first byte). */
export function readPublish(head: number, body: Buffer): { topic: string; payload: Buffer } {
    const tl = (body[0] << 8) | body[1]
    const topic = body.subarray(2, 2 + tl).toString()
    return { topic, payload: body.subarray(2 + tl + ((head & 6) !== 0 ? 2 : 0)) }
}
