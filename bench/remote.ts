/**
 * remote_ms: the companion's round trip, in the in-process VM running the shipping firmware
 * (build/firmware.devs), over the Jacdac bus, with the real companion code (what the CLI runs):
 * one command = ask a nonce, seal, send, open the sealed answer. Measured for unlock (and, apart,
 * until the latch servo reaches the unlocked angle), lock, a page of the user list, and a whole
 * audit read (23 commands: the chain key and 22 segments, then the chain checked in Node).
 *
 * Paced below the lock's flood limit (24 commands at once, then one per 500 ms), so what is timed
 * is the round trip and not the limit's Busy answers.
 *
 *   npm run bench:remote -- [--commands N]
 */
import { performance } from "node:perf_hooks"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { REPORT_RECEIVE } from "jacdac-ts"
import { readAudit } from "../companion/admin"
import { command, enrol, KeyStore, request } from "../companion/protocol"
import { LatchkeyClient } from "../host/lock-client"
import { newBoard, setUpMaster } from "./lib/board"
import { runBench } from "./lib/cli"
import { percentile, round } from "./lib/stats"
import { recordResult } from "./results"

/** Three commands per round, one per 500 ms allowed once the burst is spent. */
const PACE_MS = 1600
/** Time for the lock's burst of 24 companion commands to refill. */
const REFILL_MS = 12500
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

function summary(xs: number[]) {
    const s = [...xs].sort((a, b) => a - b)
    return { n: s.length, p50: round(percentile(s, 50)), p99: round(percentile(s, 99)), max: round(s[s.length - 1]) }
}

runBench(
    "bench:remote",
    { commands: { type: "int", default: 50, min: 1, max: 10000, help: "unlock/lock/user-list rounds to time" } },
    async o => {
        const board = newBoard("firmware")
        await board.powerOn()
        await setUpMaster(board)
        const client = new LatchkeyClient(board.bus)
        const store = new KeyStore(join(mkdtempSync(join(tmpdir(), "latchkey-bench-")), "keys.json"))
        await board.pressProgramButton()
        await enrol(client, store)

        let opened = 0
        board.latch.angle.on(REPORT_RECEIVE, () => {
            if (board.isUnlocked() && opened === 0) opened = performance.now()
        })
        const unlock: number[] = []
        const toLatch: number[] = []
        const lock: number[] = []
        const list: number[] = []
        for (let i = 0; i < o.commands; i++) {
            opened = 0
            let t = performance.now()
            await command(client, store, "unlock")
            unlock.push(performance.now() - t)
            await board.waitUntil(() => opened > 0, "the latch open")
            toLatch.push(opened - t)
            t = performance.now()
            await command(client, store, "lock")
            lock.push(performance.now() - t)
            await board.waitUntil(() => board.isLocked(), "the latch locked")
            t = performance.now()
            await request(client, store, "user-list", [1])
            list.push(performance.now() - t)
            // the lock checks one companion command per 500 ms after a burst: stay under that rate,
            // so what is timed is the round trip, not the flood limit
            await sleep(PACE_MS)
        }
        const audits: number[] = []
        let entries = 0
        for (let i = 0; i < 3; i++) {
            // a whole audit read is 23 commands: let the lock's burst allowance refill first
            await sleep(REFILL_MS)
            const t = performance.now()
            const log = await readAudit(client, store)
            audits.push(performance.now() - t)
            if (!log.intact) throw new Error(`audit chain broken at ${log.brokenAt}`)
            entries = log.entries.length
        }
        const result = {
            unlock: summary(unlock),
            unlock_to_latch: summary(toLatch),
            lock: summary(lock),
            user_list_page: summary(list),
            audit_read: { ...summary(audits), entries },
            firmware: "build/firmware.devs",
            pacing: `one round (unlock, lock, a user page) every ${PACE_MS} ms or more; ${REFILL_MS} ms pause before each audit read (the lock's flood limit: 24 commands at once, then one per 500 ms)`,
        }
        recordResult("remote_ms", result)
        console.log(`remote round trip (ms), ${o.commands} of each, shipping firmware in the in-process VM:`)
        for (const [k, v] of Object.entries(result)) if (typeof v === "object") console.log(`  ${k.padEnd(16)} ${JSON.stringify(v)}`)
        await board.dispose()
        process.exit(0)
    },
)
