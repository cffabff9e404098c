/**
 * `npm start`: the lock in a web page. Runs the firmware bytecode in the DeviceScript VM with
 * simulated Jacdac hardware and serves the page that shows and drives it (URL printed below,
 * with this run's token: nothing without it gets in, sim/page-guard.ts).
 *
 * It brings its own MQTT broker (aedes, in this process: sim/broker.ts) on 127.0.0.1 at a free port
 * and runs the networked firmware pointed at it (build/firmware-ship-net.devs: the shipping
 * firmware with test/fixtures/network.json's network section), so the companion CLI reaches the
 * lock over MQTT as it would over Wi-Fi. The broker's URL is printed next to the page's.
 *
 * Options: --fast (short test timings: build/firmware-net.devs, or firmware-fast.devs without a
 * broker), --mqtt-port N (the broker's port; default 0 = any free port), --no-broker (no broker:
 * the firmware without the network, build/firmware.devs), --wipe (start with empty flash),
 * --http N (the page's port; default 8090, 0 = any free port), --port N (the bus served on TCP for
 * the companion CLI, as `npm run sim:terminal` does; default 8082, 0 = none), --hub (attach the
 * board to a running DeviceScript devtools hub instead, `npm run watch`), --flash FILE (default
 * build/sim-flash.bin, shared with the terminal simulator), --echo (print the firmware console).
 */
import { join, resolve } from "node:path"
import { loadProfile } from "../host/profile-io"
import { attachToHub, HUB_TCP_PORT, probeHub } from "./devtools-hub"
import { serveBusOverTcp } from "./hub"
import { ROOT } from "../host/paths"
import { WebSimulator } from "./webserver"
import { companionCommand, startBroker, type SimBroker } from "./broker"
import { commandLine, type OptionSpec } from "../host/options"

const DEFAULT_HTTP = 8090
const DEFAULT_TCP = 8082
const DEFAULT_FLASH = join(ROOT, "build", "sim-flash.bin")
/** The network section the networked images are built with (scripts/build.ts): the broker is pointed at at run time. */
const NETWORK = join(ROOT, "test", "fixtures", "network.json")
const FAST_TIMING = join(ROOT, "test", "fixtures", "fast-timing.json")

const OPTIONS = {
    fast: { type: "flag", help: "short test timings (build/firmware-net.devs; firmware-fast.devs with --no-broker)" },
    "mqtt-port": { type: "int", default: 0, min: 0, max: 65535, help: "the simulator's MQTT broker's port on 127.0.0.1 (0 = any free port)" },
    "no-broker": { type: "flag", help: "no MQTT broker: the firmware without the network (build/firmware.devs)" },
    wipe: { type: "flag", help: "start with an empty flash" },
    http: { type: "int", min: 0, max: 65535, help: `the page's port (default ${DEFAULT_HTTP}, another if it is taken; 0 = any free port)` },
    port: { type: "int", default: DEFAULT_TCP, min: 0, max: 65535, help: "the bus served on TCP for the companion CLI (0 = none)" },
    hub: { type: "flag", help: "attach the board to a running DeviceScript devtools hub instead (npm run watch)" },
    flash: { type: "string", default: "build/sim-flash.bin", help: "the flash file, shared with the terminal simulator" },
    echo: { type: "flag", help: "print the firmware console" },
    quiet: { type: "flag", help: "do not print the firmware console (the default)" },
} satisfies Record<string, OptionSpec>

function parseArgs(argv: string[]) {
    const o = commandLine("latchkey sim", "npm start", argv, OPTIONS)
    return { ...o, echo: o.echo && !o.quiet, tcp: o.port, flash: o.flash === "build/sim-flash.bin" ? DEFAULT_FLASH : resolve(o.flash), http: o.http as number | undefined }
}

async function main() {
    const args = parseArgs(process.argv.slice(2))
    const t0 = performance.now()
    const say = (s: string) => console.log(`latchkey sim: ${s}`)
    // before anything starts: a missing hub is a plain message, not a half-started simulator
    if (args.hub) await probeHub()
    const withBroker = !args["no-broker"]
    const overrides = [...(args.fast ? [FAST_TIMING] : []), ...(withBroker ? [NETWORK] : [])]
    const profile = overrides.length ? loadProfile(overrides) : loadProfile()
    const firmware = withBroker ? (args.fast ? "firmware-net" : "firmware-ship-net") : args.fast ? "firmware-fast" : "firmware"
    let broker: SimBroker | undefined
    if (withBroker) {
        try {
            broker = await startBroker({ port: args["mqtt-port"] })
        } catch (e) {
            const taken = (e as NodeJS.ErrnoException).code === "EADDRINUSE"
            console.error(
                `latchkey sim: the MQTT broker could not start on 127.0.0.1:${args["mqtt-port"]}: ${taken ? "the port is in use" : (e as Error).message}. ` +
                    "Pick another (npm start -- --mqtt-port N; 0 = any free port) or run without one (npm start -- --no-broker)",
            )
            process.exit(1)
        }
    }
    const sim = new WebSimulator({ profile, firmware, flashFile: args.flash, wipe: args.wipe, echo: args.echo, broker })
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
    say(`(the token in it is new each run and the page's only way in: other web pages are refused)`)
    if (broker) say(`MQTT broker ${broker.url}   (aedes, in this process: anonymous, 127.0.0.1 only; the page takes it down and up)`)
    else say("no MQTT broker (--no-broker): the firmware runs without the network")
    /** Where the companion CLI reaches the bus (enrol goes nowhere else), if anywhere. */
    let busPort: number | undefined
    if (args.hub) {
        await attachToHub(sim.board.bus)
        busPort = HUB_TCP_PORT
        say(`attached to the DeviceScript hub on tcp ${HUB_TCP_PORT}: its dashboard, VS Code and the companion CLI see this board`)
    } else if (args.tcp > 0) {
        try {
            const hub = await serveBusOverTcp(sim.board.bus, args.tcp)
            busPort = hub.port
            say(`companion CLI: \`npm run latchkey -- status\` (bus served on tcp 127.0.0.1:${hub.port})`)
        } catch (e) {
            say(`no TCP hub for the companion CLI: ${(e as Error).message}; try --port N, or --hub to join a devtools hub`)
        }
    }
    await sim.ready()
    say(`firmware running (${Math.round(performance.now() - t0)} ms after start)`)
    if (broker) {
        const lockId = sim.netStatus().lockId
        const enrol = busPort === undefined ? undefined : `npm run latchkey -- ${busPort === DEFAULT_TCP ? "" : `--tcp 127.0.0.1:${busPort} `}enrol`
        say(
            `companion over MQTT${lockId ? ` (lock ${lockId})` : ""}: enrol once over the bus ` +
                (enrol ? `(press PROG on the page, then within 30 s \`${enrol}\`), then` : "(it is not served here: --port 0), then"),
        )
        say(`  ${companionCommand(broker.url)}`)
    }
    const quit = async () => {
        await sim.stop()
        await broker?.stop()
        process.exit(0)
    }
    process.on("SIGINT", quit)
    process.on("SIGTERM", quit)
}

main().catch(e => {
    console.error(`latchkey sim: ${(e as Error).message}`)
    process.exit(1)
})
