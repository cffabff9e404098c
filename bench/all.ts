/**
 * `npm run bench`: every measurement (each its own process), then the table. The
 * timing measurements (brute, ct, ct-runs, latency) run one after the other on a machine as quiet as this
 * run can make it; then footprint, power, writes and fuzz, which measure no time, run side by side.
 *
 *   npm run bench -- [--only ct,ct-runs,brute,latency,remote,footprint,power,writes,fuzz] [--quick] [--docs]
 *
 * --quick runs small versions (a smoke test, not results to quote); --docs rewrites the
 * Measured section of docs/benchmarks.md with the table.
 */
import { spawn } from "node:child_process"
import { join } from "node:path"
import { ROOT } from "../host/paths"
import { runBench, UsageError } from "./lib/cli"
import { printTable, readResults, updateBenchmarksDoc } from "./report"

const STEPS: { name: string; script: string; quick: string[]; parallel: boolean }[] = [
    { name: "brute", script: "brute.ts", quick: ["--quick"], parallel: false },
    { name: "ct", script: "ct.ts", quick: ["--samples", "20000", "--vm-seconds", "8"], parallel: false },
    { name: "ct-runs", script: "ct-runs.ts", quick: ["--runs", "2", "--samples", "20000"], parallel: false },
    { name: "latency", script: "latency.ts", quick: ["--unlocks", "40", "--rapid-unlocks", "10"], parallel: false },
    { name: "remote", script: "remote.ts", quick: ["--commands", "10"], parallel: false },
    { name: "footprint", script: "footprint.ts", quick: ["--harness-seconds", "3"], parallel: true },
    { name: "power", script: "powercut.ts", quick: ["--cuts", "40"], parallel: true },
    { name: "writes", script: "writes.ts", quick: ["--rounds", "2"], parallel: true },
    { name: "fuzz", script: "fuzz.ts", quick: ["--storms", "2000", "--frames", "20000", "--profiles", "500", "--vm-keys", "60", "--vm-frames", "150"], parallel: true },
]

/** Runs one measurement; its output lines are prefixed with its name when others run alongside. */
function run(step: (typeof STEPS)[number], args: string[], prefix: boolean): Promise<boolean> {
    const tsx = join(ROOT, "node_modules", ".bin", "tsx")
    const t0 = Date.now()
    if (!prefix) console.log(`\n== bench: ${step.name} ==`)
    return new Promise(resolve => {
        const p = spawn(tsx, [join(ROOT, "bench", step.script), ...args], { stdio: prefix ? ["ignore", "pipe", "pipe"] : "inherit", cwd: ROOT })
        if (prefix)
            for (const stream of [p.stdout!, p.stderr!]) {
                let rest = ""
                stream.on("data", (d: Buffer) => {
                    const lines = (rest + d.toString()).split("\n")
                    rest = lines.pop() ?? ""
                    for (const l of lines) if (l.trim() && !/^(devicescript-vm: (dis)?connecting|bus: disposing\.)$/.test(l.trim())) console.log(`[${step.name}] ${l}`)
                })
            }
        p.on("exit", code => {
            console.log(`== bench: ${step.name}: ${code === 0 ? "done" : `FAILED (exit ${code})`} in ${Math.round((Date.now() - t0) / 1000)} s`)
            resolve(code === 0)
        })
    })
}

runBench("bench", {
    only: { type: "string", default: STEPS.map(s => s.name).join(","), help: "comma-separated measurements to run" },
    quick: { type: "flag", help: "small versions of everything (smoke test)" },
    docs: { type: "flag", help: "rewrite the Measured section of docs/benchmarks.md afterwards" },
}, async o => {
    const only = o.only.split(",").map(s => s.trim()).filter(Boolean)
    for (const n of only) if (!STEPS.some(s => s.name === n)) throw new UsageError(`--only: unknown measurement "${n}" (one of ${STEPS.map(s => s.name).join(", ")})`)
    const started = Date.now()
    const failed: string[] = []
    const chosen = STEPS.filter(s => only.includes(s.name))
    for (const step of chosen.filter(s => !s.parallel)) if (!(await run(step, o.quick ? step.quick : [], false))) failed.push(step.name)
    const side = chosen.filter(s => s.parallel)
    if (side.length) console.log(`\n== bench: ${side.map(s => s.name).join(", ")} side by side ==`)
    const ok = await Promise.all(side.map(step => run(step, o.quick ? step.quick : [], side.length > 1)))
    side.forEach((s, i) => ok[i] || failed.push(s.name))
    const seconds = (Date.now() - started) / 1000
    console.log(`\n== bench: results (bench/results.json), ${Math.round(seconds)} s in all ==`)
    printTable(readResults())
    if (o.docs) updateBenchmarksDoc(readResults(), "npm run bench", seconds)
    if (failed.length) throw new Error(`failed: ${failed.join(", ")}`)
})
