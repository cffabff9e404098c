/**
 * The Node part of the timing-leak test (bench/ct.ts, bench/ct-runs.ts): dudect (Reparaz,
 * Balasch, Verbauwhede 2017) on the core's step() for a code's digest, with 250 users
 * (bench/lib/decision.ts). Every sample picks a test and a class at random, times ONE call with
 * process.hrtime.bigint(), and Welch's t is computed on the raw samples and on percentile-cropped
 * subsets; |t| > T_LEAK = leak. A leaky control and an A/A null test run in the same loop.
 */
import { Bytes, createUserTable } from "../../src/core/index"
import { digestOf, leakyVerifyDigest } from "./adapters"
import { benchLock, codeOf, configure, enrol, decide, KINDS, opens, reset, TEST_SLOT, USERS } from "./decision"
import { percentile, Rng, round, welchTOf } from "./stats"

/** Crop levels: keep samples at or below this percentile of the pooled (both classes) timings. */
export const CROPS = [100, 99.9, 99, 95, 90, 75, 50]
export const T_LEAK = 4.5
export const T_CONTROL = 10
/** The core's clock during the samples (any value: time is an argument). */
const NOW = 5000

interface Test {
    name: string
    what: string
    control?: boolean
    /** An A/A test: not a verdict on the lock, a measure of the harness's noise. */
    null?: boolean
    /** A pair the docs name as not uniform (a code that opens does more than a refused one). */
    known?: boolean
    /** Runs before each sample, outside the timed region. */
    prepare?: () => void
    run: (input: any) => number
    inputs: [any[], any[]]
}

export interface Analysis {
    n: [number, number]
    mean: [number, number]
    t_raw: number
    t_by_crop: Record<string, number>
    max_abs_t: number
}

/** Welch t of class 0 vs class 1, raw and at each crop level. */
export function analyse(times: ArrayLike<number>, classes: ArrayLike<number>, crops = CROPS): Analysis {
    const sorted = Float64Array.from(times).sort()
    const by: Record<string, number> = {}
    let maxAbs = 0
    let n: [number, number] = [0, 0]
    let mean: [number, number] = [0, 0]
    let tRaw = 0
    for (const p of crops) {
        const cut = percentile(sorted, p)
        const a: number[] = []
        const b: number[] = []
        for (let i = 0; i < times.length; i++) if (times[i] <= cut) (classes[i] === 0 ? a : b).push(times[i])
        const t = welchTOf(a, b)
        by[p === 100 ? "raw" : `p${p}`] = round(t, 2)
        if (Math.abs(t) > maxAbs || !isFinite(t)) maxAbs = Math.abs(t)
        if (p === 100) {
            tRaw = t
            n = [a.length, b.length]
            mean = [a.reduce((s, x) => s + x, 0) / a.length, b.reduce((s, x) => s + x, 0) / b.length]
        }
    }
    return { n, mean, t_raw: round(tRaw, 2), t_by_crop: by, max_abs_t: round(maxAbs, 2) }
}

function nodeTests(rng: Rng): Test[] {
    const key = Buffer.from(rng.bytes(32))
    const digest = (code: string) => digestOf(key, code)
    const table = createUserTable()
    for (let s = 1; s <= USERS; s++) enrol(table, s, digest(codeOf(s)))
    const state = benchLock(table)
    const codes = new Set(Array.from({ length: USERS }, (_, i) => codeOf(i + 1)))
    const POOL = 4096
    const wrong = () => {
        for (;;) {
            const c = rng.digits(6)
            if (!codes.has(c)) return c
        }
    }
    // the two classes must differ in the secret only: inputs of both classes are made the same way
    // (fresh pooled Buffers, each the HMAC of a typed code) and allocated alternately, so neither
    // class sits in older or differently laid out memory
    const pair = (f0: () => Buffer, f1: () => Buffer): [Buffer[], Buffer[]] => {
        const a: Buffer[] = []
        const b: Buffer[] = []
        for (let i = 0; i < POOL; i++) {
            a.push(Buffer.from(f0()))
            b.push(Buffer.from(f1()))
        }
        return [a, b]
    }
    const testCode = codeOf(TEST_SLOT)
    const decision = (kind: number) => ({
        prepare: () => {
            configure(state, kind, digest(testCode))
            reset(state)
        },
        run: (d: Bytes) => decide(state, d, NOW).length,
    })
    const tests: Test[] = KINDS.map((kind, k) => ({
        name: kind === "opens" ? "opens_vs_wrong" : `wrong_vs_${kind}`,
        what:
            kind === "opens"
                ? "the right code of an Unrestricted user (opens) vs a wrong code: the core's decision from the digest to its effects"
                : `a wrong code vs the right code of a user refused as ${kind}: the core's decision from the digest to its effects`,
        known: kind === "opens",
        ...decision(k),
        inputs: pair(() => digest(wrong()), () => digest(testCode)),
    }))
    tests.push({
        name: "null_same_class",
        what: "NULL (A/A): both classes are wrong codes drawn alike, through the same decision; the harness's false-positive level on this machine",
        null: true,
        ...decision(0),
        inputs: pair(() => digest(wrong()), () => digest(wrong())),
    })
    // the control: the first-match loop with an early-exit compare (what the Matter reference lock
    // does with memcmp), over the same 250 digests
    const slots = Array.from({ length: USERS }, (_, i) => digest(codeOf(i + 1)))
    tests.push({
        name: "control_leaky",
        what: "CONTROL: first-match loop with early-exit compare over the 250 digests; a stored code vs a wrong code",
        control: true,
        run: (d: Bytes) => leakyVerifyDigest(slots, d),
        inputs: pair(() => digest(codeOf(1 + rng.int(USERS))), () => digest(wrong())),
    })
    // sanity: the decision answers right before anything is timed
    for (let k = 0; k < KINDS.length; k++) {
        configure(state, k, digest(testCode))
        reset(state)
        const opened = opens(decide(state, digest(testCode), NOW))
        if (opened !== (KINDS[k] === "opens")) throw new Error(`the bench lock is wrong: ${KINDS[k]} ${opened ? "opens" : "does not open"}`)
        reset(state)
        if (opens(decide(state, digest(wrong()), NOW))) throw new Error("a wrong code opens the bench lock")
    }
    if (leakyVerifyDigest(slots, digest(codeOf(18))) !== 17) throw new Error("leakyVerifyDigest() is broken")
    return tests
}

export function runNode(samples: number, seed: number) {
    const rng = new Rng(seed)
    const tests = nodeTests(rng)
    const real = tests.filter(t => !t.control && !t.null).length
    // every test gets samples/real samples; the control and the A/A test as many as one real test
    const perTest = Math.ceil(samples / real)
    const total = perTest * tests.length
    const which = new Uint8Array(total)
    const cls = new Uint8Array(total)
    const pick = new Uint16Array(total)
    for (let i = 0; i < total; i++) {
        which[i] = i % tests.length
        cls[i] = rng.int(2)
        pick[i] = rng.int(4096)
    }
    // shuffle the test order too (Fisher-Yates)
    for (let i = total - 1; i > 0; i--) {
        const j = rng.int(i + 1)
        const w = which[i]
        which[i] = which[j]
        which[j] = w
    }
    const times = new Float64Array(total)
    let sink = 0
    // warm-up: let the JIT settle before anything is recorded
    for (let i = 0; i < 50000; i++) {
        const t = tests[i % tests.length]
        t.prepare?.()
        sink += t.run(t.inputs[i & 1][i % 4096])
    }
    const t0 = Date.now()
    for (let i = 0; i < total; i++) {
        const t = tests[which[i]]
        // a fresh copy for each sample, outside the timed region: where a class's Buffers sit in
        // memory otherwise shows up in the timings as a class difference (an A/A test between two
        // pools of wrong codes reached |t| 4-10 in the cropped tests; bench/ct-inputs.ts)
        const input = Buffer.from(t.inputs[cls[i]][pick[i]])
        t.prepare?.()
        const a = process.hrtime.bigint()
        sink += t.run(input)
        const b = process.hrtime.bigint()
        times[i] = Number(b - a)
        if ((i & 0x3ffff) === 0 && i) process.stderr.write(`ct: node ${i}/${total}\n`)
    }
    const seconds = (Date.now() - t0) / 1000
    const out: Record<string, Analysis & { what: string; control: boolean; null?: boolean; known?: boolean }> = {}
    for (let k = 0; k < tests.length; k++) {
        const tt: number[] = []
        const cc: number[] = []
        for (let i = 0; i < total; i++)
            if (which[i] === k) {
                tt.push(times[i])
                cc.push(cls[i])
            }
        out[tests[k].name] = { ...analyse(tt, cc), what: tests[k].what, control: !!tests[k].control, null: !!tests[k].null, known: !!tests[k].known }
    }
    return { out, realSamples: perTest * real, controlSamples: perTest, seconds, sink }
}
