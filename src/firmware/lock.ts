/**
 * The firmware's one moving part: turns Jacdac events into core events, feeds them to the pure
 * core one at a time from a single queue, and applies the core's effects in order (a flash write
 * completes before the next effect starts, so the failure counter is on flash before a code is
 * checked).
 */
import * as ds from "@devicescript/core"
import { hmac } from "@devicescript/crypto"
import { createLock, Effect, LockEvent, LockState, Policy, step, lockStatus, STATUS_BUSY, STATUS_REFUSED } from "../core/index"
import { PROFILE } from "../config/profile.g"
import { driveLatch, keepLatchDriven, keypad, playSound, programButton } from "./hardware"
import { loadCodes, loadCounter, loadDeviceKey, saveCodes, saveCounter } from "./store"
import { reportEffect, reportPowerCycled, startLatchkeyService } from "./service"
import { checkSealed, loadCompanions, notePresence } from "./remote"

const TICK_MS = 100

/** The core policy from the board profile (devs.json). */
export function policyFromProfile(): Policy {
    const p = PROFILE
    return {
        minCodeLength: p.codes.minLength,
        maxCodeLength: p.codes.maxLength,
        entryTimeoutMs: Math.round(p.timing.entryTimeoutSeconds * 1000),
        autoRelockMs: Math.round(p.timing.autoRelockSeconds * 1000),
        longPressMs: p.timing.longPressMs,
        setupTimeoutMs: Math.round(p.timing.setupTimeoutSeconds * 1000),
        freeFailures: p.lockout.freeFailures,
        lockoutBaseMs: Math.round(p.lockout.baseSeconds * 1000),
        lockoutMaxMs: Math.round(p.lockout.maxSeconds * 1000),
    }
}

let state: LockState
let deviceKey: Buffer
const queue: LockEvent[] = []
let draining = false
/** Set when the failure counter could not be written: the keypad stays refused until restart. */
let halted = false

/** The companion command being checked (one at a time). */
interface RemoteRequest {
    counter: number
    keyId: number
    sealed: Buffer
    status: number
}
let remote: RemoteRequest = null

async function apply(effects: Effect[]) {
    for (const e of effects) {
        if (e.type === "latch") {
            await driveLatch(e.locked ? PROFILE.latch.lockedAngle : PROFILE.latch.unlockedAngle)
        } else if (e.type === "saveCounter") {
            if (!(await saveCounter({ failures: e.failures, served: e.served }))) {
                // like Android's Gatekeeper: no verified record of the attempt, no answer to it
                halted = true
                console.log("lock: flash write failed: keypad disabled until restart")
                return
            }
        } else if (e.type === "saveCodes") {
            await saveCodes(e.codes)
            // a lock with codes always has a counter on flash; a missing one later means tampering
            await saveCounter({ failures: 0, served: true })
        } else if (e.type === "hash") {
            // answered before any other queued event
            queue.unshift({ type: "digest", digest: hmac(deviceKey, "sha256", e.code) })
        } else if (e.type === "sound") {
            playSound(e.sound)
        } else if (e.type === "checkRemote") {
            const r = remote
            const verdict = r ? await checkSealed(r.counter, r.keyId, r.sealed) : { status: STATUS_BUSY, action: "none" }
            if (r) r.status = verdict.status
            // authentic, but an unprovisioned lock never opens: say so (the core refuses it too)
            if (r && verdict.status === 0 && verdict.action === "unlock" && lockStatus(state, ds.millis()).setup)
                r.status = STATUS_REFUSED
            queue.unshift({ type: "remoteResult", ok: verdict.status === 0, action: verdict.action as any, keyId: r ? r.keyId : 0 })
        } else if (e.type === "log") {
            console.log(`lock: ${e.message}`)
        } else {
            await reportEffect(e)
        }
    }
}

/** Queues an event; the first caller drains the queue, later ones just leave theirs behind. */
async function post(ev: LockEvent) {
    queue.push(ev)
    if (draining) return
    draining = true
    try {
        while (queue.length > 0) {
            const next = queue.shift()
            if (halted) {
                if (next.type === "keyDown") playSound("lockout")
                continue
            }
            await apply(step(state, next, ds.millis()))
        }
    } finally {
        draining = false
    }
}

/**
 * Runs a companion's sealed command through the lock: counted as an attempt (and saved) first,
 * then checked, then carried out. Resolves with the CommandStatus for the service's report.
 */
export async function runRemoteCommand(counter: number, keyId: number, sealed: Buffer): Promise<number> {
    if (remote || halted) return STATUS_BUSY
    const r: RemoteRequest = { counter: counter, keyId: keyId, sealed: sealed, status: -1 }
    remote = r
    try {
        await post({ type: "remoteAttempt" })
        for (let waited = 0; r.status < 0 && waited < 3000; waited += 5) await ds.sleep(5)
        return r.status < 0 ? STATUS_BUSY : r.status
    } finally {
        remote = null
    }
}

/** Boots the lock: fail secure first, then restore from flash, then listen to the keypad. */
export async function startLock() {
    const policy = policyFromProfile()
    const labels = PROFILE.keypad.labels
    keepLatchDriven()
    state = createLock(policy, ds.millis())
    await driveLatch(PROFILE.latch.lockedAngle)

    deviceKey = await loadDeviceKey()
    await loadCompanions()
    const codes = await loadCodes()
    let hasCode = false
    for (const c of codes) if (c) hasCode = true
    let counter = await loadCounter()
    if (!counter) {
        // missing or damaged while codes exist: fail secure, one failure past the free allowance
        counter = hasCode ? { failures: policy.freeFailures + 1, served: false } : { failures: 0, served: true }
    }
    await post({ type: "boot", codes, failures: counter.failures, served: counter.served })
    startLatchkeyService(() => lockStatus(state, ds.millis()))
    // after the service's first announce (every 500 ms), so peers know the device before the event
    setTimeout(reportPowerCycled, 1200)
    const st = lockStatus(state, ds.millis())
    console.log(`lock: ready (${st.setup ? "setup mode: press the program button" : "locked"}; failures ${st.failures})`)

    keypad.down.subscribe(async i => {
        if (i >= 0 && i < labels.length) await post({ type: "keyDown", key: labels[i] })
    })
    keypad.up.subscribe(async i => {
        if (i >= 0 && i < labels.length) await post({ type: "keyUp", key: labels[i] })
    })
    programButton.down.subscribe(async () => {
        notePresence()
        await post({ type: "buttonDown" })
    })
    programButton.up.subscribe(async () => {
        await post({ type: "buttonUp" })
    })
    setInterval(async () => {
        if (queue.length === 0) await post({ type: "tick" })
    }, TICK_MS)
}
