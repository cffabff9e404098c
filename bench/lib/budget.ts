/** What the firmware costs the board: bytecode size from `devs build --stats`, GC heap probed in the VM. Used by `npm run budget` and its test. */
import { execFileSync } from "node:child_process"
import { statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { SettingsClient, SRV_SETTINGS } from "jacdac-ts"
import { SimulatedBoard, sleep } from "../../sim/board"
import { fstorValue } from "../../sim/fstor"
import { provision, ProvisionedUser } from "../../sim/provision"
import { devsBin } from "../../host/devtools"
import { ROOT } from "../../host/paths"
import { loadProfile } from "../../host/profile-io"

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
