/**
 * The readable summary of bench/results.json: a table on stdout, and (with --docs) the
 * "Measured" section of docs/benchmarks.md rewritten with it.
 *
 *   npm run bench:report -- [--docs] [--minutes N]
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ROOT } from "../host/paths"
import { runBench } from "./lib/cli"
import { RESULTS_FILE } from "./results"

type Row = [string, string, string, string]

const yes = (b: unknown) => (b === true ? "yes" : b === false ? "**no**" : String(b ?? "-"))
const pct = (p: number | undefined) => (p === undefined ? "-" : `${(p * 100).toPrecision(2)} %`)

/** The refused kind whose worst |t| over bench:ct:runs' processes is highest: [pair, |t|]. */
function worstRefusedRun(runs: any): [string, number] {
    return Object.entries<any>(runs.pairs)
        .filter(([k]) => k.startsWith("wrong_vs_"))
        .map(([k, a]) => [k, a.worst] as [string, number])
        .sort((a, b) => b[1] - a[1])[0]
}

export function rows(r: any): Row[] {
    const out: Row[] = []
    const ct = r.constant_time
    if (ct) {
        out.push(
            ["constant_time: refused vs wrong, max \\|t\\| Node (samples)", `${ct.max_abs_t} (${ct.samples})`, "< 4.5", yes(ct.max_abs_t < 4.5)],
            ["constant_time: leaky control \\|t\\| Node", `${ct.control_max_abs_t}`, "> 10", yes(ct.control_max_abs_t > 10)],
            ["constant_time: refused vs wrong, max \\|t\\| VM (samples)", `${ct.vm_max_abs_t} (${ct.vm_samples})`, "< 4.5", yes(ct.vm_max_abs_t !== null && ct.vm_max_abs_t < 4.5)],
            ["constant_time: leaky control \\|t\\| VM", `${ct.vm_control_max_abs_t}`, "> 10", yes(ct.vm_control_max_abs_t > 10)],
        )
        // every pair, Node and VM (the lock's own path: digest to effects; '#' to effects in the VM)
        for (const [name, a] of Object.entries<any>(ct.node_tests ?? {})) {
            if (a.control) continue
            const vm = ct.vm_tests?.[name]
            const both = `${a.max_abs_t} / ${vm ? vm.max_abs_t : "-"}`
            const goal = a.null ? "A/A: noise" : a.known ? "not uniform (security.md)" : "< 4.5"
            out.push([`  ${name} \\|t\\| Node / VM`, both, goal, a.null || a.known ? "" : yes(a.max_abs_t < 4.5 && (!vm || vm.max_abs_t < 4.5))])
        }
    }
    const runs = r.constant_time_runs
    if (runs) {
        const refusedWorst = worstRefusedRun(runs)[1]
        out.push(
            [`constant_time, Node, ${runs.runs} fresh processes: runs with every pair < 4.5`, `${runs.runs_meeting_goal} of ${runs.runs}`, `${runs.runs} of ${runs.runs}`, yes(runs.runs_meeting_goal === runs.runs)],
            ["  runs with every refused kind < 4.5; worst refused \\|t\\|", `${runs.runs_meeting_goal_refused} of ${runs.runs}; ${refusedWorst}`, `${runs.runs} of ${runs.runs}`, yes(runs.runs_meeting_goal_refused === runs.runs)],
            ["  opens_vs_wrong \\|t\\| median / worst over the runs", `${runs.pairs.opens_vs_wrong.median} / ${runs.pairs.opens_vs_wrong.worst}`, "< 4.5", yes(runs.pairs.opens_vs_wrong.worst < 4.5)],
            ["  null_same_class (A/A) \\|t\\| worst over the runs", `${runs.pairs.null_same_class.worst}`, "A/A: noise", ""],
        )
    }
    const door = r.constant_time_door
    if (door) {
        const pairs = Object.entries<any>(door).filter(([k]) => k.startsWith("wrong_vs_"))
        const refusedMax = door.refused_max_abs_t ?? Math.max(...pairs.map(([, a]) => a.max_abs_t))
        out.push(["constant_time at the door: refused vs wrong, max \\|t\\| (samples)", `${refusedMax} (${door.samples})`, "< 4.5", yes(refusedMax < 4.5)])
        for (const [name, a] of pairs) out.push([`  door ${name} \\|t\\|`, `${a.max_abs_t}`, "< 4.5", yes(a.max_abs_t < 4.5)])
        out.push([`  door opens_vs_wrong \\|t\\| (opens)`, `${door.opens_vs_wrong.max_abs_t} (${door.opens})`, "< 4.5", yes(door.opens_vs_wrong.max_abs_t < 4.5)])
        if (door.null_wrong_halves) out.push(["  door null_wrong_halves \\|t\\|", `${door.null_wrong_halves.max_abs_t}`, "A/A: noise", ""])
        const place = door.wrong_elsewhere_vs_after_opens
        if (place) out.push(["  door wrong_elsewhere_vs_after_opens \\|t\\|", `${place.max_abs_t}`, "where a sample falls (every class alike)", ""])
        const med = door.median_ms
        out.push([`  '#' to the first effect, median ${Object.keys(med).join(" / ")}`, `${Object.values(med).join(" / ")} ms`, "-", ""])
    }
    const bf = r.brute_force
    if (bf) {
        out.push(
            ["brute_force: p_4digit_1yr", pct(bf.p_4digit_1yr), "<= 1 %", yes(bf.p_4digit_1yr <= 0.01)],
            ["brute_force: p_6digit_1yr", pct(bf.p_6digit_1yr), "-", ""],
            ["brute_force: mean_4digit_days", `${bf.mean_4digit_days} (${Math.round(bf.mean_4digit_days / 365)} years)`, "-", ""],
            ["brute_force: typo3_wait_s", `${bf.typo3_wait_s}`, "<= 30", yes(bf.typo3_wait_s <= 30)],
        )
        for (const [name, b] of Object.entries<any>(bf.baselines ?? {}))
            out.push([`  baseline ${name}`, `P(4 digits, 1 yr) ${pct(b.p_4digit_1yr)}, mean ${b.mean_4digit_days === null ? "never" : b.mean_4digit_days + " days"}, 3 typos wait ${b.typo3_wait_s} s`, "", ""])
    }
    const l = r.latency_ms
    if (l) out.push(["latency_ms: p50 / p99 (users, unlocks)", `${l.p50} / ${l.p99} ms (${l.users}, ${l.unlocks}${l.pace ? `, ${l.pace.keys_per_s} keys/s` : ""})`, "p99 <= 20 ms, 250 users", l.users >= 250 ? yes(l.p99 <= 20) : `**no**: ${l.users} user (p99 ${l.p99 <= 20 ? "meets" : "misses"} 20 ms)`])
    const f = r.footprint
    if (f)
        out.push(
            ["footprint: bytecode_bytes", `${f.bytecode_bytes}`, "<= 48 KB", yes(f.bytecode_bytes <= 48 * 1024)],
            f.users >= 250
                ? ["footprint: heap_peak_bytes (250 users)", `${f.heap_peak_bytes}`, "<= 32 KB, 250 users", yes(f.heap_peak_bytes <= 32 * 1024)]
                : ["footprint: heap_peak_bytes (1 user)", `${f.heap_peak_bytes}`, "<= 32 KB, 250 users", "**no** (1 user only)"],
        )
    const rm = r.remote_ms
    if (rm)
        out.push(
            ["remote_ms: companion unlock, command to answer p50 / p99", `${rm.unlock.p50} / ${rm.unlock.p99} ms`, "-", ""],
            ["remote_ms: companion unlock, command to latch p50 / p99", `${rm.unlock_to_latch.p50} / ${rm.unlock_to_latch.p99} ms`, "-", ""],
            ["remote_ms: audit read with the chain checked (entries)", `${rm.audit_read.p50} ms (${rm.audit_read.entries})`, "-", ""],
        )
    const w = r.settings_writes
    if (w) {
        const t = (x: any) => `${x?.total?.writes ?? "-"} (${x?.total?.bytes ?? "-"} B)`
        out.push(
            ["settings_writes: per key press / wrong code", `${t(w.per_key_press)} / ${w.per_wrong_code?.total?.writes ?? "-"}`, "-", ""],
            ["settings_writes: per unlock by code / by companion (with relock)", `${t(w.per_unlock_by_code)} / ${t(w.per_companion_unlock)}`, "-", ""],
        )
    }
    const p = r.power_cut
    if (p)
        out.push(
            ["power_cut: cuts", `${p.cuts}`, ">= 1000", yes(p.cuts >= 1000)],
            ["  by action", JSON.stringify(p.by_kind ?? {}).replace(/"/g, ""), "", ""],
            ...(p.confirmed_before_cut ? [["  confirmed by the lock before the cut", JSON.stringify(p.confirmed_before_cut).replace(/"/g, ""), "", ""] as Row] : []),
            ["power_cut: counter_resets / boot_failures", `${p.counter_resets} / ${p.boot_failures}`, "0 / 0", yes(p.counter_resets === 0 && p.boot_failures === 0)],
            // what the store did, reported as seen: a restore brings the users back (lost_after_restore)
            ["power_cut: store formats / users lost before a restore / broken audit chains", `${p.store_formats} / ${p.lost_users} / ${p.broken_audit_chains}`, "- (as seen)", ""],
            ["  after intact writes", JSON.stringify(p.problems_after_intact_writes ?? {}).replace(/"/g, ""), "", ""],
            ["  after torn/corrupted writes", JSON.stringify(p.problems_after_damaged_writes ?? {}).replace(/"/g, ""), "", ""],
            ["power_cut: opened_without_code", `${p.opened_without_code}`, "0", yes(p.opened_without_code === 0)],
            ...(p.silent_rollbacks !== undefined
                ? ([
                      ["power_cut: silent_rollbacks (found, suspected by the companion)", `${p.silent_rollbacks} (${p.rollbacks_found ?? 0}, ${p.rollbacks_suspected ?? 0})`, "0", yes(p.silent_rollbacks === 0)],
                      ["power_cut: lost_after_restore (restores)", `${p.lost_after_restore} (${p.restores}, ${p.restores_after_reset} after the reset ritual, ${p.restore_failures} failed)`, "0", yes(p.lost_after_restore === 0)],
                  ] as Row[])
                : []),
        )
    const z = r.fuzz
    if (z)
        out.push(
            ["fuzz: frames / key_storm_keys", `${z.frames} / ${z.key_storm_keys}`, ">= 1e6 / 1e5 storms", yes(z.frames >= 1e6 && (z.key_storms?.storms ?? 0) >= 1e5)],
            ["fuzz: crashes / hangs / unauthorised_unlocks", `${z.crashes} / ${z.hangs} / ${z.unauthorised_unlocks}`, "0 / 0 / 0", yes(z.crashes === 0 && z.hangs === 0 && z.unauthorised_unlocks === 0)],
        )
    out.push(...mqttRows(r))
    return out
}

/** bench:mqtt and bench:fuzz:mqtt (bench/mqtt.ts, bench/mqtt-fuzz.ts). */
function mqttRows(r: any): Row[] {
    const out: Row[] = []
    const k = r.mqtt_keypad_ms
    if (k)
        for (const c of ["broker_up", "broker_down", "broker_restarting", "broker_flooded"])
            if (k[c]?.error) out.push([`mqtt_keypad_ms: key to latch, ${c.replace("broker_", "broker ")}`, `failed: ${k[c].error} (${k[c].vm_panics} VM panic(s))`, "p99 <= 20 ms", "**no**"])
            else if (k[c]) out.push([`mqtt_keypad_ms: key to latch, ${c.replace("broker_", "broker ")} p50 / p99 (unlocks)`, `${k[c].p50} / ${k[c].p99} ms (${k[c].n})`, "p99 <= 20 ms", yes(k[c].p99 <= 20)])
    const rc = r.mqtt_reconnect_ms
    if (rc) out.push(["mqtt_reconnect_ms: after a broker restart p50 / p99 (restarts)", `${rc.p50} / ${rc.p99} ms (${rc.n})`, "<= 10 s", yes(rc.max <= 10000)])
    const c = r.mqtt_companion_ms
    if (c)
        out.push(
            ["mqtt_companion_ms: unlock through mosquitto, command to latch p50 / p99", `${c.command_to_latch.p50} / ${c.command_to_latch.p99} ms (${c.command_to_latch.n})`, "p99 <= 250 ms", yes(c.command_to_latch.p99 <= 250)],
            ["mqtt_companion_ms: command to answer p50 / p99", `${c.round_trip.p50} / ${c.round_trip.p99} ms`, "-", ""],
        )
    const f = r.mqtt_fleet
    if (f)
        out.push(
            ["mqtt_fleet: locks / commands", `${f.locks} / ${f.commands}`, ">= 20 / 1000", yes(f.locks >= 20 && f.commands >= 1000)],
            ["mqtt_fleet: command to answer p50 / p99", `${f.round_trip.p50} / ${f.round_trip.p99} ms`, "-", ""],
            ["mqtt_fleet: memory per VM (WASM memory; process RSS growth)", `${f.memory_per_vm.wasm_memory_kb} KB; ${f.memory_per_vm.process_rss_growth_kb} KB`, "-", ""],
        )
    const z = r.mqtt_fuzz
    if (z)
        out.push(
            ["mqtt_fuzz: payloads / raw packets / stream breakers", `${z.payloads} / ${z.raw_packets} / ${z.stream_breakers}`, ">= 1e5 payloads", yes(z.payloads >= 1e5)],
            ["mqtt_fuzz: panics / restarts / latch opened", `${z.outcome.vm_panics} / ${z.outcome.restarts} / ${z.outcome.latch_opened}`, "0 / 0 / 0", yes(z.ok)],
        )
    return out
}

export function markdown(r: any): string {
    return ["| measure | measured | goal | met |", "|---|---|---|---|", ...rows(r).map(x => `| ${x.join(" | ")} |`)].join("\n")
}

export function printTable(r: any) {
    const rs = rows(r).map(x => x.map(c => c.replace(/\*\*/g, "").replace(/\\\|/g, "|")))
    const w = [0, 1, 2, 3].map(i => Math.max(...rs.map(x => x[i].length)))
    for (const x of rs) console.log(x.map((c, i) => c.padEnd(w[i])).join("  "))
}

/** Plain-language notes on every goal the numbers miss or cannot show yet, from the results. */
export function notes(r: any): string[] {
    const out: string[] = []
    const l = r.latency_ms
    if (l && l.users < 250)
        out.push(`Latency here is measured with ${l.users} user (bench/latency.ts still enrols only the master code); the firmware scans all 250 slots whatever their number, and \`npm run bench:verify\` times the keypad's # to the latch with all 250 slots occupied (verify_250_users in bench/results.json).`)
    if (l && l.users >= 250 && l.pace)
        out.push(
            `Latency is timed with the code typed at ${l.pace.keys_per_s} keys a second (faster than people type on a keypad): p50 ${l.p50} ms, p99 ${l.p99} ms ` +
                `with 250 users (from a locked latch: p50 ${l.from_locked?.p50} ms); the counter is written to flash and read back before every check.` +
                (l.rapid
                    ? ` Typed faster still (${l.rapid.pace.keys_per_s} keys a second, ${l.rapid.unlocks} unlocks): p50 ${l.rapid.p50} ms, p99 ${l.rapid.p99} ms, worst ${l.rapid.max} ms. ` +
                      `The lock handles its events one at a time, and there a '#' comes while the previous unlock's work is still queued: its flash writes ` +
                      `(the counter cleared, the audit entry, each read back), its tune and bus events, and the store watcher's check a second after a change ` +
                      `(src/firmware/tamper.ts). Every settings write and read is a packet to the runtime's own settings service, and the runtime sends at most ` +
                      `one packet per 20 ms after a burst of five. Typed at the same pace with a 400 ms pause after each unlock, 80 unlocks gave p50 1.8 ms, ` +
                      `p99 4 ms (2026-12-03), so it is that work and not the keys (\`npm run bench:latency -- --unlocks 10 --rapid-unlocks 80 --rapid-pause-ms 400\`, ` +
                      `against \`--rapid-pause-ms 0\`; each rewrites latency_ms in bench/results.json). With the store watcher's check switched off in a ` +
                      `scratch copy (the \`storeCheckDue(...) && idle()\` condition in src/firmware/lock.ts's drain loop made false, \`npx tsx scripts/build.ts --only firmware\`, ` +
                      `then \`npx tsx bench/latency.ts --unlocks 10 --rapid-unlocks 100\`), 100 rapid unlocks gave p50 63 ms, p99 90 ms: the check makes the tail, ` +
                      `the rest is the queued work.`
                    : ""),
        )
    else if (l && l.users >= 250 && l.p99 > 20)
        out.push(`Latency misses its goal: p50 ${l.p50} ms, p99 ${l.p99} ms with 250 users (from a locked latch: p50 ${l.from_locked?.p50} ms).`)
    const f = r.footprint
    if (f) {
        if (f.users >= 250)
            out.push(`Heap: ${f.heap_peak_bytes} B peak under GC stress (goal 32 KB): a full lock (250 named users, a full audit ring) peaked at ${f.heap_full_lock_peak_bytes} B while opening for the last slot's code and serving a companion's user list and audit read; the 1-user run through setup, lockout, companion and restarts at ${f.heap_1_user_peak_bytes} B.`)
        else
            out.push(`Heap: ${f.heap_peak_bytes} B peak for the firmware with 1 code and 1 companion; 250 digests add ${f.heap_250_digests_added_bytes} B (measured on the VM timing harness), so about ${f.heap_250_users_estimate_bytes} B with 250 users, against a 32 KB goal (${f.heap_250_users_estimate_bytes <= 32768 ? "met" : "missed"} as an estimate).`)
        if (f.store_check?.finding && !/fine/.test(f.store_check.finding)) out.push(`Found while measuring: ${f.store_check.finding}.`)
        if (f.bytecode_bytes > 49152 && f.bytecode_by_source) {
            const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`
            const parts = Object.entries<number>(f.bytecode_by_source).map(([k, v]) => `${k} ${kb(v)}`).join(", ")
            out.push(
                `Bytecode misses its goal: ${kb(f.bytecode_bytes)} against 48 KB. Code by source: ${parts}; strings ${kb(f.bytecode_sections?.strings ?? 0)} ` +
                    `(console lines, menu prompts, refusal reasons, field names). ` +
                    `What would close it: numbered log lines with their text kept on the host (the simulator, the CLI and the tests would print them), ` +
                    `which removes most of the strings, and a smaller menu; neither is done.`,
            )
        }
    }
    const p = r.power_cut
    if (p) {
        const d = p.problems_after_damaged_writes ?? {}
        const i = p.problems_after_intact_writes ?? {}
        const show = (o: object) => (Object.keys(o).length ? JSON.stringify(o).replace(/"/g, "").replace(/[{}]/g, "").replace(/,/g, ", ") : "none")
        out.push(
            `Power cuts: problems after the ${p.cuts - Object.entries<number>(p.by_kind ?? {}).filter(([k]) => /torn|flipped|erased/.test(k)).reduce((s, [, v]) => s + v, 0)} cuts that left the written bytes intact: ${show(i)}. ` +
                `After the cuts that tore or corrupted the write: ${show(d)}. A damaged record makes DeviceScript's flash store format itself at boot (everything on it is gone), ` +
                `or reads back damaged, which the firmware takes as no code (setup mode: the lock never opens, the owner must enrol again); a corrupted length can make a settings value ` +
                `read back larger than one Jacdac frame, and the VM then aborts at every boot. The failure counter is kept in two records written in turn (a damaged write leaves the ` +
                `previous one); user chunks are single copies, and a store that formats itself loses everything: closing that needs a store that survives its own torn writes. ` +
                (/0 by construction/.test(p.audit_note ?? "0 by construction")
                    ? `broken_audit_chains is 0 by construction: this harness does not check the audit chain.`
                    : `broken_audit_chains counts boots whose own chain check says BROKEN; entries still batched in RAM at the cut are lost, which the chain does not show.`),
        )
        if (p.silent_rollbacks !== undefined)
            out.push(
                `Power cuts, restore: after every user change the lock confirmed, a backup (the real \`latchkey backup\` code); after each of the ${p.restores} cuts that lost state ` +
                    `(${p.losses_without_backup} more lost the first enrolment, before any backup), the owner's restore: the reset ritual when the lock was still set up ` +
                    `(${p.restores_after_reset}), a program-button press and the real \`latchkey restore\`; then every code of the backup typed and a companion command sent: ` +
                    `${p.lost_after_restore} still lost, ${p.restore_failures} restore(s) failed. Rollbacks (a boot with older state: fewer users, the companion gone, a lower ` +
                    `failure count; and no STORE LOST): ${p.rollbacks_found ?? 0} found by the companion's next command (the real companion code: the sealed answer's store ` +
                    `generation below the highest it saw; it told the lock and applied its logged changes again), ${p.rollbacks_suspected ?? 0} suspected (the lock refused ` +
                    `the companion's key, and the companion said its store may have gone back: a clear refusal proves nothing), ${p.silent_rollbacks} silent (no companion ` +
                    `enrolled or asked at that boot, or only the failure count went back, which the generation does not cover). Revoked users or companions coming back ` +
                    `are not exercised here (the chain revokes nothing): test/scenario/rollback.test.ts covers them.`,
            )
        if (i.counter_resets || i.lost_users)
            out.push(
                `Power cuts, intact writes: ${i.counter_resets ?? 0} counter reset(s) and ${i.lost_users ?? 0} lost user(s) in this run. Runs with the same seeds differ ` +
                    `(some cuts fall at a random time, and the VM's time slices follow the machine's load). ` +
                    `A counter reset means the lock answered "wrong code (failures N)" and the next boot read fewer; a lost user, that the lock confirmed a user ` +
                    `the next boot did not have. Not explained yet; each is in bench/results.json (power_cut.findings) with the lines before its cut.`,
            )
    }
    const z = r.fuzz
    if (z && (z.crashes || z.hangs)) {
        const vm = z.frames_vm
        out.push(`Fuzz: ${z.crashes} crash(es), ${z.hangs} hang(s)${vm?.crashes ? `; the real firmware's service crashed after ${vm.frames} fuzzed frames (${(vm.notes ?? []).slice(0, 3).join("; ")}): the program stops and restarts, the latch stays locked, nothing opens` : ""}.`)
    }
    const ct = r.constant_time
    const door = r.constant_time_door
    const runs = r.constant_time_runs
    if (ct && ct.max_abs_t >= 4.5) {
        const worst = Object.entries<any>(ct.node_tests ?? {}).filter(([, a]) => !a.control && !a.null && !a.known).sort((a, b) => b[1].max_abs_t - a[1].max_abs_t)[0]
        out.push(
            `Timing in Node, refused vs wrong: max |t| ${ct.max_abs_t} (${worst?.[0]}, ${Object.entries<number>(worst?.[1].t_by_crop ?? {}).map(([k, v]) => `${k} ${v}`).join(", ")}), ` +
                `while the A/A null test (both classes alike) reaches ${ct.null_max_abs_t} on this shared machine; in the VM, the runtime that ships, max |t| ${ct.vm_max_abs_t}. ` +
                `Rerun on a quiet machine before reading more into it.`,
        )
    }
    if (ct && ct.opens_vs_wrong_max_abs_t >= 4.5)
        out.push(
            `The core's whole decision for a code that opens does more than for a wrong one (opens_vs_wrong: |t| ${ct.opens_vs_wrong_max_abs_t} Node, ${ct.vm_opens_vs_wrong_max_abs_t ?? "-"} VM): ` +
                `more effects, after the first one at the door` +
                (door?.opens_vs_wrong ? ` (at the door, '#' to the first effect: |t| ${door.opens_vs_wrong.max_abs_t})` : "") +
                `; docs/security.md says what that does and does not show.`,
        )
    if (runs && runs.runs_meeting_goal_refused < runs.runs)
        out.push(
            `Timing in Node over ${runs.runs} fresh processes (\`npm run bench:ct:runs\`): in ${runs.runs - runs.runs_meeting_goal_refused} of them a refused kind ` +
                `reached |t| ${worstRefusedRun(runs).join(" ")} ` +
                `while the A/A test stayed at or below ${runs.pairs.null_same_class.worst}: V8 compiles the decision anew in each process, and one process's machine code can ` +
                `show a difference of a few ns that the next does not. The VM, the runtime that ships, is the verdict (bench:ct's VM part).`,
        )
    if (ct && ct.vm_samples < 10000) out.push(`The VM timing test has ${ct.vm_samples} samples (whole-millisecond clock), under dudect's 10^4 for a verdict; its leaky control is still caught at |t| = ${ct.vm_control_max_abs_t}.`)
    return out
}

/** The page whose "## Measured" section `npm run bench -- --docs` rewrites. */
export const BENCHMARKS_DOC = join(ROOT, "docs", "benchmarks.md")

/** Rewrites the "## Measured" section of docs/benchmarks.md (up to the next "## " heading) from `r`. */
export function updateBenchmarksDoc(r: any, command: string, seconds: number | null) {
    const path = BENCHMARKS_DOC
    const text = readFileSync(path, "utf8")
    const start = text.indexOf("## Measured")
    const end = text.indexOf("\n## ", start + 5)
    if (start < 0 || end < 0) throw new Error("docs/benchmarks.md has no \"## Measured\" section followed by another section")
    const when = Object.values<any>(r).map(x => x?.at).filter(Boolean).sort().pop() ?? ""
    const section =
        "## Measured\n\n" +
        `Latest \`npm run bench\` on the shared 2-core development machine (${when.slice(0, 10)}${seconds ? `, ${Math.round(seconds / 60)} min` : ""}); ` +
        "every number, with the date of its run, is in `bench/results.json`, charts in `bench/*.svg`, method notes in each `bench/*.ts` and under [Method](#method).\n\n" +
        "```sh\n" + command + "\n```\n\n" +
        markdown(r) +
        "\n\n" + notes(r).map(n => `- ${n}`).join("\n") +
        "\n\nCharts: `bench/brute-force.svg` (P(found) over time per policy), `bench/latency.svg` (histogram), " +
        "`bench/constant-time.svg` (|t| per test). Single measurements: `npm run bench:ct`, `bench:brute`, `bench:latency`, " +
        "`bench:remote`, `bench:footprint`, `bench:power`, `bench:writes`, `bench:fuzz`, `bench:mqtt`, `bench:fuzz:mqtt` (each takes `--help`).\n"
    writeFileSync(path, text.slice(0, start) + section + text.slice(end))
}

export function readResults(): any {
    if (!existsSync(RESULTS_FILE)) throw new Error(`no ${RESULTS_FILE}: run npm run bench first`)
    return JSON.parse(readFileSync(RESULTS_FILE, "utf8"))
}

if (process.argv[1]?.endsWith("report.ts"))
    runBench("bench:report", {
        docs: { type: "flag", help: "rewrite the Measured section of docs/benchmarks.md" },
        minutes: { type: "number", default: 0, min: 0, help: "how long the npm run bench took (for docs/benchmarks.md)" },
    }, async o => {
        const r = readResults()
        printTable(r)
        for (const n of notes(r)) console.log(`- ${n}`)
        if (o.docs) updateBenchmarksDoc(r, "npm run bench", o.minutes ? o.minutes * 60 : null)
    })
