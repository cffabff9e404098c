/**
 * Key-to-latch latency: from the moment the keypad reports the final '#' of a right code to the
 * moment the firmware's command puts the latch servo at the unlocked angle. Real shipping
 * firmware bytecode in the in-process DeviceScript VM, jacdac-ts keypad and servo.
 *
 *   npm run bench:latency -- [--unlocks N]        (default 60)
 *
 * Prints the median, p99 and worst, and records them under "latency_ms" in bench/results.json.
 */
import { performance } from "node:perf_hooks"
import { loadProfile } from "../scripts/profile-io"
import { SimulatedBoard, sleep } from "../sim/board"
import { recordResult } from "./results"

const MASTER = "4719"

function parseArgs(argv: string[]): { unlocks: number } {
    let unlocks = 60
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--unlocks" && /^\d+$/.test(argv[i + 1] ?? "")) unlocks = Number(argv[++i])
        else {
            console.error(`latency: unknown argument "${argv[i]}" (usage: latency [--unlocks N])`)
            process.exit(2)
        }
    }
    if (unlocks < 1) {
        console.error("latency: --unlocks must be at least 1")
        process.exit(2)
    }
    return { unlocks }
}

export function percentile(sorted: number[], p: number): number {
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
    return sorted[i]
}

async function main() {
    const { unlocks } = parseArgs(process.argv.slice(2))
    const profile = loadProfile()
    const board = new SimulatedBoard({ profile, firmware: "firmware" })
    await board.powerOn()
    await board.pressProgramButton()
    await board.waitForLog(/setup: enter new code/, 3000, 0)
    await board.type(MASTER + "#")
    await board.waitForLog(/enter the same code again/, 3000, 0)
    await board.type(MASTER + "#")
    await board.waitForLog(/setup: code saved/, 3000, 0)

    const samples: number[] = []
    let opened = 0
    board.latch.angle.on("change", () => {
        if (board.isUnlocked()) opened = performance.now()
    })
    for (let i = 0; i < unlocks; i++) {
        await board.type(MASTER)
        opened = 0
        const t0 = performance.now()
        await board.keyDown("#")
        await board.waitUntil(() => opened > 0, "the latch to open", 5000)
        samples.push(opened - t0)
        await board.keyUp("#")
        await sleep(50)
        await board.press("#", profile.timing.longPressMs + 150) // lock again at once
        await board.waitUntil(() => board.isLocked(), "the latch to lock", 5000)
        if ((i + 1) % 10 === 0) process.stderr.write(`latency: ${i + 1}/${unlocks}\n`)
    }
    await board.dispose()

    const sorted = [...samples].sort((a, b) => a - b)
    const r = (x: number) => Math.round(x * 10) / 10
    const result = {
        unlocks,
        users: 1,
        p50: r(percentile(sorted, 50)),
        p99: r(percentile(sorted, 99)),
        max: r(sorted[sorted.length - 1]),
        min: r(sorted[0]),
        firmware: "build/firmware.devs",
        measured: "keypad '#' Down event sent -> servo angle register at the unlocked angle",
    }
    console.log(`key-to-latch latency over ${unlocks} unlocks: median ${result.p50} ms, p99 ${result.p99} ms, worst ${result.max} ms, best ${result.min} ms`)
    recordResult("latency_ms", result)
    process.exit(0)
}

main().catch(e => {
    console.error(`latency: ${(e as Error).message}`)
    process.exit(1)
})
