/**
 * `npm run sim:terminal`: the lock in a terminal. Runs the firmware bytecode in the DeviceScript VM with
 * simulated Jacdac hardware and lets you use the keypad from your keyboard.
 *
 *   0-9 * #   keypad keys                     L   long press of # (lock now while open)
 *   p         press the inside program button  r   power cut, then power on (flash kept)
 *   w         wipe the flash, then power on    q   quit (also Ctrl-C)
 *   c         set the lock's clock to this computer's local time (--fast: the test firmware only)
 *
 * Options: --fast (short test timings), --wipe (start with empty flash), --quiet (hide VM log),
 * --port N (the TCP hub for the companion CLI; default 8082, 0 = none).
 * The flash is kept in build/sim-flash.bin between runs, like a real lock's.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { loadProfile } from "../host/profile-io"
import { SimulatedBoard, sleep } from "./board"
import { ROOT } from "../host/paths"
import { serveBusOverTcp } from "./hub"
import { commandLine, type OptionSpec } from "../host/options"

const KEYS_HELP = `keys: 0-9 * # (keypad), L (long #), p (program button; P holds it past the reset time: factory reset), r (power cut),
      w (wipe flash), c (set the clock; --fast only), q (quit)`

const OPTIONS = {
    fast: { type: "flag", help: "short test timings (build/firmware-fast.devs)" },
    wipe: { type: "flag", help: "start with an empty flash" },
    quiet: { type: "flag", help: "hide the VM's own log lines" },
    port: { type: "int", default: 8082, min: 0, max: 65535, help: "the TCP hub for the companion CLI (0 = none)" },
} satisfies Record<string, OptionSpec>

function parseArgs(argv: string[]) {
    if (argv.includes("--help") || argv.includes("-h")) console.log(KEYS_HELP)
    return commandLine("latchkey sim", "npm run sim:terminal", argv, OPTIONS)
}

const FLASH_FILE = join(ROOT, "build", "sim-flash.bin")

async function main() {
    const args = parseArgs(process.argv.slice(2))
    const profile = args.fast ? loadProfile(join(ROOT, "test", "fixtures", "fast-timing.json")) : loadProfile()
    const board = new SimulatedBoard({ profile, firmware: args.fast ? "firmware-fast" : "firmware" })
    if (!args.wipe && existsSync(FLASH_FILE)) board.flash.image = new Uint8Array(readFileSync(FLASH_FILE))
    // the flash file is shared with npm start, which may have left another image's program in it
    board.redeployIfStale()
    board.flash.onSave = () => writeFileSync(FLASH_FILE, board.flash.image)
    const keepSaving = () => (board.flash.onSave = () => writeFileSync(FLASH_FILE, board.flash.image))

    const say = (s: string) => console.log(`[sim] ${s}`)
    let lastAngle = NaN
    board.latch.angle.on("change", () => {
        const a = board.latchAngle()
        if (a !== lastAngle) say(`latch ${board.isUnlocked() ? "OPEN" : board.isLocked() ? "LOCKED" : "moving"} (${a}°)`)
        lastAngle = a
    })
    let heard = 0
    setInterval(() => {
        for (; heard < board.heard.length; heard++) if (board.heard[heard].sound !== "key") say(`buzzer: ${board.heard[heard].sound}`)
    }, 50)
    const echo = (line: string) => {
        if (line.startsWith("> ")) say(`firmware: ${line.slice(2)}`)
        else if (!args.quiet && !/^flash sync/.test(line)) console.log(`       ${line}`)
    }
    const logged = { n: 0 }
    setInterval(() => {
        for (; logged.n < board.logs.length; logged.n++) echo(board.logs[logged.n])
    }, 20)

    say(`${profile.name}: firmware ${args.fast ? "firmware-fast" : "firmware"} on the DeviceScript VM, ${args.wipe ? "empty flash" : "flash from " + FLASH_FILE}`)
    await board.powerOn()
    if (args.port > 0) {
        try {
            const hub = await serveBusOverTcp(board.bus, args.port)
            say(`companion CLI: \`npm run latchkey -- status\` (bus served on tcp 127.0.0.1:${hub.port})`)
        } catch (e) {
            say(`no TCP hub for the companion CLI: ${(e as Error).message}; try --port N`)
        }
    }
    say(KEYS_HELP)

    let busy = Promise.resolve()
    const act = (f: () => Promise<void>) => (busy = busy.then(f).catch(e => say(`error: ${(e as Error).message}`)))
    // runs as the last queued action, after every key typed before it
    const quit = async () => {
        await board.dispose()
        process.exit(0)
    }
    const onChar = (ch: string) => {
        if (ch === "\u0003" || ch === "q") return void act(quit)
        if ("0123456789*#".includes(ch)) return void act(() => board.press(ch))
        if (ch === "L") return void act(() => board.press("#", profile.timing.longPressMs + 200))
        if (ch === "p") return void act(() => board.pressProgramButton())
        if (ch === "P") return void act(() => board.pressProgramButton(profile.timing.resetHoldSeconds * 1000 + 2000))
        if (ch === "c")
            return void act(async () => {
                if (!args.fast) return say("the shipping firmware has no clock input yet: use --fast (the test firmware)")
                const d = new Date()
                const two = (n: number) => String(n).padStart(2, "0")
                const wall = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
                await board.setClock(wall)
            })
        if (ch === "r")
            return void act(async () => {
                say("power cut")
                await board.restart()
            })
        if (ch === "w")
            return void act(async () => {
                say("wiping flash")
                board.powerCut()
                await board.wipeFlash()
                writeFileSync(FLASH_FILE, new Uint8Array(0))
                keepSaving()
                await board.powerOn()
            })
        if (ch.trim()) say(`no key "${ch}" (${KEYS_HELP})`)
    }
    if (process.stdin.isTTY) process.stdin.setRawMode(true)
    process.stdin.setEncoding("utf8")
    process.stdin.on("data", (chunk: string) => {
        for (const ch of chunk) onChar(ch)
    })
    process.stdin.on("end", () => {
        // scripted input (a pipe): let the last keys play out, then stop
        act(() => sleep(1500))
        act(quit)
    })
}

main().catch(e => {
    console.error(`latchkey sim: ${(e as Error).message}`)
    process.exit(1)
})
