/**
 * MQTT brokers for tests, each on 127.0.0.1 at a free port, each one the test's own:
 *   - Debian's mosquitto (the broker people run), started with a generated config: anonymous, or
 *     with a password file made by mosquitto_passwd. When mosquitto is not installed, the tests
 *     that need it are skipped and say why (`.ci/run` installs it).
 *   - aedes (npm), embedded in this process: the simulator's own broker (sim/broker.ts).
 * Each can be killed (mosquitto: SIGKILL; aedes: every connection cut, the listener closed) and
 * started again on the same port, with no retained message kept: what a broker restart without
 * persistence does.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process"
import { existsSync, mkdtempSync, writeFileSync } from "node:fs"
import { createServer, Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startBroker } from "../../sim/broker"

export const HOST = "127.0.0.1"

export interface BrokerOptions {
    /** With both: the broker refuses anyone without them. */
    username?: string
    password?: string
    /** mosquitto only: lines appended to its config (another listener, e.g. one with TLS). */
    extraConfig?: string[]
}

export interface TestBroker {
    readonly kind: "mosquitto" | "aedes"
    readonly port: number
    readonly url: string
    readonly username?: string
    readonly password?: string
    readonly running: boolean
    /** Kills the broker: every connection drops at once, retained messages are gone. */
    kill(): Promise<void>
    /** Starts it again on the same port. */
    restart(): Promise<void>
    stop(): Promise<void>
}

function findMosquitto(): string | null {
    for (const p of ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/local/bin/mosquitto"]) if (existsSync(p)) return p
    return null
}

/** The mosquitto binary, or null. */
export const MOSQUITTO = findMosquitto()
const MOSQUITTO_PASSWD = MOSQUITTO ? ["/usr/bin/mosquitto_passwd", "/usr/sbin/mosquitto_passwd"].find(p => existsSync(p)) ?? null : null

/** Why the mosquitto tests cannot run here, or null when they can. */
export function mosquittoMissing(): string | null {
    if (!MOSQUITTO) return "mosquitto is not installed (apt-get install -y mosquitto; .ci/run does)"
    if (!MOSQUITTO_PASSWD) return "mosquitto_passwd is not installed (it comes with Debian's mosquitto package)"
    return null
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = createServer()
        s.once("error", reject)
        s.listen(0, HOST, () => {
            const port = (s.address() as { port: number }).port
            s.close(() => resolve(port))
        })
    })
}

/** Resolves once something accepts TCP connections on `port` (rejects after `timeoutMs`). */
export async function waitForListener(port: number, timeoutMs = 10000, alive: () => boolean = () => true): Promise<void> {
    const end = Date.now() + timeoutMs
    for (;;) {
        const ok = await new Promise<boolean>(resolve => {
            const s = new Socket()
            s.once("connect", () => {
                s.destroy()
                resolve(true)
            })
            s.once("error", () => resolve(false))
            s.connect(port, HOST)
        })
        if (ok) return
        if (!alive()) throw new Error(`the broker on port ${port} exited before it listened`)
        if (Date.now() > end) throw new Error(`nothing listens on ${HOST}:${port} after ${timeoutMs} ms`)
        await new Promise(r => setTimeout(r, 50))
    }
}

class Mosquitto implements TestBroker {
    readonly kind = "mosquitto"
    readonly url: string
    private child: ChildProcess | undefined
    private output: string[] = []

    constructor(
        readonly port: number,
        private readonly config: string,
        readonly username?: string,
        readonly password?: string,
    ) {
        this.url = `mqtt://${HOST}:${port}`
    }

    get running() {
        return !!this.child && this.child.exitCode === null && this.child.signalCode === null
    }

    async restart() {
        if (this.running) throw new Error("mosquitto is already running")
        const child = spawn(MOSQUITTO!, ["-c", this.config], { stdio: ["ignore", "pipe", "pipe"] })
        this.child = child
        child.stdout!.on("data", d => this.output.push(String(d)))
        child.stderr!.on("data", d => this.output.push(String(d)))
        try {
            await waitForListener(this.port, 10000, () => this.running)
        } catch (e) {
            throw new Error(`${(e as Error).message}; mosquitto said: ${this.output.join("").trim().slice(-500)}`)
        }
    }

    async kill() {
        const c = this.child
        if (!c || !this.running) return
        const gone = new Promise(r => c.once("exit", r))
        c.kill("SIGKILL")
        await gone
    }

    async stop() {
        await this.kill()
    }
}

/**
 * Starts Debian's mosquitto on a free port with a config of its own: anonymous, or (with a user
 * name and password) a password file made by mosquitto_passwd and anonymous clients refused.
 */
export async function startMosquitto(opts: BrokerOptions = {}): Promise<TestBroker> {
    const why = mosquittoMissing()
    if (why) throw new Error(why)
    const dir = mkdtempSync(join(tmpdir(), "latchkey-mosquitto-"))
    const port = await freePort()
    const lines = [`listener ${port} ${HOST}`, "persistence false", "log_dest stderr", "log_type error", "log_type warning"]
    // as root, mosquitto would drop to the "mosquitto" user and not read our files
    if (process.getuid?.() === 0) lines.push("user root")
    if (opts.username !== undefined) {
        const passwd = join(dir, "passwd")
        execFileSync(MOSQUITTO_PASSWD!, ["-c", "-b", passwd, opts.username, opts.password ?? ""], { stdio: "pipe" })
        lines.push("allow_anonymous false", `password_file ${passwd}`)
    } else lines.push("allow_anonymous true")
    lines.push(...(opts.extraConfig ?? []))
    const config = join(dir, "mosquitto.conf")
    writeFileSync(config, lines.join("\n") + "\n")
    const b = new Mosquitto(port, config, opts.username, opts.password)
    await b.restart()
    return b
}

/** aedes (npm) in this process on 127.0.0.1 at a free port: the simulator's own broker (sim/broker.ts). */
export async function startAedes(opts: BrokerOptions = {}): Promise<TestBroker> {
    const b = await startBroker({ username: opts.username, password: opts.password })
    return {
        kind: "aedes",
        port: b.port,
        url: b.url,
        username: opts.username,
        password: opts.password,
        get running() {
            return b.running
        },
        kill: () => b.down(),
        restart: () => b.up(),
        stop: () => b.stop(),
    }
}
