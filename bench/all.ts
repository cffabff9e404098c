/**
 * `npm run bench`: every measurement of issue 7 in turn (each its own process), then the table.
 *
 *   npm run bench -- [--only ct,brute,latency,footprint,power,fuzz] [--quick] [--readme]
 *
 * --quick runs small versions (a smoke test, not results to quote); --readme rewrites the
 * Measured section of README.md with the table.
 */
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { ROOT } from "../sim/paths"
import { runBench, UsageError } from "./lib/cli"
import { printTable, readResults, updateReadme } from "./report"

const STEPS: { name: string; script: string; quick: string[] }[] = [
    { name: "brute", script: "brute.ts", quick: ["--quick"] },
    { name: "ct", script: "ct.ts", quick: ["--samples", "20000", "--vm-seconds", "8"] },
    { name: "latency", script: "latency.ts", quick: ["--unlocks", "40"] },
    { name: "footprint", script: "footprint.ts", quick: ["--harness-seconds", "3"] },
    { name: "power", script: "powercut.ts", quick: ["--cuts", "40"] },
    { name: "fuzz", script: "fuzz.ts", quick: ["--storms", "2000", "--frames", "20000", "--profiles", "500", "--vm-keys", "60", "--vm-frames", "150"] },
]

runBench("bench", {
    only: { type: "string", default: STEPS.map(s => s.name).join(","), help: "comma-separated measurements to run" },
    quick: { type: "flag", help: "small versions of everything (smoke test)" },
    readme: { type: "flag", help: "rewrite the Measured section of README.md afterwards" },
}, async o => {
    const only = o.only.split(",").map(s => s.trim()).filter(Boolean)
    for (const n of only) if (!STEPS.some(s => s.name === n)) throw new UsageError(`--only: unknown measurement "${n}" (one of ${STEPS.map(s => s.name).join(", ")})`)
    const started = Date.now()
    const failed: string[] = []
    const tsx = join(ROOT, "node_modules", ".bin", "tsx")
    for (const step of STEPS.filter(s => only.includes(s.name))) {
        const t0 = Date.now()
        console.log(`\n== bench: ${step.name} ==`)
        const r = spawnSync(tsx, [join(ROOT, "bench", step.script), ...(o.quick ? step.quick : [])], { stdio: "inherit", cwd: ROOT })
        console.log(`== bench: ${step.name}: ${r.status === 0 ? "done" : `FAILED (exit ${r.status})`} in ${Math.round((Date.now() - t0) / 1000)} s`)
        if (r.status !== 0) failed.push(step.name)
    }
    const seconds = (Date.now() - started) / 1000
    console.log(`\n== bench: results (bench/results.json), ${Math.round(seconds)} s in all ==`)
    printTable(readResults())
    if (o.readme) updateReadme(readResults(), "npm run bench", seconds)
    if (failed.length) throw new Error(`failed: ${failed.join(", ")}`)
})
