/**
 * constant_time_runs: the Node part of the timing-leak test (bench/lib/ct-node.ts, the same
 * samples, pairs, control and A/A test as `npm run bench:ct`) run again in several fresh Node
 * processes, seeds seed, seed + 1, ... V8 compiles the decision anew in each process, and a
 * difference of a few ns between two paths can show in one process's machine code and not in the
 * next, so one run's |t| is not the whole story: this records every run's max |t| per pair, and
 * how many runs met the goal (every pair, refused and opens, below 4.5; the control above 10).
 * Runs one after another, never in parallel (each takes about 15 s per 10^6 samples).
 *
 *   npm run bench:ct:runs -- [--runs N] [--samples N] [--seed N]
 */
import { spawnSync } from "node:child_process"
import { runBench } from "./lib/cli"
import { runNode, T_CONTROL, T_LEAK } from "./lib/ct-node"
import { round } from "./lib/stats"
import { recordResult } from "./results"

/** Set in a child: run the Node part once and print its result as one JSON line. */
const CHILD = "LATCHKEY_CT_RUN_CHILD"

type Run = { seed: number; max_abs_t: Record<string, number>; seconds: number }

function child(samples: number, seed: number) {
    const node = runNode(samples, seed)
    const max: Record<string, number> = {}
    for (const [name, a] of Object.entries(node.out)) max[name] = a.max_abs_t
    const run: Run = { seed, max_abs_t: max, seconds: round(node.seconds, 1) }
    process.stdout.write(JSON.stringify(run) + "\n")
}

function spawnRun(samples: number, seed: number): Run {
    // the same Node and loader (tsx) as this process, a fresh V8 isolate
    const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], "--samples", String(samples), "--seed", String(seed)], {
        env: { ...process.env, [CHILD]: "1" },
        encoding: "utf8",
        maxBuffer: 1 << 20,
    })
    if (r.status !== 0) throw new Error(`the run with seed ${seed} failed (exit ${r.status}): ${r.stderr.trim().split("\n").slice(-3).join(" / ")}`)
    const last = r.stdout.trim().split("\n").pop() ?? ""
    return JSON.parse(last) as Run
}

runBench("bench:ct:runs", {
    runs: { type: "int", default: 6, min: 1, max: 50, help: "fresh Node processes, one after another" },
    samples: { type: "int", default: 1_000_000, min: 10_000, help: "timing samples per run over the pairs (as bench:ct's --samples)" },
    seed: { type: "int", default: 7, help: "the first run's seed; run i uses seed + i" },
}, async o => {
    if (process.env[CHILD]) return child(o.samples, o.seed)
    const started = Date.now()
    const runs: Run[] = []
    for (let i = 0; i < o.runs; i++) {
        const run = spawnRun(o.samples, o.seed + i)
        runs.push(run)
        const row = Object.entries(run.max_abs_t).map(([n, t]) => `${n.replace(/^wrong_vs_/, "")} ${t}`).join(", ")
        console.log(`ct-runs: seed ${run.seed}: ${row}`)
    }
    const names = Object.keys(runs[0].max_abs_t)
    const pairs = names.filter(n => !n.startsWith("control") && !n.startsWith("null"))
    const refused = pairs.filter(n => n !== "opens_vs_wrong")
    const worst = (n: string) => Math.max(...runs.map(r => r.max_abs_t[n]))
    // the middle run, or the mean of the two middle ones
    const median = (n: string) => {
        const v = runs.map(r => r.max_abs_t[n]).sort((a, b) => a - b)
        return round(v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2)
    }
    const met = (r: Run, of: string[]) => of.every(n => r.max_abs_t[n] < T_LEAK) && r.max_abs_t.control_leaky > T_CONTROL
    const per: Record<string, { median: number; worst: number; runs_above: number }> = {}
    for (const n of names) per[n] = { median: median(n), worst: worst(n), runs_above: runs.filter(r => r.max_abs_t[n] >= T_LEAK).length }
    const result = {
        runs: runs.length,
        samples_per_run: o.samples,
        runs_meeting_goal: runs.filter(r => met(r, pairs)).length,
        runs_meeting_goal_refused: runs.filter(r => met(r, refused)).length,
        pairs: per,
        by_run: runs,
        goal: `every pair (each refused kind vs a wrong code, opens vs wrong) max |t| < ${T_LEAK} in a run, the leaky control > ${T_CONTROL}`,
        method:
            "bench/lib/ct-node.ts (the Node part of bench:ct: the core's step() on a digest, 250 users, dudect with cropped percentiles) " +
            "in a fresh Node process per run (its own JIT), seeds seed..seed+runs-1, one after another",
        seconds: round((Date.now() - started) / 1000, 1),
    }
    recordResult("constant_time_runs", result)
    console.log(
        `ct-runs: ${result.runs_meeting_goal}/${runs.length} runs with every pair below ${T_LEAK}, ` +
            `${result.runs_meeting_goal_refused}/${runs.length} with every refused kind below it; ` +
            `opens vs wrong median ${per.opens_vs_wrong.median}, worst ${per.opens_vs_wrong.worst}; ` +
            `refused kinds worst ${Math.max(...refused.map(worst))}; A/A worst ${worst("null_same_class")}`,
    )
})
