/**
 * `npm run sim:terminal`: the lock in a terminal. Runs the firmware bytecode in the DeviceScript VM with
 * simulated Jacdac hardware and lets you use the keypad from your keyboard.
 *
 *   0-9 * #   keypad keys                     L   long press of # (lock now while open)
 *   p         press the inside program button  r   power cut, then power on (flash kept)
 *   w         wipe the flash, then power on    q   quit (also Ctrl-C)
 *
 * Options: --fast (short test timings), --wipe (start with empty flash), --quiet (hide VM log),
 * --port N (the TCP hub for the companion CLI; default 8082, 0 = none).
 * The flash is kept in build/sim-flash.bin between runs, like a real lock's.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { loadProfile } from "../scripts/profile-io"
import { SimulatedBoard, sleep } from "./board"
import { ROOT } from "./paths"
import { serveBusOverTcp } from "./hub"

const USAGE = `usage: npm run sim:terminal -- [--fast] [--wipe] [--quiet] [--port N]
keys: 0-9 * # (keypad), L (long #), p (program button), r (power cut), w (wipe flash), q (quit)`

interface Args {
    fast: boolean
    wipe: boolean
    quiet: boolean
    port: number
}

function parseArgs(argv: string[]): Args {
    const a: Args = { fast: false, wipe: false, quiet: false, port: 8082 }
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i]
        if (arg === "--fast") a.fast = true
        else if (arg === "--port" && /^\d{1,5}$/.test(argv[i + 1] ?? "") && Number(argv[i + 1]) <= 65535) a.port = Number(argv[++i])
        else if (arg === "--wipe") a.wipe = true
        else if (arg === "--quiet") a.quiet = true
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

const FLASH_FILE = join(ROOT, "build", "sim-flash.bin")

async function main() {
    const args = parseArgs(process.argv.slice(2))
    const profile = args.fast ? loadProfile(join(ROOT, "test", "fixtures", "fast-timing.json")) : loadProfile()
    const board = new SimulatedBoard({ profile, firmware: args.fast ? "firmware-fast" : "firmware" })
    if (!args.wipe && existsSync(FLASH_FILE)) board.flash.image = new Uint8Array(readFileSync(FLASH_FILE))
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
    say(USAGE.split("\n")[1])

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
        if (ch === "r")
            return void act(async () => {
                say("power cut")
                await board.restart()
            })
        if (ch === "w")
            return void act(async () => {
                say("wiping flash")
                board.powerCut()
                board.wipeFlash()
                writeFileSync(FLASH_FILE, new Uint8Array(0))
                keepSaving()
                await board.powerOn()
            })
        if (ch.trim()) say(`no key "${ch}" (${USAGE.split("\n")[1]})`)
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
