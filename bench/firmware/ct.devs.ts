// Bench harness (compiled by DeviceScript, run in the VM by bench/ct.ts): times the lock's
// verification path -- HMAC-SHA256(device key, entry) then the core's findSlot over 250 enrolled
// digests -- with the VM's whole-millisecond clock, classes picked at random per sample, and logs
// the samples. Runs until the VM is stopped.
//
// The current core scans every slot in one call, and the VM throws InfiniteLoop after about 180
// slots without a suspension, so 250 slots are scanned as two calls of 125 with an await in
// between (as the 250-user firmware does).
import * as ds from "@devicescript/core"
import { hmac } from "@devicescript/crypto"
import { findSlot, Bytes } from "../../src/core/index"

const USERS = 250
const HALF = 125
/** Leaky control verifications per timing sample (one takes well under a millisecond). */
const CONTROL_BATCH = 20
/** Samples per console line. */
const PER_LINE = 16

console.log("ct: boot")
const key = hmac("latchkey bench", "sha256", "device key")
/** The code of user i (not kept in RAM: the firmware keeps digests only). */
function codeOf(i: number): string {
    return "7" + (10000 + i)
}
// the 250 digests, as two halves (so the heap holds what a 250-user firmware holds: 250 digests)
const first: Bytes[] = []
const second: Bytes[] = []
for (let i = 0; i < USERS; i++) (i < HALF ? first : second).push(hmac(key, "sha256", codeOf(i)))

function randomDigits(n: number): string {
    let s = ""
    for (let i = 0; i < n; i++) s = s + Math.floor(Math.random() * 10)
    return s
}

async function verify(entry: string): Promise<number> {
    const d = hmac(key, "sha256", entry)
    const a = findSlot(d, first)
    await ds.sleep(0)
    const b = findSlot(d, second)
    const bAt = b + HALF
    // pick without branching on the secret: a if a >= 0, else bAt if b >= 0, else -1
    const aHit = (a >> 31) + 1
    const bHit = (b >> 31) + 1
    return aHit * a + (1 - aHit) * (bHit * bAt + (1 - bHit) * -1)
}

/** Deliberately leaky: first-match loop, early-exit byte compare. */
function leakyVerify(entry: string): number {
    const d = hmac(key, "sha256", entry)
    for (let s = 0; s < USERS; s++) {
        const slot = s < HALF ? first[s] : second[s - HALF]
        let same = true
        for (let i = 0; i < 32; i++)
            if (slot[i] !== d[i]) {
                same = false
                break
            }
        if (same) return s
    }
    return -1
}

let line = ""
let inLine = 0
let sink = 0
let lastYield = ds.millis()
await ds.sleep(50)
console.log(`ct: ready users=${USERS} control_batch=${CONTROL_BATCH}`)
while (true) {
    // ds.sleep(0) resumes inside the same host call (good for timing, but the host's event loop
    // starves): hand control back to the host every 100 ms, outside any timed region
    if (ds.millis() - lastYield > 100) {
        await ds.sleep(5)
        lastYield = ds.millis()
    }
    // test 0: a stored code (random slot) vs a random wrong code; test 1: 4 vs 8 digits (wrong);
    // test 2: the leaky control, stored code vs random wrong code
    const test = Math.floor(Math.random() * 3)
    const cls = Math.random() < 0.5 ? 0 : 1
    let entry = ""
    if (test === 1) entry = cls === 0 ? "8" + randomDigits(3) : "8" + randomDigits(7)
    else entry = cls === 0 ? codeOf(Math.floor(Math.random() * USERS)) : "8" + randomDigits(5)
    await ds.sleep(0)
    const t0 = ds.millis()
    if (test === 2) {
        for (let k = 0; k < CONTROL_BATCH; k++) {
            sink = sink + leakyVerify(entry)
            if (k % 4 === 3) await ds.sleep(0) // stay under the VM's InfiniteLoop limit
        }
    } else {
        sink = sink + (await verify(entry))
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
