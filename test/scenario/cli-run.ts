/** The companion CLI (bin/latchkey.js) as a user runs it: a separate process, over TCP to a hub. */
import { execFile, spawn } from "node:child_process"
import { join } from "node:path"
import { promisify } from "node:util"
import { ROOT } from "../../host/paths"

const run = promisify(execFile)

export interface CliResult {
    code: number
    out: string
    err: string
}

/** Runs `latchkey --tcp 127.0.0.1:PORT --keys KEYS ARGS…`; never throws on a non-zero exit. */
export async function cli(port: number, keys: string, ...args: string[]): Promise<CliResult> {
    try {
        const r = await run(process.execPath, [join(ROOT, "bin", "latchkey.js"), "--tcp", `127.0.0.1:${port}`, "--keys", keys, ...args], {
            timeout: 60_000,
        })
        return { code: 0, out: r.stdout, err: r.stderr }
    } catch (e: any) {
        return { code: e.code ?? -1, out: e.stdout ?? "", err: e.stderr ?? "" }
    }
}

/** Runs the CLI with `input` on its standard input (how `users add` takes the code). */
export function cliInput(port: number, keys: string, input: string, ...args: string[]): Promise<CliResult> {
    return new Promise(resolve => {
        const child = spawn(process.execPath, [join(ROOT, "bin", "latchkey.js"), "--tcp", `127.0.0.1:${port}`, "--keys", keys, ...args])
        let out = ""
        let err = ""
        child.stdout.on("data", d => (out += d))
        child.stderr.on("data", d => (err += d))
        child.on("close", code => resolve({ code: code ?? -1, out, err }))
        child.stdin.end(input)
    })
}

/**
 * Runs `latchkey ARGS…` as given (no --tcp added: for --mqtt), with `env` laid over this
 * process's environment (LATCHKEY_MQTT_* removed first unless given) and `input` on its standard
 * input; never throws on a non-zero exit.
 */
export function latchkey(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
    return new Promise(resolve => {
        const env = { ...process.env }
        delete env.LATCHKEY_MQTT_USER
        delete env.LATCHKEY_MQTT_PASSWORD
        const child = spawn(process.execPath, [join(ROOT, "bin", "latchkey.js"), ...args], { env: { ...env, ...opts.env } })
        let out = ""
        let err = ""
        const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
        child.stdout.on("data", d => (out += d))
        child.stderr.on("data", d => (err += d))
        child.on("close", code => {
            clearTimeout(timer)
            resolve({ code: code ?? -1, out, err })
        })
        child.stdin.end(opts.input ?? "")
    })
}
