/**
 * `npm start`: the lock in a web page. Runs the firmware bytecode in the DeviceScript VM with
 * simulated Jacdac hardware and serves the page that shows and drives it (URL printed below).
 *
 * Options: --fast (short test timings: build/firmware-fast.devs), --wipe (start with empty flash),
 * --http N (the page's port; default 8090, 0 = any free port), --port N (the bus served on TCP for
 * the companion CLI, as `npm run sim:terminal` does; default 8082, 0 = none), --hub (attach the
 * board to a running DeviceScript devtools hub instead, `npm run watch`), --flash FILE (default
 * build/sim-flash.bin, shared with the terminal simulator), --echo (print the firmware console).
 */
import { join, resolve } from "node:path"
import { loadProfile } from "../scripts/profile-io"
import { attachToHub, HUB_TCP_PORT, probeHub } from "./devtools-hub"
import { serveBusOverTcp } from "./hub"
import { ROOT } from "./paths"
import { WebSimulator } from "./webserver"

const USAGE = "usage: npm start -- [--fast] [--wipe] [--http N] [--port N] [--hub] [--flash FILE] [--echo]"
const DEFAULT_HTTP = 8090
const DEFAULT_TCP = 8082

interface Args {
    fast: boolean
    wipe: boolean
    echo: boolean
    hub: boolean
    http: number | undefined
    tcp: number
    flash: string
}

function parseArgs(argv: string[]): Args {
    const a: Args = { fast: false, wipe: false, echo: false, hub: false, http: undefined, tcp: DEFAULT_TCP, flash: join(ROOT, "build", "sim-flash.bin") }
    const port = (s: string | undefined) => (s !== undefined && /^\d{1,5}$/.test(s) && Number(s) <= 65535 ? Number(s) : undefined)
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i]
        if (arg === "--fast") a.fast = true
        else if (arg === "--wipe") a.wipe = true
        else if (arg === "--echo") a.echo = true
        else if (arg === "--quiet") a.echo = false
        else if (arg === "--hub") a.hub = true
        else if (arg === "--http" && port(argv[i + 1]) !== undefined) a.http = port(argv[++i])
        else if (arg === "--port" && port(argv[i + 1]) !== undefined) a.tcp = port(argv[++i])!
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
    const say = (s: string) => console.log(`latchkey sim: ${s}`)
    // before anything starts: a missing hub is a plain message, not a half-started simulator
    if (args.hub) await probeHub()
    const profile = args.fast ? loadProfile(join(ROOT, "test", "fixtures", "fast-timing.json")) : loadProfile()
    const firmware = args.fast ? "firmware-fast" : "firmware"
    const sim = new WebSimulator({ profile, firmware, flashFile: args.flash, wipe: args.wipe, echo: args.echo })
    let url: string
    try {
        url = await sim.start(args.http ?? DEFAULT_HTTP)
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e
        if (args.http !== undefined) {
            console.error(`latchkey sim: port ${args.http} is in use (another simulator?). Pick another: npm start -- --http N`)
            process.exit(1)
        }
        url = await sim.start(0)
        say(`port ${DEFAULT_HTTP} is in use; using another one`)
    }
    say(`${profile.name}, ${firmware} on the DeviceScript VM, flash ${args.wipe ? "wiped" : "from " + args.flash}`)
    say(`open ${url}   (Ctrl-C stops)`)
    if (args.hub) {
        await attachToHub(sim.board.bus)
        say(`attached to the DeviceScript hub on tcp ${HUB_TCP_PORT}: its dashboard, VS Code and the companion CLI see this board`)
    } else if (args.tcp > 0) {
        try {
            const hub = await serveBusOverTcp(sim.board.bus, args.tcp)
            say(`companion CLI: \`npm run latchkey -- status\` (bus served on tcp 127.0.0.1:${hub.port})`)
        } catch (e) {
            say(`no TCP hub for the companion CLI: ${(e as Error).message}; try --port N, or --hub to join a devtools hub`)
        }
    }
    await sim.ready()
    say(`firmware running (${Math.round(performance.now() - t0)} ms after start)`)
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
