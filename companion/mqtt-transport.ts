/**
 * The companion's transport over an MQTT broker (the npm `mqtt` package): the same protocol 2
 * frames as on the bus, published on the lock's request topic, its answers read on its answer
 * topic (src/core/topics.ts: `<prefix>/<lock id>/req` and `.../ans`).
 *
 * Everyone the broker lets publish can put a payload on the answer topic, and every companion of
 * the lock reads the same answers: each exchange takes only an answer its caller accepts (./protocol.ts:
 * one that opens as its own request's) and counts the others, which are never acted on. The
 * broker learns which lock is asked something, and when; never a key, a code or a command.
 *
 * What the broker knows of locks comes from their retained availability topics ("online", or the
 * "offline" of their will): `locks()` lists them, and a lock must be among them to be asked.
 */
import mqtt, { MqttClient } from "mqtt"
import { AVAILABLE, lockTopics, LockTopics, topicLockId } from "../src/core/topics"
import { ANSWER_TIMEOUT_MS, AnswerFilter, LockTransport, NoAnswer } from "./transport"

export interface MqttTarget {
    /** mqtt://host[:port] or mqtts://host[:port] (no user name, password, path or query). */
    url: string
    username?: string
    password?: string
    /** network.topicPrefix of the locks (devs.json). */
    prefix: string
    /** How long to wait for the broker to accept the connection. */
    timeoutMs: number
}

/** A lock the broker holds a retained availability message for. */
export interface KnownLock {
    id: string
    /** "online", or "offline" (its will: the broker lost it). */
    availability: string
}

/** The broker could not be reached or refused us; nothing was sent. */
export class BrokerError extends Error {
    constructor(
        message: string,
        /** The broker refused the user name or password (or wants some). */
        readonly credentials = false,
    ) {
        super(message)
        this.name = "BrokerError"
    }
}

/** How long retained messages have to arrive after a subscription is acknowledged. */
const RETAINED_SETTLE_MS = 400

function connectError(url: string, e: Error & { code?: unknown }): BrokerError {
    const code = e.code
    if (code === 4 || code === 5 || code === 134 || code === 135 || /not authori[sz]ed|bad user ?name or password/i.test(e.message))
        return new BrokerError(
            `the broker at ${url} refused the connection: ${e.message} (set LATCHKEY_MQTT_USER and LATCHKEY_MQTT_PASSWORD, or run on a terminal to be asked)`,
            true,
        )
    if (code === "ECONNREFUSED") return new BrokerError(`cannot reach the broker at ${url}: connection refused (is it running, and on that port?)`)
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new BrokerError(`cannot reach the broker at ${url}: host not found`)
    return new BrokerError(`cannot reach the broker at ${url}: ${e.message}`)
}

export class MqttTransport implements LockTransport {
    readonly kind = "mqtt"
    private lock: string | null = null
    private topics: LockTopics | null = null
    private subscribed = false
    /** The exchange waiting for an answer (one at a time: `queue` orders them). */
    private waiting: ((payload: Buffer) => void) | null = null
    private queue: Promise<unknown> = Promise.resolve()
    private lost: Error | null = null
    private onLost: ((e: Error) => void) | null = null

    private constructor(
        private readonly client: MqttClient,
        readonly where: string,
        readonly prefix: string,
    ) {
        client.on("message", (topic, payload) => {
            if (this.topics && topic === this.topics.ans && this.waiting) this.waiting(Buffer.from(payload))
        })
        client.on("close", () => {
            this.lost = new Error(`the connection to the broker at ${where} was lost`)
            this.onLost?.(this.lost)
        })
        client.on("error", () => {})
    }

    /** Connects to the broker; throws BrokerError (unreachable, refused) with what to do. */
    static async connect(t: MqttTarget): Promise<MqttTransport> {
        const client = mqtt.connect(t.url, {
            username: t.username,
            password: t.password,
            reconnectPeriod: 0,
            connectTimeout: t.timeoutMs,
            clean: true,
            clientId: `latchkey_cli_${Math.random().toString(16).slice(2, 10)}`,
        })
        try {
            await new Promise<void>((resolve, reject) => {
                const timer = setTimeout(() => reject(new BrokerError(`cannot reach the broker at ${t.url}: no answer within ${t.timeoutMs} ms`)), t.timeoutMs)
                client.once("connect", () => {
                    clearTimeout(timer)
                    resolve()
                })
                client.once("error", e => {
                    clearTimeout(timer)
                    reject(connectError(t.url, e as Error & { code?: unknown }))
                })
                client.once("close", () => {
                    clearTimeout(timer)
                    reject(new BrokerError(`cannot reach the broker at ${t.url}: the connection closed`))
                })
            })
        } catch (e) {
            client.end(true)
            throw e
        }
        return new MqttTransport(client, t.url, t.prefix)
    }

    /** The locks the broker holds a retained availability for, by id. */
    async locks(): Promise<KnownLock[]> {
        const filter = `${this.prefix}/+/availability`
        const found = new Map<string, string>()
        const head = this.prefix + "/"
        const onMessage = (topic: string, payload: Buffer, packet: { retain: boolean }) => {
            if (!packet.retain || !topic.startsWith(head) || !topic.endsWith("/availability")) return
            const id = topicLockId(topic.slice(head.length, topic.length - "/availability".length))
            if (id === null) return
            // an empty retained payload deletes it: the broker keeps nothing
            if (payload.length === 0) found.delete(id)
            else found.set(id, payload.toString("utf8").slice(0, 32))
        }
        this.client.on("message", onMessage)
        try {
            await this.client.subscribeAsync(filter, { qos: 0 })
            await new Promise(r => setTimeout(r, RETAINED_SETTLE_MS))
            await this.client.unsubscribeAsync(filter)
        } finally {
            this.client.off("message", onMessage)
        }
        return [...found.entries()].map(([id, availability]) => ({ id, availability })).sort((a, b) => (a.id < b.id ? -1 : 1))
    }

    /** Addresses lock `id` (16 hex digits) from now on. */
    use(id: string) {
        const lockId = topicLockId(id)
        if (lockId === null) throw new Error(`"${id}" is not a lock id (16 hex digits)`)
        this.lock = lockId
        this.topics = lockTopics(this.prefix, lockId)
    }

    async lockId(): Promise<string> {
        if (this.lock === null) throw new Error("no lock chosen on the broker")
        return this.lock
    }

    /** Whether the chosen lock's retained availability says online. */
    static online(l: KnownLock): boolean {
        return l.availability === AVAILABLE
    }

    /**
     * The lock's state document as the broker holds it (retained), or null when it holds none.
     * Anyone allowed to publish there can have written it: it proves nothing.
     */
    async retainedState(): Promise<string | null> {
        if (!this.topics) throw new Error("no lock chosen on the broker")
        const topic = this.topics.state
        let state: string | null = null
        const onMessage = (t: string, payload: Buffer, packet: { retain: boolean }) => {
            if (t === topic && packet.retain && payload.length > 0) state = payload.toString("utf8")
        }
        this.client.on("message", onMessage)
        try {
            await this.client.subscribeAsync(topic, { qos: 0 })
            await new Promise(r => setTimeout(r, RETAINED_SETTLE_MS))
            await this.client.unsubscribeAsync(topic)
        } finally {
            this.client.off("message", onMessage)
        }
        return state
    }

    exchange(frame: Uint8Array, take: AnswerFilter = () => true, timeoutMs = ANSWER_TIMEOUT_MS): Promise<Uint8Array> {
        const run = this.queue.then(() => this.exchangeNow(frame, take, timeoutMs))
        this.queue = run.catch(() => {})
        return run
    }

    private async exchangeNow(frame: Uint8Array, take: AnswerFilter, timeoutMs: number): Promise<Uint8Array> {
        const topics = this.topics
        if (!topics) throw new Error("no lock chosen on the broker")
        if (this.lost) throw this.lost
        if (!this.subscribed) {
            await this.client.subscribeAsync(topics.ans, { qos: 0 })
            this.subscribed = true
        }
        let passedOver = 0
        let cancel = (_e: Error) => {}
        const answer = new Promise<Uint8Array>((resolve, reject) => {
            const done = () => {
                clearTimeout(timer)
                this.waiting = null
                this.onLost = null
            }
            const timer = setTimeout(() => {
                done()
                reject(new NoAnswer(passedOver, ` within ${timeoutMs} ms (through the broker at ${this.where})`))
            }, timeoutMs)
            this.onLost = cancel = e => {
                done()
                reject(e)
            }
            this.waiting = payload => {
                if (!take(payload)) {
                    passedOver++
                    return
                }
                done()
                resolve(new Uint8Array(payload))
            }
        })
        // the answer must not be missed: listen first, then ask
        try {
            await this.client.publishAsync(topics.req, Buffer.from(frame), { qos: 1, retain: false })
        } catch (e) {
            cancel(new Error(`the broker at ${this.where} did not take the request: ${(e as Error).message}`))
        }
        return await answer
    }

    async close() {
        await this.client.endAsync(true).catch(() => {})
    }
}
