/**
 * A TCP proxy on 127.0.0.1 between the lock and a real broker, for the fuzz bench and tests: the
 * lock dials the proxy, the proxy dials the broker, and bytes flow both ways unchanged, except
 * that the broker's stream is forwarded one whole packet at a time, so that `inject` can put raw
 * bytes (malformed or unexpected packets no broker would send) into the lock's stream between two
 * of the broker's packets.
 */
import { createServer, Server, Socket, connect } from "node:net"
import { FrameReader } from "./mqtt-frames"

export class MqttProxy {
    /** Connections the lock has opened through the proxy. */
    connections = 0
    private lock: Socket | undefined
    private readonly sockets = new Set<Socket>()

    private constructor(private readonly server: Server, readonly port: number) {}

    /** Listens on a free port of 127.0.0.1 and forwards each connection to `brokerPort` there. */
    static async start(brokerPort: number): Promise<MqttProxy> {
        let self: MqttProxy | undefined
        const server = createServer(s => self!.accept(s, brokerPort))
        await new Promise<void>(r => server.listen(0, "127.0.0.1", () => r()))
        self = new MqttProxy(server, (server.address() as { port: number }).port)
        return self
    }

    private accept(lock: Socket, brokerPort: number) {
        this.connections++
        this.lock = lock
        const up = connect(brokerPort, "127.0.0.1")
        for (const s of [lock, up]) {
            this.sockets.add(s)
            s.on("error", () => {})
            s.on("close", () => {
                this.sockets.delete(s)
                lock.destroy()
                up.destroy()
                if (this.lock === lock) this.lock = undefined
            })
        }
        lock.on("data", d => up.write(d))
        const reader = new FrameReader()
        up.on("data", d => {
            try {
                for (const f of reader.push(d)) lock.write(f.raw)
            } catch {
                lock.destroy()
            }
        })
    }

    /** Whether the lock is connected through the proxy now. */
    get connected(): boolean {
        return !!this.lock && !this.lock.destroyed
    }

    /** Writes `bytes` into the lock's stream between two of the broker's packets. False when the lock is not connected. */
    inject(bytes: Buffer): boolean {
        if (!this.connected) return false
        this.lock!.write(bytes)
        return true
    }

    async stop() {
        for (const s of this.sockets) s.destroy()
        await new Promise<void>(r => this.server.close(() => r()))
    }
}
