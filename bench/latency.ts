/**
 * latency_ms: key-to-latch latency, from the moment the keypad reports the final '#' of a right
 * code to the moment the firmware's command puts the latch servo at the unlocked angle. Real
 * shipping firmware bytecode (build/firmware.devs) in the in-process DeviceScript VM, jacdac-ts
 * keypad and servo. Every write of the unlocked angle to the servo counts (jacdac-ts
 * REPORT_RECEIVE), so the lock need not be relocked between unlocks: a right code typed while open
 * runs the same path (count, HMAC, scan, latch). Every 50th unlock starts from a locked latch
 * (long-press relock first) and is reported apart as well.
 *
 * Pace: the code is typed at 10 keys a second (40 ms held, 60 ms between), already faster than
 * people type on a keypad. A further 100 unlocks typed at 16.7 keys a second are reported apart
 * (`rapid`): the lock handles its events one at a time, and at that pace a '#' can arrive while
 * the previous unlock's flash writes (the counter cleared, the audit entry, each read back) are
 * still queued. A 400 ms pause after each unlock, keys still at 16.7 a second, took the rapid
 * p50 from 10.3 to 2.5 ms (80 unlocks each, --rapid-pause-ms 0 and 400): it is that work, not the keys.
 *
 *   npm run bench:latency -- [--unlocks N] [--key-ms MS] [--gap-ms MS] [--rapid-unlocks N] [--rapid-pause-ms MS]
 *
 * Users: 250 (the master code, and 249 named users provisioned on flash); the code typed is the
 * master's, and every verification scans all 250 slots whatever the code.
 */
import { join } from "node:path"
import { loadProfile } from "../host/profile-io"
import { SimulatedBoard } from "../sim/board"
import { ROOT } from "../host/paths"
import { runBench } from "./lib/cli"
import { timeKeyToLatch } from "./lib/key-to-latch"
import { percentile, round } from "./lib/stats"
import { histogram, writeSvg } from "./lib/svg"
import { recordResult } from "./results"
import { provision, ProvisionedUser } from "../sim/provision"

const MASTER = "4719"
const GOAL_P99_MS = 20
const RELOCK_EVERY = 50

/**
 * The users of the latency run: the master code set up at the keypad (which also makes the device
 * key), then 249 more named users and a full audit ring written into the flash in the store's own
 * formats (sim/provision.ts), and the firmware booted again holding all 250.
 */
async function enrolUsers(board: SimulatedBoard): Promise<number> {
    await board.setUpMaster(MASTER)
    board.powerCut()
    const users: ProvisionedUser[] = [{ slot: 1, code: MASTER, name: "owner" }]
    for (let s = 2; s <= 250; s++) users.push({ slot: s, code: String(10000000 + s * 7919).slice(-8), name: `guest ${s}` })
    provision(board.flash.image, { users, auditEntries: 540 })
    const at = board.logs.length
    await board.powerOn()
    await board.waitForLog(/boot: 250 user\(s\)/, 15000, at)
    return 250
}

export { percentile }

/** Times `count` unlocks typed at the given pace: all samples, and those that started locked. */
async function timeUnlocks(board: SimulatedBoard, longPressMs: number, count: number, keyMs: number, gapMs: number, label: string, pauseMs = 0) {
    const startedLocked: boolean[] = []
    const samples = await timeKeyToLatch(board, MASTER, count, {
        keyMs,
        gapMs,
        pauseMs,
        before: async i => {
            if (i % RELOCK_EVERY === 0 && board.isUnlocked()) {
                await board.press("#", longPressMs + 150)
                await board.waitUntil(() => board.isLocked(), "the latch to lock", 5000)
            }
            startedLocked[i] = board.isLocked()
        },
        after: i => {
            if ((i + 1) % 100 === 0) process.stderr.write(`latency (${label}): ${i + 1}/${count}\n`)
        },
    })
    return { samples, fromLocked: samples.filter((_, i) => startedLocked[i]) }
}

runBench("bench:latency", {
    unlocks: { type: "int", default: 500, min: 1, max: 100000, help: "unlocks to time, typed at the pace below" },
    "key-ms": { type: "int", default: 40, min: 1, max: 500, help: "how long each code key is held" },
    "gap-ms": { type: "int", default: 60, min: 0, max: 500, help: "pause after each code key (40 + 60: 10 keys a second)" },
    "rapid-unlocks": { type: "int", default: 100, min: 0, max: 100000, help: "more unlocks typed at 30 + 30 ms a key, reported apart" },
    "rapid-pause-ms": { type: "int", default: 0, min: 0, max: 5000, help: "a pause after each rapid unlock (400 shows what the tail waits for)" },
}, async o => {
    const started = Date.now()
    const profile = loadProfile()
    const board = new SimulatedBoard({ profile, firmware: "firmware", echo: !!process.env.LATCHKEY_ECHO })
    await board.powerOn()
    const users = await enrolUsers(board)
    const { samples, fromLocked } = await timeUnlocks(board, profile.timing.longPressMs, o.unlocks, o["key-ms"], o["gap-ms"], "paced")
    const rapid = o["rapid-unlocks"] ? (await timeUnlocks(board, profile.timing.longPressMs, o["rapid-unlocks"], 30, 30, "rapid", o["rapid-pause-ms"])).samples : []
    await board.dispose()
    const rapidSorted = [...rapid].sort((a, b) => a - b)

    const sorted = [...samples].sort((a, b) => a - b)
    const fl = [...fromLocked].sort((a, b) => a - b)
    const result = {
        p50: round(percentile(sorted, 50), 1),
        p99: round(percentile(sorted, 99), 1),
        users,
        unlocks: o.unlocks,
        max: round(sorted[sorted.length - 1], 1),
        min: round(sorted[0], 1),
        mean: round(samples.reduce((s, x) => s + x, 0) / samples.length, 2),
        from_locked: { unlocks: fl.length, p50: round(percentile(fl, 50), 1), max: round(fl[fl.length - 1], 1) },
        pace: { key_ms: o["key-ms"], gap_ms: o["gap-ms"], keys_per_s: round(1000 / (o["key-ms"] + o["gap-ms"]), 1) },
        rapid: rapid.length
            ? {
                  unlocks: rapid.length,
                  pace: { key_ms: 30, gap_ms: 30, keys_per_s: round(1000 / 60, 1) },
                  pause_after_unlock_ms: o["rapid-pause-ms"],
                  p50: round(percentile(rapidSorted, 50), 1),
                  p99: round(percentile(rapidSorted, 99), 1),
                  max: round(rapidSorted[rapidSorted.length - 1], 1),
                  note: "codes typed faster than people type: a '#' can wait in the lock's event queue behind the previous unlock's flash writes (counter cleared, audit entry, each read back)",
              }
            : null,
        goal: `p99 <= ${GOAL_P99_MS} ms with 250 users`,
        goal_met: false,
        goal_note:
            users >= 250
                ? ""
                : `measured with ${users} user: the current store cannot hold 250 (its single settings value for all digests aborts the VM at boot past 3 digests); p99 ${percentile(sorted, 99) <= GOAL_P99_MS ? "meets" : "misses"} ${GOAL_P99_MS} ms for ${users} user`,
        firmware: "build/firmware.devs",
        measured: "keypad '#' Down event sent -> servo angle register written with the unlocked angle; codes typed at `pace`",
        chart: "bench/latency.svg",
        seconds: round((Date.now() - started) / 1000, 1),
    }
    result.goal_met = users >= 250 && result.p99 <= GOAL_P99_MS
    writeSvg(
        join(ROOT, "bench", "latency.svg"),
        histogram(`Key-to-latch latency, ${o.unlocks} unlocks, ${users} user(s)`, "ms from the '#' key event to the servo command", samples, 40, [
            { at: result.p50, label: `p50 ${result.p50} ms`, color: "#2ca02c" },
            { at: result.p99, label: `p99 ${result.p99} ms`, color: "#ff7f0e" },
            { at: GOAL_P99_MS, label: `goal p99 <= ${GOAL_P99_MS} ms`, color: "#d62728" },
        ], "shipping firmware in the in-process DeviceScript VM; jacdac-ts keypad and servo; machine shared with other work"),
    )
    console.log(`latency: ${o.unlocks} unlocks at ${result.pace.keys_per_s} keys/s, ${users} user(s): p50 ${result.p50} ms, p99 ${result.p99} ms, worst ${result.max} ms (from locked: p50 ${result.from_locked.p50} ms over ${fl.length}); chart bench/latency.svg`)
    if (result.rapid) console.log(`latency: ${result.rapid.unlocks} more unlocks at ${result.rapid.pace.keys_per_s} keys/s: p50 ${result.rapid.p50} ms, p99 ${result.rapid.p99} ms, worst ${result.rapid.max} ms`)
    recordResult("latency_ms", result)
})
