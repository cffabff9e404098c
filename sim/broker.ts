/**
 * The simulator's own MQTT broker: aedes (npm), in this process, on 127.0.0.1 at a free port (or
 * the one asked for), so `npm start` needs nothing installed. The page can take it down (every
 * connection cut, the listener closed, retained messages gone: a broker restart without
 * persistence) and bring it up again on the same port. With a user name and password it refuses
 * anyone without them (MQTT return code 4). The tests use it as their embedded broker.
 */
import { createServer, Server, Socket } from "node:net"
import { Aedes } from "aedes"

export interface SimBroker {
    readonly host: string
    readonly port: number
    /** mqtt://host:port */
    readonly url: string
    readonly running: boolean
    /** Takes the broker down: connections dropped at once, retained messages gone. */
    down(): Promise<void>
    /** Brings it up again on the same port. */
    up(): Promise<void>
    stop(): Promise<void>
}

export interface BrokerOptions {
    /** Default 0: any free port. */
    port?: number
    /** With both, only clients that give them are let in. */
    username?: string
    password?: string
}

const HOST = "127.0.0.1"

class EmbeddedBroker implements SimBroker {
    readonly host = HOST
    private broker: Aedes | undefined
    private server: Server | undefined
    private readonly sockets = new Set<Socket>()

    constructor(
        public port: number,
        private readonly username?: string,
        private readonly password?: string,
    ) {}

    get url() {
        return `mqtt://${HOST}:${this.port}`
    }

    get running() {
        return !!this.server?.listening
    }

    async up() {
        if (this.running) return
        const broker = await Aedes.createBroker()
        if (this.username !== undefined) {
            const user = this.username
            const pass = Buffer.from(this.password ?? "")
            broker.authenticate = (_client, username, password, done) => {
                if (username === user && !!password && password.length === pass.length && password.equals(pass)) return done(null, true)
                const err = Object.assign(new Error("bad user name or password"), { returnCode: 4 as const })
                done(err, false)
            }
        }
        const server = createServer(socket => {
            this.sockets.add(socket)
            socket.once("close", () => this.sockets.delete(socket))
            broker.handle(socket)
        })
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject)
            server.listen(this.port, HOST, () => resolve())
        })
        this.port = (server.address() as { port: number }).port
        this.broker = broker
        this.server = server
    }

    async down() {
        const server = this.server
        const broker = this.broker
        if (!server || !broker) return
        this.server = undefined
        this.broker = undefined
        const closed = new Promise<void>(r => server.close(() => r()))
        for (const s of this.sockets) s.destroy()
        this.sockets.clear()
        await new Promise<void>(r => broker.close(() => r()))
        await closed
    }

    async stop() {
        await this.down()
    }
}

/** Starts an MQTT broker on 127.0.0.1 (aedes, in this process) and resolves once it listens. */
export async function startBroker(opts: BrokerOptions = {}): Promise<SimBroker> {
    const b = new EmbeddedBroker(opts.port ?? 0, opts.username, opts.password)
    await b.up()
    return b
}

/**
 * The companion CLI command that opens the simulated lock through the broker at `url`: what
 * `npm start` prints and the page shows. No --lock: the CLI needs one only when the broker knows
 * several locks, and this broker knows the simulator's alone.
 */
export function companionCommand(url: string): string {
    return `npm run latchkey -- --mqtt ${url} unlock`
}
