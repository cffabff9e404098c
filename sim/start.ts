/**
 * `npm start`: the lock in a web page. Runs the firmware bytecode in the DeviceScript VM with
 * simulated Jacdac hardware and serves the page that shows and drives it (URL printed below).
 *
 * Options: --fast (short test timings: build/firmware-fast.devs), --wipe (start with empty flash),
 * --port N (default 8090; 0 = any free port), --echo (print the firmware console here too),
 * --hub (also attach the board to a DeviceScript devtools hub on tcp 8082: `npm run watch`),
 * --flash FILE (keep the flash in FILE instead of build/sim-flash.bin). The flash file is shared
 * with the terminal simulator (`npm run sim:terminal`).
 */
import { join, resolve } from "node:path"
import { loadProfile } from "../scripts/profile-io"
import { ROOT } from "./paths"
import { attachToHub, HUB_TCP_PORT, probeHub } from "./hub"
import { WebSimulator } from "./webserver"

const USAGE = "usage: npm start -- [--fast] [--wipe] [--port N] [--flash FILE] [--echo] [--hub]"
const DEFAULT_PORT = 8090

interface Args {
    fast: boolean
    wipe: boolean
    echo: boolean
    hub: boolean
    port: number | undefined
    flash: string
}

function parseArgs(argv: string[]): Args {
    const a: Args = { fast: false, wipe: false, echo: false, hub: false, port: undefined, flash: join(ROOT, "build", "sim-flash.bin") }
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i]
        if (arg === "--fast") a.fast = true
        else if (arg === "--wipe") a.wipe = true
        else if (arg === "--echo") a.echo = true
        else if (arg === "--quiet") a.echo = false
        else if (arg === "--hub") a.hub = true
        else if (arg === "--port" && /^\d+$/.test(argv[i + 1] ?? "")) a.port = Number(argv[++i])
        else if (arg === "--flash" && argv[i + 1]) a.flash = resolve(argv[++i])
        else if (arg === "--help" || arg === "-h") {
            console.log(USAGE)
            process.exit(0)
        } else {
            console.error(`latchkey sim: unknown option "${arg}"\n${USAGE}`)
            process.exit(2)
        }
    }
    return a
}

async function main() {
    const args = parseArgs(process.argv.slice(2))
    const t0 = performance.now()
    const profile = args.fast ? loadProfile(join(ROOT, "test", "fixtures", "fast-timing.json")) : loadProfile()
    const firmware = args.fast ? "firmware-fast" : "firmware"
    const flashFile = args.flash
    // before anything starts: a missing hub is a plain message, not a half-started simulator
    if (args.hub) await probeHub()
    const sim = new WebSimulator({ profile, firmware, flashFile, wipe: args.wipe, echo: args.echo })
    let url: string
    try {
        url = await sim.start(args.port ?? DEFAULT_PORT)
    } catch (e) {
        const err = e as NodeJS.ErrnoException
        if (err.code !== "EADDRINUSE") throw e
        if (args.port !== undefined) {
            console.error(`latchkey sim: port ${args.port} is in use (another simulator?). Pick another: npm start -- --port N`)
            process.exit(1)
        }
        url = await sim.start(0)
        console.log(`latchkey sim: port ${DEFAULT_PORT} is in use; using another one`)
    }
    console.log(`latchkey sim: ${profile.name}, ${firmware} on the DeviceScript VM, flash ${args.wipe ? "wiped" : "from " + flashFile}`)
    console.log(`latchkey sim: open ${url}   (Ctrl-C stops)`)
    if (args.hub) {
        await attachToHub(sim.board.bus)
        console.log(`latchkey sim: attached to the DeviceScript hub on tcp ${HUB_TCP_PORT}: its dashboard and VS Code see this board, and devtools deploys each build to this VM`)
    }
    await sim.ready()
    console.log(`latchkey sim: firmware running (${Math.round(performance.now() - t0)} ms after start)`)
    const quit = async () => {
        await sim.stop()
        process.exit(0)
    }
    process.on("SIGINT", quit)
    process.on("SIGTERM", quit)
}

main().catch(e => {
    console.error(`latchkey sim: ${(e as Error).message}`)
    process.exit(1)
})
