/**
 * The firmware's one moving part: turns Jacdac events into core events, feeds them to the pure
 * core one at a time from a single queue, and applies the core's effects in order (a flash write
 * completes before the next effect starts, so the failure counter is on flash before a code is
 * checked).
 *
 * Seam for other inputs: `post(event)` queues any core event. Only authenticated paths may post
 * "setClock", "remote" or "setUserName" (the shipping firmware has none yet; the test build adds
 * a clock, see ./testclock.ts).
 */
import * as ds from "@devicescript/core"
import { randomBuffer } from "@devicescript/crypto"
import {
    createLock,
    createNameTable,
    createUserTable,
    Effect,
    loadNameChunk,
    loadUserChunk,
    LockEvent,
    LockState,
    lockStatus,
    modeName,
    Policy,
    RECOVERY_LENGTH,
    recoveryMessage,
    step,
    STAR_NONE,
    STATUS_BUSY,
    STATUS_REFUSED,
    userCount,
} from "../core/index"
import { reportAlarm, reportAudit, reportPowerCycled, startLatchkeyService } from "./service"
import { checkSealed, loadCompanions, notePresence, wipeCompanions } from "./remote"
import { PROFILE } from "../config/profile.g"
import { driveLatch, keepLatchDriven, keypad, playSound, programButton } from "./hardware"
import { appendEntry, auditFlushDue, flushAudit, resetAuditLog, startAuditLog } from "./auditlog"
import {
    currentMeta,
    loadCounter,
    loadKeyAndMeta,
    loadNameChunks,
    loadUserChunks,
    mac,
    metaWasLost,
    saveCounter,
    saveMeta,
    saveMode,
    saveNameChunk,
    saveRecovery,
    saveUserChunk,
    wipeAll,
} from "./store"

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
        menuTimeoutMs: Math.round(p.timing.menuTimeoutSeconds * 1000),
        resetHoldMs: Math.round(p.timing.resetHoldSeconds * 1000),
    }
}

let state: LockState
const queue: LockEvent[] = []
let draining = false
/** Set when the failure counter could not be written: the keypad stays refused until restart. */
let halted = false

/** `n` uniformly random decimal digits. */
function randomDigits(n: number): string {
    let s = ""
    while (s.length < n) {
        const b = randomBuffer(16)
        for (let i = 0; i < b.length && s.length < n; i++) if (b[i] < 250) s = s + (b[i] % 10)
    }
    return s
}

/** The recovery code, shown once: the only code the firmware ever prints. */
function issueRecovery() {
    const code = randomDigits(RECOVERY_LENGTH)
    console.log(
        `lock: RECOVERY CODE (shown once, write it down; type * code # at the keypad): ${code.slice(0, 4)} ${code.slice(4, 8)} ${code.slice(8, 12)}`
    )
    // answered before any other queued event
    queue.unshift({ type: "recoveryIssued", digest: mac(recoveryMessage(code)) })
}

/**
 * A flash write the lock relies on did not read back: like a counter that cannot be saved, the
 * keypad stays refused until restart, and nothing after it in this step (tune, log line, event)
 * announces a change that may not be kept.
 */
function writeFailed(what: string) {
    halted = true
    console.log(`lock: flash write failed (${what}): keypad disabled until restart`)
}

async function apply(effects: Effect[]) {
    for (const e of effects) {
        if (e.type === "latch") {
            await driveLatch(e.locked ? PROFILE.latch.lockedAngle : PROFILE.latch.unlockedAngle)
        } else if (e.type === "saveCounter") {
            // like Android's Gatekeeper: no verified record of the attempt, no answer to it
            if (!(await saveCounter({ failures: e.failures, served: e.served }))) return writeFailed("counter")
        } else if (e.type === "saveUsers") {
            if (!(await saveUserChunk(e.chunk, e.data))) return writeFailed("users")
        } else if (e.type === "saveNames") {
            if (!(await saveNameChunk(e.chunk, e.data))) return writeFailed("names")
        } else if (e.type === "saveMode") {
            if (!(await saveMode(e.mode))) return writeFailed("mode")
        } else if (e.type === "saveRecovery") {
            if (!(await saveRecovery(e.digest))) return writeFailed("recovery")
        } else if (e.type === "hash") {
            // answered before any other queued event
            queue.unshift({ type: "digest", digest: mac(e.code) })
        } else if (e.type === "sound") {
            playSound(e.sound)
        } else if (e.type === "log") {
            console.log(`lock: ${e.message}`)
        } else if (e.type === "audit") {
            await appendEntry(e.time, e.kind, e.source, e.slot)
            await reportAudit(e.kind, e.source, e.slot, state.failures)
        } else if (e.type === "alarm") {
            console.log(`lock: alarm ${e.alarm}${e.slot > 0 ? " (slot " + e.slot + ")" : ""}`)
            await reportAlarm(e.alarm)
        } else if (e.type === "checkRemote") {
            const r = remote
            const verdict = r ? await checkSealed(r.counter, r.keyId, r.sealed) : { status: STATUS_BUSY, action: "none" }
            if (r) r.status = verdict.status
            // authentic, but an unprovisioned lock never opens: say so (the core refuses it too)
            if (r && verdict.status === 0 && verdict.action === "unlock" && lockStatus(state, ds.millis()).setup)
                r.status = STATUS_REFUSED
            queue.unshift({ type: "remoteResult", ok: verdict.status === 0, action: verdict.action as any, keyId: r ? r.keyId : 0 })
        } else if (e.type === "issueRecovery") {
            issueRecovery()
        } else if (e.type === "factoryReset") {
            const wiped = await wipeAll()
            await wipeCompanions()
            resetAuditLog()
            halted = false
            if (!wiped) return writeFailed("device key")
        }
    }
}

/** The companion command being checked (one at a time). */
interface RemoteRequest {
    counter: number
    keyId: number
    sealed: Buffer
    status: number
}
let remote: RemoteRequest = null

/**
 * Runs a companion's sealed command through the lock: counted as an attempt (and saved) first,
 * then checked, then carried out. Resolves with the CommandStatus for the service's report.
 */
export async function runRemoteCommand(counter: number, keyId: number, sealed: Buffer): Promise<number> {
    if (remote || halted) return STATUS_BUSY
    const r: RemoteRequest = { counter: counter, keyId: keyId, sealed: sealed, status: -1 }
    remote = r
    try {
        post({ type: "remoteAttempt" })
        for (let waited = 0; r.status < 0 && waited < 3000; waited += 5) await ds.sleep(5)
        return r.status < 0 ? STATUS_BUSY : r.status
    } finally {
        remote = null
    }
}

/** Nothing typed or being checked: a batched audit write may happen now. */
function idle(): boolean {
    return state.pending === "" && state.entry.length === 0 && state.star === STAR_NONE
}

/**
 * Queues an event and returns at once; the queue is drained by a fiber of its own. (A DeviceScript
 * event handler runs one call at a time, and events that arrive while it runs are merged into one,
 * the latest: a key handler that drained the queue itself, flash writes and read-backs included,
 * would lose the keys typed meanwhile.)
 */
export function post(ev: LockEvent) {
    queue.push(ev)
    if (draining) return
    draining = true
    drain.start()
}

async function drain() {
    try {
        while (queue.length > 0) {
            const next = queue.shift()
            if (halted && next.type !== "buttonDown" && next.type !== "buttonUp" && next.type !== "tick") {
                if (next.type === "keyDown") playSound("lockout")
                continue
            }
            await apply(step(state, next, ds.millis()))
            if (auditFlushDue(ds.millis(), idle())) await flushAudit()
        }
    } finally {
        draining = false
    }
}

/**
 * Sets the wall clock (local time, ms since 1970). The seam for an authenticated clock source;
 * until one calls it after each power-on, schedule users are refused.
 */
export async function setClock(epochMs: number) {
    post({ type: "setClock", epochMs: epochMs })
}

/** The wall clock in seconds since 1970 (local time), 0 while not set. */
export function wallClockSeconds(): number {
    return state ? lockStatus(state, ds.millis()).wallSeconds : 0
}

/** Boots the lock: fail secure first, then restore from flash, then listen to the keypad. */
export async function startLock() {
    const policy = policyFromProfile()
    const labels = PROFILE.keypad.labels
    keepLatchDriven()
    state = createLock(policy, ds.millis())
    await driveLatch(PROFILE.latch.lockedAngle)

    const keyKnown = await loadKeyAndMeta()
    // a new device key: nothing on flash made with an old one can be trusted
    if (!keyKnown) await wipeAll()
    const users = createUserTable()
    const names = createNameTable()
    let damaged = 0
    if (keyKnown) {
        damaged += await loadUserChunks((i, d) => loadUserChunk(users, i, d))
        damaged += await loadNameChunks((i, d) => loadNameChunk(names, i, d))
    }
    if (damaged > 0) console.log(`lock: ${damaged} damaged chunk(s) ignored: their slots stay empty`)
    const hasUsers = userCount(users) > 0
    let counter = await loadCounter()
    if (!counter) {
        // missing or damaged while users exist: fail secure, one failure past the free allowance
        counter = hasUsers ? { failures: policy.freeFailures + 1, served: false } : { failures: 0, served: true }
    }
    await startAuditLog()
    await loadCompanions()
    if (metaWasLost() && hasUsers) await saveMeta()
    const meta = currentMeta()
    // drained here, before anything else can post: the boot event is applied when this returns
    queue.push({
        type: "boot",
        users: users,
        names: names,
        failures: counter.failures,
        served: counter.served,
        mode: meta.mode,
        recovery: meta.recovery,
    })
    draining = true
    await drain()
    startLatchkeyService(() => lockStatus(state, ds.millis()))
    // after the service's first announce (every 500 ms), so peers know the device before the event
    setTimeout(reportPowerCycled, 1200)
    const st = lockStatus(state, ds.millis())
    console.log(
        `lock: ready (${st.setup ? "setup mode: press the program button" : "locked"}; failures ${st.failures}; mode ${modeName(st.mode)})`
    )

    keypad.down.subscribe(async i => {
        if (i >= 0 && i < labels.length) post({ type: "keyDown", key: labels[i] })
    })
    keypad.up.subscribe(async i => {
        if (i >= 0 && i < labels.length) post({ type: "keyUp", key: labels[i] })
    })
    programButton.down.subscribe(async () => {
        notePresence()
        post({ type: "buttonDown" })
    })
    programButton.up.subscribe(async () => {
        post({ type: "buttonUp" })
    })
    setInterval(async () => {
        if (queue.length === 0) post({ type: "tick" })
    }, TICK_MS)
}
