// Bench harness (compiled by DeviceScript, run in the VM by bench/ct.ts): times the lock's real
// keypad path inside the VM, from the '#' key event to the effects at the door: the core's
// submitAttempt (the counter counted), the HMAC-SHA256 of the typed code (@devicescript/crypto,
// as the firmware computes it), then the decision on its digest (findUser over 250 users and
// every effect: latch, tune, counter write, console line, audit entry). The lock and its pairs
// are bench/lib/decision.ts, the very code the Node part times. Whole-millisecond clock, tests and
// classes picked at random per sample; logs the samples; runs until the VM is stopped.
import * as ds from "@devicescript/core"
import { hmac } from "@devicescript/crypto"
import { Bytes, createUserTable, Effect, step } from "../../src/core/index"
import { benchLock, codeOf, configure, enrol, KINDS, TEST_SLOT, typed, USERS } from "../lib/decision"

/** Leaky control verifications per timing sample (one takes well under a millisecond). */
const CONTROL_BATCH = 20
/** Samples per console line. */
const PER_LINE = 16
/** The A/A test and the control come after the pairs. */
const NULL_TEST = KINDS.length
const CONTROL_TEST = KINDS.length + 1

console.log("ct: boot")
const key = hmac("latchkey bench", "sha256", "device key")
function digestOf(code: string): Bytes {
    return hmac(key, "sha256", code)
}
// the table a slot at a time, breathing: 250 HMACs in one go are beyond the VM's opcode budget
const users = createUserTable()
for (let s = 1; s <= USERS; s++) {
    enrol(users, s, digestOf(codeOf(s)))
    if (s % 10 === 0) await ds.sleep(0)
}
const state = benchLock(users)
const testCode = codeOf(TEST_SLOT)
const testDigest = digestOf(testCode)
// the control's first-match loop reads the table's own 8-byte digests (slot s at (s-1)*17+9)
const table = state.users

function randomDigits(n: number): string {
    let s = ""
    for (let i = 0; i < n; i++) s = s + Math.floor(Math.random() * 10)
    return s
}

/** The keypad path: '#' then the digest of what was typed; returns the number of effects. */
function pressHash(now: number): number {
    const first: Effect[] = step(state, { type: "keyDown", key: "#" }, now)
    let n = first.length
    for (const e of first)
        if (e.type === "hash") {
            const d = hmac(key, "sha256", e.code)
            n = n + step(state, { type: "digest", digest: d }, now).length
        }
    return n
}

/** Deliberately leaky: first-match loop over the table, early-exit byte compare. */
function leakyVerify(entry: string): number {
    const d = hmac(key, "sha256", entry)
    for (let s = 0; s < USERS; s++) {
        const o = s * 17 + 9
        let same = true
        for (let i = 0; i < 8; i++)
            if (table[o + i] !== d[i]) {
                same = false
                break
            }
        if (same) return s + 1
    }
    return -1
}

let line = ""
let inLine = 0
let sink = 0
let lastYield = ds.millis()
await ds.sleep(50)
console.log(`ct: ready users=${USERS} tests=${KINDS.length + 2} control_batch=${CONTROL_BATCH}`)
while (true) {
    // ds.sleep(0) resumes inside the same host call (good for timing, but the host's event loop
    // starves): hand control back to the host every 100 ms, outside any timed region
    if (ds.millis() - lastYield > 100) {
        await ds.sleep(5)
        lastYield = ds.millis()
    }
    const test = Math.floor(Math.random() * (KINDS.length + 2))
    const cls = Math.random() < 0.5 ? 0 : 1
    const wrong = "8" + randomDigits(5)
    let entry = wrong
    if (test === CONTROL_TEST) entry = cls === 0 ? codeOf(1 + Math.floor(Math.random() * USERS)) : wrong
    else if (test === NULL_TEST) entry = cls === 0 ? wrong : "9" + randomDigits(5)
    else if (cls === 1) entry = testCode
    if (test !== CONTROL_TEST) {
        configure(state, test === NULL_TEST ? 0 : test, testDigest)
        typed(state, entry, 1000)
    }
    await ds.sleep(0)
    const t0 = ds.millis()
    if (test === CONTROL_TEST) {
        for (let k = 0; k < CONTROL_BATCH; k++) {
            sink = sink + leakyVerify(entry)
            if (k % 4 === 3) await ds.sleep(0) // stay under the VM's InfiniteLoop limit
        }
    } else {
        sink = sink + pressHash(1000)
    }
    await ds.sleep(0)
    const dt = ds.millis() - t0
    line = line + " " + test + "," + cls + "," + dt
    if (++inLine === PER_LINE) {
        console.log("ct:" + line)
        line = ""
        inLine = 0
    }
}
