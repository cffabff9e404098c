/**
 * `npm run bench:verify`: how long the lock takes to check a typed code with all 250 user slots
 * occupied, and how much of the settings store a full lock uses.
 *
 *   1. In the VM, the pure core alone: HMAC-SHA256 of the code + the constant-time scan of all
 *      250 slots (bench/verify.devs.ts, built here with `devs build`; do not run it while another
 *      build runs: the DeviceScript CLI has one output folder).
 *   2. End to end on the shipping firmware (build/firmware.devs) in the in-process VM: a lock set
 *      up at the keypad, then given 249 more users (all 250 named) and a full audit log in its own
 *      flash formats (sim/provision.ts); from the keypad's '#' Down event to the servo at the
 *      unlocked angle (the code of slot 250), and to the failure tune (a wrong code). Both include
 *      the failure counter written to flash and read back before the check.
 *   3. The settings store of that full lock: bytes per kind of value, measured in the image.
 *
 *   npm run bench:verify -- [--samples N]      (default 40 of each)
 *
 * Prints a table and records "verify_250_users" and "flash_store" in bench/results.json.
 */
import { execFileSync } from "node:child_process"
import { copyFileSync } from "node:fs"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import { loadProfile } from "../host/profile-io"
import { SimulatedBoard, sleep } from "../sim/board"
import { readFstor } from "../sim/fstor"
import { ROOT } from "../host/paths"
import { provision } from "../sim/provision"
import { FLASH_BYTES, runProgram } from "../sim/vm"
import { commandLine, type OptionSpec } from "../host/options"
import { recordResult } from "./results"

function percentile(sorted: number[], p: number): number {
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
    return sorted[i]
}

const MASTER = "4719"
const codeOf = (slot: number) => String(10000000 + slot * 7919).slice(-8)

const OPTIONS = {
    samples: { type: "int", default: 40, min: 1, max: 100000, help: "right codes and wrong codes timed on the full lock (each)" },
} satisfies Record<string, OptionSpec>

/** Part 1: the core alone in the VM. */
async function coreInVm() {
    execFileSync(join(ROOT, "node_modules", ".bin", "devs"), ["build", "bench/verify.devs.ts", "--quiet"], { cwd: ROOT, stdio: "inherit" })
    copyFileSync(join(ROOT, ".devicescript", "bin", "bytecode.devs"), join(ROOT, "build", "bench-verify.devs"))
    const { lines } = await runProgram("bench-verify", /bench: done/, 60_000)
    const m = lines.map(l => /bench: rounds (\d+) base (\d+) hmac (\d+) verify (\d+)/.exec(l)).find(Boolean)
    if (!m) throw new Error(`the in-VM benchmark did not report:\n${lines.join("\n")}`)
    const [n, base, hmac, verify] = m.slice(1).map(Number)
    return { hmac_ms: (hmac - base) / n, scan_ms: (verify - hmac) / n, verify_ms: (verify - base) / n, rounds: n }
}

async function main() {
    const { samples } = commandLine("verify", "npm run bench:verify", process.argv.slice(2), OPTIONS)
    process.stderr.write("verify: core alone in the VM...\n")
    const core = await coreInVm()

    process.stderr.write("verify: full lock on the shipping firmware...\n")
    const profile = loadProfile()
    const board = new SimulatedBoard({ profile, firmware: "firmware" })
    await board.powerOn()
    await board.setUpMaster(MASTER)
    board.powerCut()
    const users = [{ slot: 1, code: MASTER, name: "owner" }]
    for (let s = 2; s <= 250; s++) users.push({ slot: s, code: codeOf(s), name: `user ${s}`.padEnd(10, ".") })
    provision(board.flash.image, { users, auditEntries: 540 })
    const mark = board.logs.length
    await board.powerOn()
    await board.waitForLog(/boot: 250 user\(s\)/, 5000, mark)
    const chain = await board.waitForLog(/audit: chain/, 5000, mark)
    if (!/intact, 516 entries/.test(chain)) throw new Error(`unexpected audit check: ${chain}`)

    let opened = 0
    board.latch.angle.on("change", () => {
        if (board.isUnlocked()) opened = performance.now()
    })
    const right: number[] = []
    const wrong: number[] = []
    for (let i = 0; i < samples; i++) {
        // a wrong code: '#' to the failure tune
        await board.type("93716284")
        const from = board.heard.length
        const d0 = Date.now()
        await board.keyDown("#")
        await board.waitUntil(() => board.heard.slice(from).some(h => h.sound === "failure"), "the failure tune")
        wrong.push(board.heard.slice(from).find(h => h.sound === "failure")!.at - d0)
        await board.keyUp("#")
        await sleep(700) // let the failure tune finish
        // the code of slot 250: '#' to the latch (this clears the counter again)
        await board.type(codeOf(250))
        opened = 0
        const t0 = performance.now()
        await board.keyDown("#")
        await board.waitUntil(() => opened > 0, "the latch to open")
        right.push(opened - t0)
        await board.keyUp("#")
        await sleep(50)
        await board.press("#", profile.timing.longPressMs + 150)
        await board.waitUntil(() => board.isLocked(), "the latch to lock")
        if ((i + 1) % 10 === 0) process.stderr.write(`verify: ${i + 1}/${samples}\n`)
    }
    await sleep(6000) // the batched audit entries reach flash
    board.powerCut()
    const store = readFstor(board.flash.image)
    await board.dispose()

    const r = (x: number) => Math.round(x * 100) / 100
    const stats = (xs: number[]) => {
        const s = [...xs].sort((a, b) => a - b)
        return { p50: r(percentile(s, 50)), p99: r(percentile(s, 99)), max: r(s[s.length - 1]) }
    }
    const bytes: Record<string, number> = { users: 0, names: 0, audit: 0, other: 0 }
    const counts: Record<string, number> = { users: 0, names: 0, audit: 0, other: 0 }
    for (const v of store.values.values()) {
        if (v.key.startsWith("*")) continue
        const kind = v.key.startsWith("$lk.u") ? "users" : v.key.startsWith("$lk.n") ? "names" : v.key.startsWith("$lk.a") ? "audit" : "other"
        bytes[kind] += 24 + ((v.size + 7) & ~7)
        counts[kind]++
    }
    const result = {
        users: 250,
        core_in_vm: { hmac_ms: r(core.hmac_ms), scan_250_slots_ms: r(core.scan_ms), verify_ms: r(core.verify_ms), rounds: core.rounds },
        right_code_to_latch_ms: stats(right),
        wrong_code_to_failure_tune_ms: stats(wrong),
        samples,
        firmware: "build/firmware.devs",
    }
    const flash = {
        store_bytes: store.areaBytes,
        store_free_when_empty: store.areaBytes - 48,
        live_bytes: store.liveBytes,
        users_bytes: bytes.users,
        names_bytes: bytes.names,
        audit_bytes: bytes.audit,
        other_bytes: bytes.other,
        keys: counts,
        free_now: store.freeBytes,
        flash_bytes: FLASH_BYTES,
        note: "entry (24 B) + value rounded up to 8 B, per live setting; full lock: 250 named users, full audit ring (22 segments)",
    }
    console.log(`verify a code with 250 users (shipping firmware, in-process DeviceScript VM)`)
    console.log(`  core in the VM:  HMAC ${result.core_in_vm.hmac_ms} ms + scan of 250 slots ${result.core_in_vm.scan_250_slots_ms} ms = ${result.core_in_vm.verify_ms} ms (mean of ${core.rounds})`)
    console.log(`  right code ('#' -> latch open):   median ${result.right_code_to_latch_ms.p50} ms, p99 ${result.right_code_to_latch_ms.p99} ms, worst ${result.right_code_to_latch_ms.max} ms (${samples})`)
    console.log(`  wrong code ('#' -> failure tune): median ${result.wrong_code_to_failure_tune_ms.p50} ms, p99 ${result.wrong_code_to_failure_tune_ms.p99} ms, worst ${result.wrong_code_to_failure_tune_ms.max} ms (${samples})`)
    console.log(`settings store of that full lock (${store.areaBytes} bytes: the ESP32's; the VM's default flash would give 8192)`)
    console.log(`  users ${bytes.users} B (${counts.users} keys), names ${bytes.names} B (${counts.names}), audit ${bytes.audit} B (${counts.audit}), key/meta/counter ${bytes.other} B (${counts.other})`)
    console.log(`  live ${store.liveBytes} B = ${Math.round((100 * store.liveBytes) / store.areaBytes)} % of the store; free now ${store.freeBytes} B`)
    recordResult("verify_250_users", result)
    recordResult("flash_store", flash)
    process.exit(0)
}

main().catch(e => {
    console.error(`verify: ${(e as Error).message}`)
    process.exit(1)
})
