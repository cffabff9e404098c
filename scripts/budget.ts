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
import { execFileSync } from "node:child_process"
import { statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { SettingsClient, SRV_SETTINGS } from "jacdac-ts"
import { SimulatedBoard, sleep } from "../sim/board"
import { fstorValue } from "../sim/fstor"
import { provision, ProvisionedUser } from "../sim/provision"
import { devsBin } from "../sim/hil-hub"
import { ROOT } from "../sim/paths"
import { commandLine, type OptionSpec } from "../sim/options"
import { loadProfile } from "./profile-io"

export const DEVICE_HEAP = 64 * 1024
const CHUNK = 0xe000
/** Per-allocation header the GC adds to each filler buffer (block header + length word), bytes. */
const BLOCK_OVERHEAD = 8

export interface HeapProbe {
    users: number
    /** Live bytes of the firmware (and the held digests) after a collection. */
    usedBytes: number
    /** The VM's whole GC heap (used + free at the probe). */
    heapBytes: number
    objects: number
}

export interface Bytecode {
    bytes: number
    statsLine: string
    largest: string[]
}

export function bytecodeStats(): Bytecode {
    const out = execFileSync(devsBin(), ["build", "src/main.ts", "--stats"], { cwd: ROOT, encoding: "utf8" }).replace(/\x1b\[[0-9;]*m/g, "")
    const lines = out.split("\n").map(l => l.trim())
    const statsLine = lines.find(l => /^bytecode: /.test(l)) ?? "(no size line)"
    const header = lines.find(l => /^header: /.test(l)) ?? ""
    const fns = lines.filter(l => /^\S.* \([\d.]+k?b\)$/.test(l))
    return {
        bytes: statSync(join(ROOT, "build", "firmware.devs")).size,
        statsLine: [statsLine, header].filter(Boolean).join("; "),
        largest: fns.slice(-8).reverse(),
    }
}

/**
 * Boots build/budget.devs in the in-process VM with `users` extra digests held; returns the heap
 * it reports. With `fullLock`, the flash first gets 250 named users and a full audit ring (the
 * device key the firmware made at a first boot, then the store's formats, sim/provision.ts), so
 * the firmware boots holding them as it holds any store.
 */
export async function probeHeap(users: number, opts: { fullLock?: boolean } = {}): Promise<HeapProbe> {
    const board = new SimulatedBoard({ profile: loadProfile(), firmware: "budget" })
    try {
        await board.powerOn()
        if (opts.fullLock) {
            const end = Date.now() + 15000
            while (!fstorValue(board.flash.image, "$lk.key")) {
                if (Date.now() > end) throw new Error("budget: the firmware saved no device key within 15 s")
                await sleep(50)
            }
            board.powerCut()
            const full: ProvisionedUser[] = [{ slot: 1, code: "47190000", name: "owner" }]
            for (let s = 2; s <= 250; s++) full.push({ slot: s, code: String(10000000 + s * 7919).slice(-8), name: `guest ${s}` })
            provision(board.flash.image, { users: full, auditEntries: 540 })
            const mark = board.logs.length
            await board.powerOn()
            await board.waitForLog(/boot: 250 user\(s\)/, 15000, mark)
        }
        const settings = board.bus.services({ serviceClass: SRV_SETTINGS }).find(s => s.device.deviceId === board.device.deviceId)
        if (!settings) throw new Error("budget: the VM's settings service did not show up")
        await new SettingsClient(settings).setStringValue("bdg.users", String(users))
        const line = await board.waitForLog(/stats: \d+ objects, \d+ B used, \d+ B free/, 60000)
        const [, objects, used, free] = /stats: (\d+) objects, (\d+) B used, (\d+) B free/.exec(line)!.map(Number)
        const fillers = board.logs.filter(l => /budget: filler \d+ x/.test(l)).length
        return { users, objects, usedBytes: used - fillers * (CHUNK + BLOCK_OVERHEAD), heapBytes: used + free }
    } finally {
        await board.dispose()
    }
}

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
