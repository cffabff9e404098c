/**
 * A broker that attacks the companion and the lock it carries: aedes (npm) on 127.0.0.1 at a free
 * port, whose hooks let a test record every message published to it, drop any delivery (to the
 * lock, to the CLI), forge messages (answers, retained state) and replay recorded ones, in any
 * order. What a broker operator, or anyone who owns the broker, can do: everything but seal a
 * frame with a key it does not hold.
 */
import { createServer, Server, Socket } from "node:net"
import { Aedes } from "aedes"
import { HOST } from "../../bench/lib/brokers"

export interface Heard {
    topic: string
    payload: Buffer
    /** The publishing client's id (null: the broker itself, i.e. a forgery or a replay). */
    from: string | null
    at: number
}

/** The lock's MQTT client id is "latchkey_" and its 16 hex digits (src/firmware/net/lock-link.ts). */
export const isLockClient = (id: string) => /^latchkey_[0-9a-f]{16}$/.test(id)

export class HostileBroker {
    readonly heard: Heard[] = []
    /** Decides each delivery: false drops it (default: all pass). */
    deliver: (to: string, topic: string, payload: Buffer) => boolean = () => true
    /** Called for every message published to the broker by a client (after it is recorded). */
    onPublish: (h: Heard) => void = () => {}
    private constructor(
        private readonly broker: Aedes,
        private readonly server: Server,
        private readonly sockets: Set<Socket>,
        readonly port: number,
    ) {}

    get url() {
        return `mqtt://${HOST}:${this.port}`
    }

    static async start(): Promise<HostileBroker> {
        const broker = await Aedes.createBroker()
        let self: HostileBroker | undefined
        broker.authorizeForward = (client, packet) => (self && !self.deliver(client.id, packet.topic, Buffer.from(packet.payload)) ? null : packet)
        broker.on("publish", (packet, client) => {
            if (!client || !self) return
            const h: Heard = { topic: packet.topic, payload: Buffer.from(packet.payload), from: client.id, at: Date.now() }
            self.heard.push(h)
            self.onPublish(h)
        })
        const sockets = new Set<Socket>()
        const server = createServer(socket => {
            sockets.add(socket)
            socket.once("close", () => sockets.delete(socket))
            broker.handle(socket)
        })
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject)
            server.listen(0, HOST, () => resolve())
        })
        self = new HostileBroker(broker, server, sockets, (server.address() as { port: number }).port)
        return self
    }

    /** Publishes `payload` on `topic` as the broker: a forgery, or a replay of something recorded. */
    forge(topic: string, payload: Buffer | Uint8Array | string, retain = false): Promise<void> {
        return new Promise((resolve, reject) =>
            this.broker.publish({ cmd: "publish", topic, payload: Buffer.from(payload as Buffer), qos: 0, retain, dup: false }, e => (e ? reject(e) : resolve())),
        )
    }

    /** What clients published on `topic`, oldest first. */
    on(topic: string): Heard[] {
        return this.heard.filter(h => h.topic === topic)
    }

    async stop() {
        const closed = new Promise<void>(r => this.server.close(() => r()))
        for (const s of this.sockets) s.destroy()
        await new Promise<void>(r => this.broker.close(() => r()))
        await closed
    }
}
