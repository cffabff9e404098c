/**
 * constant_time: a dudect-style timing-leak test (Reparaz, Balasch, Verbauwhede 2017) of the
 * lock's verification path with 250 enrolled users: HMAC-SHA256(device key, entry), then the
 * core's findSlot over every slot (bench/lib/adapters.ts).
 *
 * Node: every sample picks a test and a class at random (so drift, GC and other load on the
 * machine fall on both classes alike), times ONE call with process.hrtime.bigint(), and Welch's t
 * is computed on the raw samples and on percentile-cropped subsets; |t| > 4.5 = leak. A
 * deliberately leaky control (first-match loop, early-exit compare) runs in the same loop and
 * must be caught (|t| > 10), proving the harness can see a leak on this machine.
 * VM: build/ct-harness.devs runs the same path inside the DeviceScript VM (2 VMs in parallel)
 * and logs whole-millisecond timings per sample (one full 250-slot verification per sample,
 * 20 verifications per sample for the much faster leaky control).
 *
 *   npm run bench:ct -- [--samples N] [--vm-seconds S] [--vms K] [--seed N]
 */
import { join } from "node:path"
import { ROOT } from "../host/paths"
import { Bytes } from "../src/core/index"
import { digestOf, enrolUsers, leakyVerify, USERS, verify, verifyDigest } from "./lib/adapters"
import { runBench } from "./lib/cli"
import { percentile, pool, Rng, round, welchTOf } from "./lib/stats"
import { barChart, writeSvg } from "./lib/svg"
import { runHarness } from "./lib/vmrun"
import { recordResult } from "./results"

/** Crop levels: keep samples at or below this percentile of the pooled (both classes) timings. */
const CROPS = [100, 99.9, 99, 95, 90, 75, 50]
const T_LEAK = 4.5
const T_CONTROL = 10

interface Test {
    name: string
    what: string
    control?: boolean
    /** An A/A test: not a verdict on the lock, a measure of the harness's noise. */
    null?: boolean
    run: (input: any) => number
    inputs: [any[], any[]]
}

interface Analysis {
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

function nodeTests(rng: Rng): { tests: Test[]; key: Buffer; slots: Buffer[] } {
    const key = Buffer.from(rng.bytes(32))
    const { codes, slots } = enrolUsers(key, USERS, rng)
    const stored = new Set(codes)
    const POOL = 4096
    const wrong = (len: number) => {
        for (;;) {
            const c = rng.digits(len)
            if (!stored.has(c)) return c
        }
    }
    // the two classes must differ in the secret only: inputs of both classes are made the same way
    // (fresh flat strings, fresh pooled Buffers) and allocated alternately, so neither class sits in
    // older or differently represented memory (V8 keeps internalised/cons strings, pool slabs)
    const flat = (x: string) => Buffer.from(x, "latin1").toString("latin1")
    const pair = <T>(f0: () => T, f1: () => T): [T[], T[]] => {
        const a: T[] = []
        const b: T[] = []
        for (let i = 0; i < POOL; i++) {
            a.push(f0())
            b.push(f1())
        }
        return [a, b]
    }
    const str = (f: () => string) => () => flat(f())
    const buf = (f: () => Uint8Array) => () => Buffer.from(f())
    const tests: Test[] = [
        {
            name: "match_vs_wrong",
            what: "a stored code (random slot: the full digest matches) vs a wrong code of the same length",
            run: (e: string) => verify(key, slots, e),
            inputs: pair(str(() => rng.pick(codes)), str(() => wrong(rng.pick(codes).length))),
        },
        {
            name: "prefix_vs_random",
            what: "digest sharing 31 of 32 bytes with a stored one vs a random digest (scan only)",
            run: (d: Bytes) => verifyDigest(slots, d),
            inputs: pair(
                buf(() => {
                    const d = Uint8Array.from(rng.pick(slots))
                    d[31] ^= 1 + rng.int(255)
                    return d
                }),
                buf(() => rng.bytes(32)),
            ),
        },
        {
            name: "length_4_vs_8",
            what: "wrong codes of 4 digits vs 8 digits",
            run: (e: string) => verify(key, slots, e),
            inputs: pair(str(() => wrong(4)), str(() => wrong(8))),
        },
        {
            name: "first_vs_last_slot",
            what: "the code in slot 0 vs the code in slot 249",
            run: (e: string) => verify(key, slots, e),
            inputs: pair(str(() => codes[0]), str(() => codes[USERS - 1])),
        },
        {
            name: "null_same_class",
            what: "NULL (A/A): both classes are wrong codes drawn alike; shows the harness's false-positive level on this machine",
            null: true,
            run: (e: string) => verify(key, slots, e),
            inputs: pair(str(() => wrong(rng.pick(codes).length)), str(() => wrong(rng.pick(codes).length))),
        },
        {
            name: "control_leaky",
            what: "CONTROL: first-match loop with early-exit compare; stored code vs wrong code",
            control: true,
            run: (e: string) => leakyVerify(key, slots, e),
            inputs: pair(str(() => rng.pick(codes)), str(() => wrong(rng.pick(codes).length))),
        },
    ]
    // sanity: the adapters answer right before anything is timed
    if (verify(key, slots, codes[17]) !== 17 || verify(key, slots, wrong(6)) !== -1) throw new Error("verify() is broken")
    if (leakyVerify(key, slots, codes[17]) !== 17) throw new Error("leakyVerify() is broken")
    if (verifyDigest(slots, digestOf(key, codes[3])) !== 3) throw new Error("verifyDigest() is broken")
    return { tests, key, slots }
}

function runNode(samples: number, seed: number) {
    const rng = new Rng(seed)
    const { tests } = nodeTests(rng)
    const real = tests.filter(t => !t.control && !t.null).length
    // every test gets samples/real samples; the control as many as one real test
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
    for (let i = 0; i < 20000; i++) {
        const t = tests[i % tests.length]
        sink += t.run(t.inputs[i & 1][i % 4096])
    }
    const t0 = Date.now()
    for (let i = 0; i < total; i++) {
        const t = tests[which[i]]
        const input = t.inputs[cls[i]][pick[i]]
        const a = process.hrtime.bigint()
        sink += t.run(input)
        const b = process.hrtime.bigint()
        times[i] = Number(b - a)
        if ((i & 0x3ffff) === 0 && i) process.stderr.write(`ct: node ${i}/${total}\n`)
    }
    const seconds = (Date.now() - t0) / 1000
    const out: Record<string, Analysis & { what: string; control: boolean; null?: boolean }> = {}
    for (let k = 0; k < tests.length; k++) {
        const tt: number[] = []
        const cc: number[] = []
        for (let i = 0; i < total; i++)
            if (which[i] === k) {
                tt.push(times[i])
                cc.push(cls[i])
            }
        out[tests[k].name] = { ...analyse(tt, cc), what: tests[k].what, control: !!tests[k].control, null: !!tests[k].null }
    }
    return { out, realSamples: perTest * real, controlSamples: perTest, seconds, sink }
}

async function runVm(seconds: number, vms: number) {
    const names = ["match_vs_wrong", "length_4_vs_8", "control_leaky"]
    const data = names.map(() => ({ t: [] as number[], c: [] as number[] }))
    let ready = ""
    const runs = await pool(
        Array.from({ length: vms }, (_, i) => i),
        vms,
        i =>
            runHarness("ct-harness", seconds, line => {
                if (line.startsWith("ct: ready")) ready = line
                if (!line.startsWith("ct: ")) return
                for (const triple of line.slice(4).trim().split(" ")) {
                    const [test, c, ms] = triple.split(",").map(Number)
                    if (!(test >= 0 && test < names.length) || !(ms >= 0)) continue
                    data[test].t.push(ms)
                    data[test].c.push(c)
                }
            }, { deviceId: `c7000000000000${i.toString(16).padStart(2, "0")}` }),
    )
    const panics = runs.map(r => r.panicked).filter(Boolean)
    if (panics.length) throw new Error(`the VM harness panicked: ${panics[0]}`)
    if (!ready) throw new Error("the VM harness never started (is build/ct-harness.devs up to date? run npm run build)")
    const out: Record<string, Analysis & { control: boolean }> = {}
    names.forEach((n, i) => (out[n] = { ...analyse(data[i].t, data[i].c), control: n.startsWith("control") }))
    return { out, samples: data[0].t.length + data[1].t.length, controlSamples: data[2].t.length }
}

runBench("bench:ct", {
    samples: { type: "int", default: 1_000_000, min: 1000, help: "Node timing samples over the 4 real tests (the control and the A/A null test get as many as one test each)" },
    "vm-seconds": { type: "number", default: 110, min: 0, max: 3600, help: "how long the VM part runs (0 = skip; 110 s gives about dudect's 10^4 samples on 2 cores)" },
    vms: { type: "int", default: 2, min: 1, max: 8, help: "VMs timing in parallel" },
    seed: { type: "int", default: 7, help: "seed of the inputs and the class order" },
}, async o => {
    const started = Date.now()
    console.log(`ct: Node, ${o.samples} samples over 4 tests, + a leaky control and an A/A null test, 250 users ...`)
    const node = runNode(o.samples, o.seed)
    for (const [name, a] of Object.entries(node.out))
        console.log(`ct: node ${name.padEnd(20)} max|t| ${String(a.max_abs_t).padStart(8)}  raw t ${String(a.t_raw).padStart(8)}  means ${round(a.mean[0])} / ${round(a.mean[1])} ns  (n ${a.n[0]}/${a.n[1]})`)
    let vm: Awaited<ReturnType<typeof runVm>> | null = null
    if (o["vm-seconds"] > 0) {
        console.log(`ct: VM, ${o.vms} VMs for ${o["vm-seconds"]} s ...`)
        vm = await runVm(o["vm-seconds"], o.vms)
        for (const [name, a] of Object.entries(vm.out))
            console.log(`ct: vm   ${name.padEnd(20)} max|t| ${String(a.max_abs_t).padStart(8)}  raw t ${String(a.t_raw).padStart(8)}  means ${round(a.mean[0])} / ${round(a.mean[1])} ms  (n ${a.n[0]}/${a.n[1]})`)
    }
    const realMax = (o: Record<string, Analysis & { control: boolean; null?: boolean }>) => Math.max(...Object.values(o).filter(a => !a.control && !a.null).map(a => a.max_abs_t))
    const ctlMax = (o: Record<string, Analysis & { control: boolean }>) => Math.max(...Object.values(o).filter(a => a.control).map(a => a.max_abs_t))
    const maxT = realMax(node.out)
    const ctl = ctlMax(node.out)
    const vmMax = vm ? realMax(vm.out) : null
    const vmCtl = vm ? ctlMax(vm.out) : null
    const goalMet = maxT < T_LEAK && ctl > T_CONTROL && (vm === null || (vmMax! < T_LEAK && vmCtl! > T_CONTROL))
    const result = {
        samples: node.realSamples,
        max_abs_t: maxT,
        control_max_abs_t: ctl,
        vm_samples: vm?.samples ?? 0,
        vm_max_abs_t: vmMax,
        vm_control_max_abs_t: vmCtl,
        null_max_abs_t: node.out.null_same_class.max_abs_t,
        goal: `max |t| < ${T_LEAK} (Node and VM) while the leaky control exceeds ${T_CONTROL}`,
        goal_met: goalMet,
        users: USERS,
        control_samples: node.controlSamples,
        vm_control_samples: vm?.controlSamples ?? 0,
        node_tests: node.out,
        vm_tests: vm?.out ?? null,
        method:
            "dudect: classes and tests interleaved at random per sample; Welch t on raw samples and on subsets cropped at the " +
            "99.9/99/95/90/75/50th percentile of the pooled timings; max |t| over tests and crops. Node: process.hrtime.bigint() " +
            "around one verification. VM: ds.millis() (whole ms) around one verification of 250 slots (two findSlot calls of 125 " +
            "with an await between: one call over 250 slots throws InfiniteLoop in the VM), control batched x20. " +
            "null_same_class is an A/A test (same distribution in both classes): its |t| is the harness's noise floor on this shared machine.",
        node_seconds: round(node.seconds, 1),
        chart: "bench/constant-time.svg",
        seconds: round((Date.now() - started) / 1000, 1),
    }
    recordResult("constant_time", result)
    const bars = [
        ...Object.entries(node.out).map(([n, a]) => ({ label: `Node ${n}`, value: a.max_abs_t, color: a.control ? "#d62728" : a.null ? "#999999" : "#1f77b4" })),
        ...Object.entries(vm?.out ?? {}).map(([n, a]) => ({ label: `VM ${n}`, value: a.max_abs_t, color: a.control ? "#ff7f0e" : "#2ca02c" })),
    ]
    writeSvg(
        join(ROOT, "bench", "constant-time.svg"),
        barChart("Timing leak test (dudect): max |t| per test", "max |Welch t| over raw and cropped subsets", bars,
            [{ at: T_LEAK, label: "4.5: leak" }, { at: T_CONTROL, label: "10" }],
            `Node ${node.realSamples} samples + ${node.controlSamples} control; VM ${vm?.samples ?? 0} + ${vm?.controlSamples ?? 0} control; 250 users`),
    )
    console.log(`ct: max |t| ${maxT} (Node), ${vmMax ?? "-"} (VM); leaky control ${ctl} (Node), ${vmCtl ?? "-"} (VM): ${goalMet ? "goal met" : "GOAL MISSED"}; chart bench/constant-time.svg`)
})
