/**
 * `npm run budget`: what the firmware costs the board.
 *   - bytecode: `devs build src/main.ts --stats` (the shipping profile), and build/firmware.devs
 *   - GC heap: the shipping firmware (board start-up + lock) running in the VM, (1) idle after a
 *     first boot, (2) booted on a full lock: 250 named users and a full audit ring written into its
 *     flash in the store's own formats (sim/provision.ts), loaded by the firmware as it loads any
 *     store, and (3) the older estimate: 250 separate 32-byte digests held on top of the idle
 *     firmware. The runtime's own out-of-memory report gives the live heap after a full
 *     collection (test/firmware/budget.devs.ts). The device heap is 64 KB (DeviceScript's JD_GC_KB).
 * Writes build/budget.json. Exit 1 when the full lock leaves less than a quarter of 64 KB free,
 * or the 250 separate digests less than an eighth.
 * Usage: tsx scripts/budget.ts [--users N] (default 250)
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { bytecodeStats, DEVICE_HEAP, probeHeap } from "../bench/lib/budget"
import { commandLine, type OptionSpec } from "../host/options"
import { ROOT } from "../host/paths"

const OPTIONS = {
    users: { type: "int", default: 250, min: 0, max: 1000, help: "separate 32-byte digests held for the older heap estimate" },
} satisfies Record<string, OptionSpec>

async function main() {
    // before anything is measured or written: a bad --users (missing, not a number) stops here, exit 2
    const { users } = commandLine("budget", "npm run budget", process.argv.slice(2), OPTIONS)
    const code = bytecodeStats()
    console.log(`budget: bytecode ${code.bytes} B (build/firmware.devs); devs build --stats: ${code.statsLine}`)
    console.log(`budget: largest functions: ${code.largest.join(", ")}`)
    const base = await probeHeap(0)
    const lock = await probeHeap(0, { fullLock: true })
    const full = await probeHeap(users)
    const pct = (n: number) => `${((100 * n) / DEVICE_HEAP).toFixed(0)}% of 64 KB`
    console.log(`budget: VM GC heap ${base.heapBytes} B (device: ${DEVICE_HEAP} B)`)
    console.log(`budget: heap in use, firmware idle after boot: ${base.usedBytes} B (${pct(base.usedBytes)}), ${base.objects} objects`)
    console.log(`budget: heap in use, a full lock (250 named users, full audit ring) loaded: ${lock.usedBytes} B (${pct(lock.usedBytes)}), ${lock.objects} objects`)
    console.log(`budget: heap in use, idle firmware plus ${users} separate 32-byte digests: ${full.usedBytes} B (${pct(full.usedBytes)}), ${full.objects} objects`)
    writeFileSync(
        join(ROOT, "build", "budget.json"),
        JSON.stringify({ bytecode: code, deviceHeapBytes: DEVICE_HEAP, idle: base, fullLock: lock, withUsers: full, measuredAt: new Date().toISOString() }, null, 2) + "\n",
    )
    let failed = false
    // the full lock must leave a quarter; the harsher separate-digests model an eighth
    for (const [what, p, part, share] of [["a full lock", lock, 4, "a quarter"], [`${users} separate digests`, full, 8, "an eighth"]] as const) {
        const spare = DEVICE_HEAP - p.usedBytes
        if (spare < DEVICE_HEAP / part) {
            console.error(`budget: only ${spare} B of the 64 KB heap left with ${what} (want at least ${share})`)
            failed = true
        } else console.log(`budget: ${spare} B (${pct(spare)}) of the device heap to spare with ${what}`)
    }
    process.exit(failed ? 1 : 0)
}

if (process.argv[1]?.endsWith("budget.ts")) void main()
