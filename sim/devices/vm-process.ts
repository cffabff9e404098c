/**
 * A DeviceScript VM process on the devtools hub: what `devs run <file> --tcp` does, with the
 * board's flash size. Run as its own process (tsx sim/devices/vm-process.ts ...); sim/devices/device.ts
 * (VmProcessDevice, HIL=vm) and test/hil start it.
 *
 * It is the same VM as `devs run`: the emscripten module of the pinned CLI bundle (sliced into
 * build/devicescript-vm.cjs by scripts/build.ts), connected to the hub on 127.0.0.1:8082 by the
 * VM's own `setupNodeTcpSocketTransport` (the call `devs run --tcp` makes), its flash kept in a
 * file. Why not `devs run` itself: it has no flash-size option and leaves the VM's default of
 * 128 KB, whose settings area (1/16 of the flash) is 8 KB; a lock with its users, names and audit
 * ring needs up to ~13 KB (docs/architecture.md, "What is on flash"), and the ESP32's 256 KB partition gives
 * 16 KB. The in-process VM (sim/vm.ts) uses 256 KB for the same reason.
 *
 * Options:
 *   --flash FILE        the flash image (created when missing; kept across runs, like a chip)
 *   --bytecode FILE     the program to write to flash when the flash holds no settings store
 *                       (empty, or made for another size), as `devs run FILE` deploys it;
 *                       otherwise the VM boots the program its flash holds (a power-on)
 *   --wait              deploy nothing: wait for a deploy over the hub (`devs run --wait`)
 *   --device-id ID      the Jacdac device id
 *   --flash-kb N        flash size (default 256, the ESP32 partition)
 *   --sync-writes       after each flash write: print "FLASH-SAVED n" and stop until a line
 *                       arrives on stdin, so the parent can cut the power (kill this process)
 *                       at that exact moment
 *
 * Output, one line each: "WASM> <dmesg line>" (firmware console.log lines start "> ", as in the
 * in-process VM and as host/devtools.ts dmesgFromCli reads them), the VM's own messages as they
 * are ("connected to 127.0.0.1:8082"), "PANIC <code>" on a crash. Exits 1 when the hub cannot be
 * reached or goes away.
 */
import { existsSync, mkdirSync, readFileSync, readSync, writeFileSync, writeSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { hasFstor } from "../fstor"
import { HUB_HOST, HUB_PORTS } from "../../host/devtools"
import { ROOT } from "../../host/paths"

const require = createRequire(import.meta.url)

interface Args {
    flash?: string
    bytecode?: string
    wait: boolean
    deviceId?: string
    flashKb: number
    syncWrites: boolean
}

function parseArgs(argv: string[]): Args {
    const a: Args = { wait: false, flashKb: 256, syncWrites: false }
    for (let i = 0; i < argv.length; i++) {
        const k = argv[i]
        const next = () => {
            const v = argv[++i]
            if (v === undefined) throw new Error(`${k} needs a value`)
            return v
        }
        if (k === "--flash") a.flash = next()
        else if (k === "--bytecode") a.bytecode = next()
        else if (k === "--wait") a.wait = true
        else if (k === "--device-id") a.deviceId = next()
        else if (k === "--flash-kb") a.flashKb = Number(next())
        else if (k === "--sync-writes") a.syncWrites = true
        else throw new Error(`unknown option ${k}`)
    }
    if (!a.flash) throw new Error("--flash FILE is required")
    if (!a.wait && !a.bytecode) throw new Error("need --bytecode FILE or --wait")
    if (!Number.isInteger(a.flashKb) || a.flashKb < 8 || a.flashKb % 4) throw new Error(`--flash-kb ${a.flashKb}: a multiple of 4 KB`)
    return a
}

/** Writes one line to stdout at once (fd 1, synchronous: nothing is left in a buffer at a kill). */
function out(line: string) {
    writeSync(1, line + "\n")
}

/** Blocks until a line (or end of input) arrives on stdin. */
function waitForAck() {
    const buf = Buffer.alloc(1)
    for (;;) {
        try {
            const n = readSync(0, buf, 0, 1, null)
            if (n === 0 || buf[0] === 0x0a) return
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e
        }
    }
}

async function main() {
    const args = parseArgs(process.argv.slice(2))
    const flashFile = args.flash!
    const flashBytes = args.flashKb * 1024
    mkdirSync(dirname(flashFile), { recursive: true })
    const image = existsSync(flashFile) ? new Uint8Array(readFileSync(flashFile)) : new Uint8Array(0)

    const factory = require(join(ROOT, "build", "devicescript-vm.cjs")) as (o?: object) => Promise<Record<string, any>>
    const mod = await factory()
    mod.flashSize = flashBytes
    let connected = false
    mod.dmesg = (line: string) => out("WASM> " + line)
    mod.log = (...a: unknown[]) => {
        const line = a.join(" ")
        out(line)
        // the hub closed the connection: a board unplugged; nothing more can reach this VM
        if (/^disconnect\b/.test(line) && connected) process.exit(1)
    }
    mod.error = (...a: unknown[]) => out("error: " + a.join(" "))
    let saves = 0
    mod.flashLoad = () => (existsSync(flashFile) ? new Uint8Array(readFileSync(flashFile)) : new Uint8Array(0))
    mod.flashSave = (buf: Uint8Array) => {
        writeFileSync(flashFile, buf)
        if (args.syncWrites) {
            out(`FLASH-SAVED ${++saves}`)
            waitForAck()
        }
    }
    try {
        // the call `devs run --tcp` makes: frames to and from the hub, one length byte each
        const conn = (await mod.setupNodeTcpSocketTransport(require, HUB_HOST, HUB_PORTS.tcp)) as { close(): void }
        void conn
        connected = true
    } catch (e) {
        out(`error: ${(e as Error).message}`)
        process.exit(1)
    }
    if (args.deviceId) mod.devsSetDeviceId(args.deviceId)
    mod.devsStart()
    if (!args.wait && (image.length === 0 || !hasFstor(image, flashBytes))) {
        const r = mod.devsDeploy(new Uint8Array(readFileSync(args.bytecode!)))
        if (r) {
            out(`error: the VM refused ${args.bytecode} (deploy error ${r})`)
            process.exit(1)
        }
        out(`self-deployed ${args.bytecode}`)
    } else if (args.wait) out("waiting for external deploy")
}

// the hub going away ends the process, as it ends `devs run`
process.on("uncaughtException", e => {
    out(`error: ${e.stack ?? e}`)
    process.exit(1)
})
main().catch(e => {
    out(`error: ${(e as Error).message}`)
    process.exit(1)
})
