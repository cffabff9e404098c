/**
 * A bare TCP "broker" on 127.0.0.1 that speaks just enough MQTT 3.1.1 to take the lock's
 * connection (CONNACK to a CONNECT, SUBACK to a SUBSCRIBE) and records what the lock publishes;
 * the test writes whatever bytes it likes to the lock: bursts, oversized or malformed packets
 * that no real broker would send. It never forwards anything: the lock is its only client.
 */
import { createServer, Server, Socket } from "node:net"
import { Frame, FrameReader, readPublish } from "../../bench/lib/mqtt-frames"

export class RawBroker {
    /** Connections the lock has opened so far. */
    connections = 0
    /** What the lock published, in order. */
    readonly published: { topic: string; payload: Buffer }[] = []
    private current: Socket | undefined
    private readonly sockets = new Set<Socket>()

    private constructor(private readonly server: Server, readonly port: number) {}

    static async start(): Promise<RawBroker> {
        let self: RawBroker | undefined
        const server = createServer(s => self!.accept(s))
        await new Promise<void>(r => server.listen(0, "127.0.0.1", () => r()))
        self = new RawBroker(server, (server.address() as { port: number }).port)
        return self
    }

    private accept(s: Socket) {
        this.connections++
        this.current = s
        this.sockets.add(s)
        const reader = new FrameReader()
        s.on("data", d => {
            let frames: Frame[]
            try {
                frames = reader.push(d)
            } catch {
                s.destroy()
                return
            }
            for (const f of frames) {
                const type = f.head >> 4
                if (type === 1) s.write(Buffer.from([0x20, 2, 0, 0]))
                else if (type === 8) s.write(Buffer.from([0x90, 3, f.body[0], f.body[1], 0]))
                else if (type === 12) s.write(Buffer.from([0xd0, 0]))
                else if (type === 3) this.published.push(readPublish(f.head, f.body))
            }
        })
        s.on("error", () => {})
        s.on("close", () => {
            this.sockets.delete(s)
            if (this.current === s) this.current = undefined
        })
    }

    /** Whether the lock is connected now. */
    get connected(): boolean {
        return !!this.current && !this.current.destroyed
    }

    /** Writes raw bytes to the lock's connection (it must be connected). */
    write(bytes: Buffer) {
        if (!this.current) throw new Error("the lock is not connected to the raw broker")
        this.current.write(bytes)
    }

    async stop() {
        for (const s of this.sockets) s.destroy()
        await new Promise<void>(r => this.server.close(() => r()))
    }
}
