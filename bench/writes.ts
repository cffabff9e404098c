/**
 * settings_writes: the settings writes the real firmware makes per key
 * press, per wrong code, per unlock by code and per companion unlock (each unlock with its
 * auto-relock, each operation followed by idle time, as operations minutes apart are), counted in the flash image of the in-process VM: every write DeviceScript's
 * store keeps appends one 24-byte entry (sim/fstor.ts reads them), and a power cut can only tear
 * a write. Grouped by what was written (failure counter, audit log, meta, companion records,
 * users, boot marker). Each operation is repeated --rounds times, the lock left idle after each
 * long enough for its batched audit entries to reach flash, and the count divided; a round during
 * which the store collected its garbage (its entries start again) is run again.
 *
 *   npm run bench:writes -- [--rounds N]
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { command, enrol, KeyStore } from "../companion/protocol"
import { LatchkeyClient } from "../host/lock-client"
import { fstorEntries, readFstor } from "../sim/fstor"
import { attempt, MASTER, newBoard, setUpMaster, sleep, type SimulatedBoard } from "./lib/board"
import { runBench } from "./lib/cli"
import { round } from "./lib/stats"
import { recordResult } from "./results"

/** Longer than the audit's batching (5 s idle) and the fast profile's relock and entry timeouts (1.5 s). */
const SETTLE_MS = 6500
const WRONG = "2580"
/** The fast profile's free failures before a lockout (test/fixtures/fast-timing.json). */
const FREE_FAILURES = 5

type Counts = { [group: string]: { writes: number; bytes: number } }

function groupOf(key: string): string {
    if (/^\$lk\.c\d$/.test(key)) return "counter"
    if (/^\$lk\.a\d+$/.test(key)) return "audit"
    if (key === "$lk.meta") return "meta"
    if (/^\$lk\.p(\d+|last)$/.test(key)) return "companion"
    if (/^\$lk\.[un]\d+$/.test(key)) return "users"
    if (key === "$lk.boot") return "boot marker"
    return key
}

function snapshot(b: SimulatedBoard) {
    return { generation: readFstor(b.flash.image).generation, entries: fstorEntries(b.flash.image).entries.length }
}

/** Runs `op` `rounds` times, lets the lock settle, and counts the writes per operation (per `unit`). */
async function measure(b: SimulatedBoard, rounds: number, unit: number, op: () => Promise<void>): Promise<Counts & { total: { writes: number; bytes: number } }> {
    for (let tries = 0; ; tries++) {
        await sleep(SETTLE_MS)
        const before = snapshot(b)
        // each operation alone, the lock idle after it (as unlocks minutes apart are): batched entries are not shared
        for (let i = 0; i < rounds; i++) {
            await op()
            await sleep(SETTLE_MS)
        }
        const after = snapshot(b)
        if (after.generation !== before.generation) {
            if (tries >= 2) throw new Error("the store collected its garbage during every try")
            continue
        }
        const counts: Counts = {}
        let writes = 0
        let bytes = 0
        for (const e of fstorEntries(b.flash.image).entries.slice(before.entries)) {
            const g = groupOf(e.key)
            const c = (counts[g] ??= { writes: 0, bytes: 0 })
            const size = 24 + Math.ceil(e.size / 8) * 8
            c.writes++
            c.bytes += size
            writes++
            bytes += size
        }
        const per = (n: number) => round(n / (rounds * unit), 2)
        const out: Counts = {}
        for (const [g, c] of Object.entries(counts)) out[g] = { writes: per(c.writes), bytes: per(c.bytes) }
        return { ...out, total: { writes: per(writes), bytes: per(bytes) } }
    }
}

runBench("bench:writes", { rounds: { type: "int", default: 10, min: 1, max: 200, help: "repetitions of each operation" } }, async o => {
    const b = newBoard("firmware-fast")
    await b.powerOn()
    await setUpMaster(b)
    const client = new LatchkeyClient(b.bus)
    const store = new KeyStore(join(mkdtempSync(join(tmpdir(), "latchkey-bench-")), "keys.json"))
    await b.pressProgramButton()
    await enrol(client, store)
    const relocked = () => b.waitUntil(() => b.isLocked(), "the latch relocked", 5000)

    // four digits, no '#': the entry times out (1.5 s in the fast profile)
    const keys = await measure(b, o.rounds, 4, async () => {
        await b.type("1234")
        await sleep(2000)
    })
    const unlock = await measure(b, o.rounds, 1, async () => {
        await attempt(b, MASTER)
        await sleep(300)
        await relocked()
    })
    // wrong codes alone, each followed by idle time; at most FREE - 1 in a row (the lockout never
    // starts), then the right code clears the counter outside the count
    const wrongRounds = Math.min(o.rounds, FREE_FAILURES - 1)
    const wrong = await measure(b, wrongRounds, 1, async () => {
        await attempt(b, WRONG)
    })
    await attempt(b, MASTER)
    await relocked()
    const remote = await measure(b, o.rounds, 1, async () => {
        await command(client, store, "unlock")
        await sleep(300)
        await relocked()
        // under the companion channel's pace (one command per 500 ms after its burst)
        await sleep(600)
    })
    const result = {
        per_key_press: keys,
        per_wrong_code: wrong,
        per_unlock_by_code: unlock,
        per_companion_unlock: remote,
        rounds: o.rounds,
        wrong_code_rounds: wrongRounds,
        note: "settings writes (entries DeviceScript's store appends; bytes = 24-byte entry + value rounded up to 8) per operation, each followed by idle time until the batched audit entries reached flash (operations minutes apart); unlocks include their auto-relock; wrong codes at most 4 in a row (no lockout), the counter then cleared outside the count",
        firmware: "build/firmware-fast.devs (same code as firmware.devs, short timeouts)",
    }
    recordResult("settings_writes", result)
    console.log(`settings writes per operation (${o.rounds} rounds each), real firmware in the in-process VM:`)
    for (const [k, v] of Object.entries(result)) if (typeof v === "object") console.log(`  ${k.padEnd(22)} ${JSON.stringify(v)}`)
    await b.dispose()
    process.exit(0)
})
