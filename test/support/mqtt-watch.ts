/**
 * A host MQTT client (the `mqtt` package) that records every message it receives, for tests that
 * watch what a lock publishes, and a one-shot look at what a broker holds retained.
 */
import mqtt, { MqttClient } from "mqtt"
import type { TestBroker } from "../../bench/lib/brokers"

export interface Seen {
    topic: string
    payload: Buffer
    /** The broker sent it as a retained message (only to a subscription made after it was retained). */
    retain: boolean
    at: number
}

export class Watcher {
    readonly seen: Seen[] = []
    private constructor(readonly client: MqttClient) {
        client.on("message", (topic, payload, packet) => this.seen.push({ topic, payload: Buffer.from(payload), retain: packet.retain, at: Date.now() }))
    }

    /** Connects to `broker` (with its user name and password, if it has them) and subscribes to `filters`. */
    static async connect(broker: TestBroker, filters: string[]): Promise<Watcher> {
        const client = await mqtt.connectAsync(broker.url, {
            username: broker.username,
            password: broker.password,
            reconnectPeriod: 0,
            connectTimeout: 5000,
            clientId: `watch_${Math.random().toString(16).slice(2, 10)}`,
        })
        const w = new Watcher(client)
        await client.subscribeAsync(filters, { qos: 0 })
        return w
    }

    /** Resolves with the first message since `from` (an index into `seen`) that `match` accepts. */
    async waitFor(match: (m: Seen) => boolean, what: string, timeoutMs = 15000, from = 0): Promise<Seen> {
        const end = Date.now() + timeoutMs
        for (;;) {
            const m = this.seen.slice(from).find(match)
            if (m) return m
            if (Date.now() > end) {
                const last = this.seen.slice(-8).map(s => `${s.topic} ${s.payload.toString().slice(0, 80)}`)
                throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last messages:\n  ${last.join("\n  ")}`)
            }
            await new Promise(r => setTimeout(r, 20))
        }
    }

    async publish(topic: string, payload: string | Buffer, retain = false) {
        await this.client.publishAsync(topic, payload, { qos: 0, retain })
    }

    async close() {
        await this.client.endAsync(true)
    }
}

/** What `broker` holds retained under `filters` now: topic -> payload (empty payloads are deletions, left out). */
export async function retainedNow(broker: TestBroker, filters: string[], settleMs = 500): Promise<Map<string, string>> {
    const w = await Watcher.connect(broker, filters)
    await new Promise(r => setTimeout(r, settleMs))
    await w.close()
    const out = new Map<string, string>()
    for (const m of w.seen) if (m.retain && m.payload.length > 0) out.set(m.topic, m.payload.toString())
    return out
}
