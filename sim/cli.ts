/**
 * `latchkey`: the companion CLI. Reaches the lock over Jacdac through a devtools-style TCP hub:
 * the simulator (`npm start` serves one on 127.0.0.1:8082) or `devs devtools` with a board.
 *
 *   latchkey [options] <command> [args]
 *   commands: status | enrol | unlock | lock | clear-lockout | revoke KEY_ID | lost-phone | keys
 *   options:  --tcp HOST:PORT (default 127.0.0.1:8082)  --keys FILE  --json  --timeout MS  --help
 */
import { createRequire } from "node:module"
import { createNodeSocketTransport, JDBus } from "jacdac-ts"
import { command, COMMANDS, defaultKeyFile, enrol, KeyStore, LockRefusal } from "./companion"
import { LatchkeyClient } from "./latchkey"

// jacdac-ts's ESM build loads "net" through a lazy require()
;(globalThis as { require?: NodeRequire }).require ??= createRequire(import.meta.url)
// jacdac-ts narrates its transports on console.debug; a CLI's output is its answer only
if (!process.env.LATCHKEY_DEBUG) console.debug = () => {}

export const USAGE = `usage: latchkey [options] <command> [args]

commands:
  status              the lock's state, mode, failure count and lockout
  enrol               pair this computer as a companion (press the lock's program button first)
  unlock | lock       open or lock the door (challenge-response, AES-256-CCM)
  clear-lockout       clear the keypad's failure counter and lockout
  revoke KEY_ID       revoke one companion key (1..254)
  lost-phone          revoke every companion key at once (keypad codes keep working)
  keys                list the companion keys this computer holds (never the keys themselves)

options:
  --tcp HOST:PORT     where the lock is reached (default 127.0.0.1:8082: \`npm start\` or \`devs devtools\`)
  --keys FILE         key file (default ${defaultKeyFile()}; set LATCHKEY_HOME to move it)
  --json              machine-readable output
  --timeout MS        how long to look for the lock (default 5000)
  --help              this text`

export interface CliOptions {
    host: string
    port: number
    keys: string
    json: boolean
    timeoutMs: number
    command: string
    args: string[]
}

/** A usage error: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

export function parseCli(argv: string[]): CliOptions | "help" {
    const o: CliOptions = { host: "127.0.0.1", port: 8082, keys: defaultKeyFile(), json: false, timeoutMs: 5000, command: "", args: [] }
    const rest: string[] = []
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i]
        const value = () => {
            const v = argv[++i]
            if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`)
            return v
        }
        if (a === "--help" || a === "-h") return "help"
        else if (a === "--json") o.json = true
        else if (a === "--keys") o.keys = value()
        else if (a === "--tcp") {
            const m = /^([^:]+):(\d{1,5})$/.exec(value())
            if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new UsageError(`--tcp takes HOST:PORT, e.g. 127.0.0.1:8082`)
            o.host = m[1]
            o.port = Number(m[2])
        } else if (a === "--timeout") {
            const v = value()
            if (!/^\d+$/.test(v) || Number(v) < 100) throw new UsageError(`--timeout takes milliseconds (>= 100), not "${v}"`)
            o.timeoutMs = Number(v)
        } else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`)
        else rest.push(a)
    }
    if (rest.length === 0) throw new UsageError("no command given")
    o.command = rest[0]
    o.args = rest.slice(1)
    const known = ["status", "enrol", "keys", ...Object.keys(COMMANDS)]
    if (!known.includes(o.command)) throw new UsageError(`unknown command "${o.command}" (one of ${known.join(", ")})`)
    if (o.command === "revoke") {
        if (o.args.length !== 1 || !/^\d+$/.test(o.args[0]) || Number(o.args[0]) < 1 || Number(o.args[0]) > 254)
            throw new UsageError("revoke takes one key id from 1 to 254")
    } else if (o.args.length) throw new UsageError(`${o.command} takes no arguments`)
    return o
}

/** Runs one command against a lock on `bus`; returns what to print (text, or an object for --json). */
export async function runCommand(o: CliOptions, client: LatchkeyClient): Promise<{ text: string; data: unknown }> {
    const store = new KeyStore(o.keys)
    if (o.command === "keys") {
        const keys = store.all().map(k => ({ lock: k.lock, keyId: k.keyId, counter: k.counter }))
        return { text: keys.length ? keys.map(k => `lock ${k.lock}: key ${k.keyId} (counter ${k.counter})`).join("\n") : "no companion keys", data: keys }
    }
    await client.service(o.timeoutMs)
    if (o.command === "status") {
        const s = await client.status()
        const lockout = s.lockoutRemainingMs > 0 ? `, keypad locked out for ${Math.ceil(s.lockoutRemainingMs / 1000)} s` : ""
        return {
            text: `${s.provisioned ? s.lockState : "not set up (setup mode)"}, mode ${s.operatingMode}, ${s.failureCount} failed attempt(s)${lockout}`,
            data: s,
        }
    }
    if (o.command === "enrol") {
        const rec = await enrol(client, store)
        return { text: `enrolled as companion key ${rec.keyId} of lock ${rec.lock}; key saved in ${store.path}`, data: { lock: rec.lock, keyId: rec.keyId } }
    }
    const args = o.command === "revoke" ? [Number(o.args[0])] : []
    await command(client, store, o.command, args)
    const done: { [c: string]: string } = {
        unlock: "unlocked",
        lock: "locked",
        "clear-lockout": "failure counter and lockout cleared",
        revoke: `companion key ${o.args[0]} revoked`,
        "lost-phone": "every companion key revoked; keypad codes still work",
    }
    return { text: done[o.command], data: { ok: true, command: o.command } }
}

async function main(argv: string[]): Promise<number> {
    let o: CliOptions | "help"
    try {
        o = parseCli(argv)
    } catch (e) {
        console.error(`latchkey: ${(e as Error).message}\n\n${USAGE}`)
        return 2
    }
    if (o === "help") {
        console.log(USAGE)
        return 0
    }
    const opts = o
    const fail = (message: string, code: string) => {
        if (opts.json) console.log(JSON.stringify({ ok: false, error: code, message }))
        else console.error(`latchkey: ${message}`)
        return 1
    }
    let bus: JDBus | undefined
    try {
        if (opts.command !== "keys") {
            const transport = createNodeSocketTransport(opts.port, opts.host)
            bus = new JDBus([transport], { client: false, disableRoleManager: true })
            bus.start()
            // jacdac-ts retries a refused connection forever: give it the timeout, no more
            await Promise.race([bus.connect(true), new Promise(r => setTimeout(r, opts.timeoutMs))])
            if (!transport.connected) return fail(`cannot reach ${opts.host}:${opts.port} (is \`npm start\` running, or \`devs devtools\`?)`, "NoLock")
        }
        const client = new LatchkeyClient(bus ?? new JDBus([], { client: false }))
        const out = await runCommand(opts, client)
        console.log(opts.json ? JSON.stringify({ ok: true, ...(out.data as object), result: out.data }) : out.text)
        return 0
    } catch (e) {
        if (e instanceof LockRefusal) return fail(e.message, e.status)
        const msg = (e as Error).message
        if (/no Latchkey lock service/.test(msg))
            return fail(`no lock found at ${opts.host}:${opts.port} (is \`npm start\` running, or \`devs devtools\` with a board?)`, "NoLock")
        return fail(msg, "Error")
    } finally {
        await bus?.dispose()
    }
}

main(process.argv.slice(2)).then(
    code => process.exit(code),
    e => {
        console.error(`latchkey: ${(e as Error).message}`)
        process.exit(1)
    },
)
