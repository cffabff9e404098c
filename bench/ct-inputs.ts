/**
 * Where the Node timing test's false positives come from (bench:ct's A/A test above 4.5 in the
 * p99-p90 crops): A/A variants of the same core decision (a wrong code, the lock of the pair
 * "disabled"), interleaved at random like bench:ct, that differ only in which Buffer objects each
 * class's inputs are: two pools allocated alternately (as bench:ct), one pool shared by both
 * classes (the label is a bare coin), two pools allocated apart, one fixed code for class 1, and
 * the last two copied into a fresh Buffer before each sample (outside the timed region).
 * Prints max |t| over the crops per variant. Not part of bench:ct; no result is recorded.
 *
 *   npx tsx bench/ct-inputs.ts [seed] [samples per variant]
 */
import { createUserTable } from "../src/core/index"
import { digestOf } from "./lib/adapters"
import { benchLock, codeOf, configure, enrol, decide, reset, USERS } from "./lib/decision"
import { percentile, Rng, round, welchTOf } from "./lib/stats"
const CROPS = [100, 99.9, 99, 95, 90, 75, 50]
function analyse(times: number[], classes: number[]) {
    const sorted = Float64Array.from(times).sort()
    const by: Record<string, number> = {}
    let max = 0
    for (const p of CROPS) {
        const cut = percentile(sorted, p)
        const a: number[] = [], b: number[] = []
        for (let i = 0; i < times.length; i++) if (times[i] <= cut) (classes[i] === 0 ? a : b).push(times[i])
        const t = welchTOf(a, b)
        by[p === 100 ? "raw" : `p${p}`] = round(t, 1)
        max = Math.max(max, Math.abs(t))
    }
    return { max: round(max, 2), by }
}
const seed = Number(process.argv[2] ?? 7)
const perTest = Number(process.argv[3] ?? 300000)
const rng = new Rng(seed)
const key = Buffer.from(rng.bytes(32))
const digest = (c: string) => digestOf(key, c)
const table = createUserTable()
for (let s = 1; s <= USERS; s++) enrol(table, s, digest(codeOf(s)))
const state = benchLock(table)
const wrong = () => digest("9" + rng.digits(5))
const N = 4096
const alt: [Buffer[], Buffer[]] = [[], []]
for (let i = 0; i < N; i++) { alt[0].push(Buffer.from(wrong())); alt[1].push(Buffer.from(wrong())) }
const one: Buffer[] = []
for (let i = 0; i < N; i++) one.push(Buffer.from(wrong()))
const sep: [Buffer[], Buffer[]] = [[], []]
for (let i = 0; i < N; i++) sep[0].push(Buffer.from(wrong()))
for (let i = 0; i < N; i++) sep[1].push(Buffer.from(wrong()))
const fixedWrong = wrong()
const fixed: [Buffer[], Buffer[]] = [[], []]
for (let i = 0; i < N; i++) { fixed[0].push(Buffer.from(wrong())); fixed[1].push(Buffer.from(fixedWrong)) }
const tests: { name: string; input: (cls: number, k: number) => Buffer }[] = [
    { name: "aa_two_pools_alternate (as bench:ct)", input: (c, k) => alt[c][k] },
    { name: "aa_one_pool (label is a bare coin)", input: (_c, k) => one[k] },
    { name: "aa_two_pools_apart", input: (c, k) => sep[c][k] },
    { name: "aa_fixed_wrong (class 1: one wrong code)", input: (c, k) => fixed[c][k] },
    { name: "aa_two_pools_apart_fresh_copy", input: (c, k) => Buffer.from(sep[c][k]) },
    { name: "aa_fixed_wrong_fresh_copy", input: (c, k) => Buffer.from(fixed[c][k]) },
]
const total = perTest * tests.length
const which = new Uint8Array(total), cls = new Uint8Array(total), pick = new Uint16Array(total)
for (let i = 0; i < total; i++) { which[i] = i % tests.length; cls[i] = rng.int(2); pick[i] = rng.int(N) }
for (let i = total - 1; i > 0; i--) { const j = rng.int(i + 1); const w = which[i]; which[i] = which[j]; which[j] = w }
const prep = () => { configure(state, 0, digest(codeOf(137))); reset(state) }
let sink = 0
for (let i = 0; i < 50000; i++) { prep(); sink += decide(state, tests[i % tests.length].input(i & 1, i % N), 5000).length }
const times = new Float64Array(total)
for (let i = 0; i < total; i++) {
    const input = tests[which[i]].input(cls[i], pick[i])
    prep()
    const a = process.hrtime.bigint()
    sink += decide(state, input, 5000).length
    times[i] = Number(process.hrtime.bigint() - a)
}
for (let k = 0; k < tests.length; k++) {
    const tt: number[] = [], cc: number[] = []
    for (let i = 0; i < total; i++) if (which[i] === k) { tt.push(times[i]); cc.push(cls[i]) }
    const r = analyse(tt, cc)
    console.log(`seed ${seed} ${tests[k].name.padEnd(42)} max|t| ${String(r.max).padStart(6)} ${JSON.stringify(r.by)}`)
}
console.log("sink", sink)
