/**
 * power_cut: >= 1000 power cuts at random moments of the real firmware in the in-process VM
 * (wrong attempts, right codes, the first enrolment, companion enrolments), some of them tearing
 * or corrupting the image being written; see bench/lib/powercut.ts for what is checked.
 * The cuts are shared among --procs processes (one per core), each running --boards boards at
 * once (a booting VM mostly waits for its roles to bind, so many fit in one process).
 *
 *   npm run bench:power -- [--cuts N] [--procs P] [--boards K] [--damage P] [--seed N]
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ROOT } from "../host/paths"
import { runBench } from "./lib/cli"
import { addStats, CutStats, emptyStats, runCuts } from "./lib/powercut"
import { round } from "./lib/stats"
import { recordResult } from "./results"

function child(args: string[]): Promise<number> {
    return new Promise(resolve => {
        const p = spawn(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "bench", "powercut.ts"), ...args], { stdio: ["ignore", "ignore", "inherit"], cwd: ROOT })
        p.on("exit", code => resolve(code ?? 1))
    })
}

runBench("bench:power", {
    cuts: { type: "int", default: 1000, min: 1, help: "power cuts" },
    procs: { type: "int", default: 2, min: 1, max: 8, help: "processes sharing the cuts" },
    boards: { type: "int", default: 8, min: 1, max: 32, help: "boards cut in parallel in each process" },
    damage: { type: "number", default: 0.12, min: 0, max: 1, help: "share of cuts that also tear or corrupt the image being written" },
    seed: { type: "int", default: 7, help: "seed" },
    out: { type: "string", default: "", help: "(internal) write this process's counts here instead of results.json" },
}, async o => {
    const started = Date.now()
    let s: CutStats
    if (o.procs > 1) {
        const dir = mkdtempSync(join(tmpdir(), "latchkey-power-"))
        const shares = Array.from({ length: o.procs }, (_, i) => Math.floor(o.cuts / o.procs) + (i < o.cuts % o.procs ? 1 : 0))
        const codes = await Promise.all(shares.map((n, i) =>
            child(["--cuts", String(n), "--procs", "1", "--boards", String(o.boards), "--damage", String(o.damage), "--seed", String(o.seed * 31 + i), "--out", join(dir, `${i}.json`)])))
        if (codes.some(c => c !== 0)) throw new Error(`a power-cut process failed (exit codes ${codes.join(", ")})`)
        s = shares.map((_, i) => JSON.parse(readFileSync(join(dir, `${i}.json`), "utf8")) as CutStats).reduce(addStats, emptyStats())
    } else {
        let last = 0
        s = await runCuts(o.cuts, o.boards, o.seed, { damage: o.damage, companions: true }, done => {
            if (done - last >= 100) {
                last = done
                process.stderr.write(`power${o.out ? ` (${o.seed})` : ""}: ${done}/${o.cuts} cuts (${round((Date.now() - started) / 1000, 0)} s)\n`)
            }
        })
        if (o.out) {
            writeFileSync(o.out, JSON.stringify(s))
            return
        }
    }
    // the goals; what the store itself did (formats, users lost until the restore, broken audit
    // chains) is reported as seen
    const problems = s.counter_resets + s.opened_without_code + s.boot_failures + s.silent_rollbacks + s.lost_after_restore
    const result = {
        cuts: s.cuts,
        counter_resets: s.counter_resets,
        lost_users: s.lost_users,
        broken_audit_chains: s.broken_audit_chains,
        opened_without_code: s.opened_without_code,
        boot_failures: s.boot_failures,
        store_formats: s.store_formats,
        crashed_boots: s.crashed_boots,
        silent_rollbacks: s.silent_rollbacks,
        rollbacks_found: s.rollbacks_found,
        rollbacks_suspected: s.rollbacks_suspected,
        lost_after_restore: s.lost_after_restore,
        restores: s.restores,
        restores_after_reset: s.restores_after_reset,
        restore_failures: s.restore_failures,
        losses_without_backup: s.losses_without_backup,
        backups: s.backups,
        goal: "boot_failures, opened_without_code, counter_resets, silent_rollbacks and lost_after_restore all 0; store formats, users lost before a restore and broken audit chains are what the store did, reported as seen",
        goal_met: problems === 0,
        problems_after_intact_writes: s.intact,
        problems_after_damaged_writes: s.damaged,
        by_kind: s.by_kind,
        confirmed_before_cut: s.confirmed,
        cut_at_a_flash_write: s.at_write,
        cut_at_a_random_time: s.at_random_time,
        harness_errors: s.harness_errors,
        audit_note: "broken_audit_chains: boots whose own audit chain check (every link, under the key derived from the device key) says BROKEN",
        restore_note: "after every confirmed user change the owner takes a backup (the real latchkey backup code over the bus); after each cut that lost state (formatted or bricked store, STORE LOST, lost users or companion) the owner restores the newest one (the reset ritual first if the lock is still set up, then a program-button press and the real latchkey restore code) and types every code it held and sends a companion command; lost_after_restore counts the codes and companion keys that still fail.",
        rollback_note: "cuts after which the lock came up with older state (fewer users, no companion, a lower failure count) and no STORE LOST at that boot: rollbacks_found when the companion's next command (the real companion code, after every damaged write and 1 boot in 10 otherwise, once a companion is enrolled) found the store's generation below the highest it saw (then it told the lock and applied its logged changes again); rollbacks_suspected when the lock refused the companion's key and the companion said its store may have gone back (a clear refusal proves nothing); silent_rollbacks otherwise (no companion enrolled or asked, or only the failure count went back: the generation does not cover it). Revoked users or companions coming back are not exercised here (the chain revokes nothing): test/scenario/rollback.test.ts covers them",
        user_changes_note: "user changes = the first enrolment, companion enrolments, and users a companion adds (named, 6-digit codes); not users added through the keypad menu",
        findings: s.findings,
        firmware: "build/firmware-fast.devs (same code as firmware.devs, short lockouts)",
        seconds: round((Date.now() - started) / 1000, 1),
    }
    recordResult("power_cut", result)
    console.log(`power: ${s.cuts} cuts (${JSON.stringify(s.by_kind)}): counter_resets ${s.counter_resets}, lost_users ${s.lost_users}, broken_audit_chains ${s.broken_audit_chains}, opened_without_code ${s.opened_without_code}, boot_failures ${s.boot_failures}, store formats ${s.store_formats}, crashed boots ${s.crashed_boots}: ${result.goal_met ? "goal met" : "GOAL MISSED"} (${result.seconds} s)`)
    console.log(`power:   silent_rollbacks ${s.silent_rollbacks} (found by the companion ${s.rollbacks_found}, suspected ${s.rollbacks_suspected}); restores ${s.restores} (${s.restores_after_reset} after the reset ritual, ${s.restore_failures} failed), lost_after_restore ${s.lost_after_restore}, losses with no backup yet ${s.losses_without_backup}, backups ${s.backups}`)
    console.log(`power:   after intact writes: ${JSON.stringify(s.intact)}; after torn/corrupted writes: ${JSON.stringify(s.damaged)}; harness errors ${s.harness_errors}; confirmed before a cut: ${JSON.stringify(s.confirmed)}`)
    for (const f of s.findings.slice(0, 8)) console.log(`power:   ${f}`)
})
