/**
 * The DeviceScript devtools hub and the processes around it (Node only): fixed ports, starting
 * processes in their own process group so that every child can be killed with them, and a
 * registry of spawned groups so a runner can clean up after a crashed test worker.
 */
import { ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { createConnection, createServer } from "node:net"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { ROOT } from "./paths"

/** `devs devtools` listens on these, always (ws/http, tcp, debugger). */
export const HUB_PORTS = { http: 8081, tcp: 8082, debug: 8083 }
export const HUB_HOST = "127.0.0.1"

/** Env var naming a folder where spawned process groups are registered (one file per pgid). */
export const PIDS_ENV = "LATCHKEY_HIL_PIDS"

/** The pinned DeviceScript CLI. */
export function devsBin(): string {
    return join(ROOT, "node_modules", ".bin", "devs")
}

/**
 * The command that starts a VM process on the hub (sim/devices/vm-process.ts: the VM of the pinned CLI
 * with the board's 256 KB flash, connected as `devs run --tcp` connects), followed by `args`.
 * One Node process, with tsx's loader for the TypeScript.
 */
export function vmProcessCommand(args: string[]): { cmd: string; args: string[] } {
    const loader = pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href
    return { cmd: process.execPath, args: ["--import", loader, join(ROOT, "sim", "devices", "vm-process.ts"), ...args] }
}

/** True when something already listens on `port` (or it cannot be bound for another reason). */
export function portBusy(port: number, host = HUB_HOST): Promise<boolean> {
    return new Promise(resolve => {
        const srv = createServer()
        srv.once("error", () => resolve(true))
        srv.listen(port, host, () => srv.close(() => resolve(false)))
    })
}

/** True when a TCP connection to `port` is accepted. */
export function portAnswers(port: number, host = HUB_HOST): Promise<boolean> {
    return new Promise(resolve => {
        const sock = createConnection({ port, host })
        const done = (ok: boolean) => {
            sock.destroy()
            resolve(ok)
        }
        sock.once("connect", () => done(true))
        sock.once("error", () => done(false))
        sock.setTimeout(1000, () => done(false))
    })
}

/** Waits until `port` accepts connections; fails early when `stillAlive()` turns false. */
export async function waitForPort(port: number, timeoutMs: number, stillAlive: () => boolean): Promise<void> {
    const end = Date.now() + timeoutMs
    while (Date.now() < end) {
        if (!stillAlive()) throw new Error(`the process that should listen on ${HUB_HOST}:${port} exited`)
        if (await portAnswers(port)) return
        await new Promise(r => setTimeout(r, 200))
    }
    throw new Error(`nothing listens on ${HUB_HOST}:${port} after ${timeoutMs} ms`)
}

function registryDir(): string | undefined {
    const dir = process.env[PIDS_ENV]
    if (!dir) return undefined
    mkdirSync(dir, { recursive: true })
    return dir
}

/**
 * Spawns `cmd` as the leader of a new process group (so the whole group can be killed at once)
 * and registers the group while it lives.
 */
export function spawnGroup(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; stdin?: boolean }): ChildProcess {
    const child = spawn(cmd, args, {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        detached: true,
        stdio: [opts.stdin ? "pipe" : "ignore", "pipe", "pipe"],
    })
    const dir = registryDir()
    if (dir && child.pid) {
        const file = join(dir, String(child.pid))
        writeFileSync(file, `${cmd} ${args.join(" ")}\n`)
        child.once("exit", () => rmSync(file, { force: true }))
    }
    return child
}

/** Kills a process group started by {@link spawnGroup}; quiet if it is already gone. */
export function killGroup(child: ChildProcess | undefined, signal: NodeJS.Signals = "SIGKILL") {
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return
    try {
        process.kill(-child.pid, signal)
    } catch {
        try {
            child.kill(signal)
        } catch {
            /* already gone */
        }
    }
}

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
    return new Promise(resolve => child.once("exit", () => resolve()))
}

/** Kills every process group still registered in `dir` (left behind by a crashed worker). */
export function killRegistered(dir: string): number {
    if (!existsSync(dir)) return 0
    let n = 0
    for (const name of readdirSync(dir)) {
        const pid = Number(name)
        if (!Number.isInteger(pid) || pid <= 1) continue
        try {
            process.kill(-pid, "SIGKILL")
            n++
        } catch {
            /* already gone */
        }
        rmSync(join(dir, name), { force: true })
    }
    return n
}

/**
 * Turns a line printed by `devs run` or sim/devices/vm-process.ts ("WASM> ...") or by `devs devtools --serial` ("DEV> ...")
 * back into the VM's own dmesg form: console.log lines (printed in color 95) get their "> "
 * prefix back, like the in-process VM reports them. Other lines come back without colors.
 */
export function dmesgFromCli(line: string): string | undefined {
    const m = /^(?:WASM|DEV|V)> (.*)$/.exec(line.replace(/^\x1b\[90m(.*)\x1b\[0?m$/, "$1"))
    if (!m) return undefined
    const text = m[1]
    const colored = /^\x1b\[(\d+)m(.*?)\x1b\[0?m$/.exec(text)
    if (colored) {
        const marker: { [code: string]: string } = { "95": "> ", "91": "! ", "34": "? ", "33": "* " }
        return (marker[colored[1]] ?? "") + colored[2]
    }
    return text.replace(/\x1b\[[0-9;]*m/g, "")
}

/** Vitest options that take the next argument as their value (not a file filter). */
const VALUE_OPTIONS = ["-t", "--testNamePattern", "--reporter", "--project", "--config", "-c", "--root", "-r", "--bail"]

/** Whether vitest arguments name files (positional filters), not only options: scripts/hil.ts runs the
 * whole HIL suite (test/scenario, test/hil) when they do not. */
export function hasFileFilter(extra: string[]): boolean {
    for (let i = 0; i < extra.length; i++) {
        if (extra[i] === "--") continue
        if (extra[i].startsWith("-")) {
            if (VALUE_OPTIONS.includes(extra[i])) i++
            continue
        }
        return true
    }
    return false
}
