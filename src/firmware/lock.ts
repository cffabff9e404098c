/**
 * The firmware's one moving part: turns Jacdac events into core events, feeds them to the pure
 * core one at a time from a single queue, and applies the core's effects in order (a flash write
 * completes before the next effect starts, so the failure counter is on flash before a code is
 * checked).
 *
 * Seam for other inputs: `post(event)` queues any core event. Only authenticated paths may post
 * "setClock", "remote" or "setUserName": in the shipping firmware that is the companion's sealed
 * commands (runRemoteCommand); the test build adds a clock (./testclock.ts).
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
    AUDIT_KEY_SEGMENT,
    STATUS_BUSY,
    STATUS_INVALID,
    STATUS_OK,
    STATUS_REFUSED,
    userCount,
} from "../core/index"
import { reportAlarm, reportAudit, reportPowerCycled, startLatchkeyService } from "./service"
import { checkSealed, loadCompanions, notePresence, RemoteVerdict, sealReply, wipeCompanions } from "./remote"
import { PROFILE } from "../config/profile.g"
import { driveLatch, keepLatchDriven, keypad, playSound, programButton } from "./hardware"
import { watchDoor } from "./door"
import { appendEntry, auditChainKey, auditFlushDue, flushAudit, resetAuditLog, startAuditLog } from "./auditlog"
import {
    currentMeta,
    loadCounter,
    loadKeyAndMeta,
    loadAuditSegment,
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
        doorAjarMs: Math.round(p.timing.doorAjarSeconds * 1000),
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
        } else if (e.type === "saveUsers") {
            await saveUserChunk(e.chunk, e.data)
        } else if (e.type === "saveNames") {
            await saveNameChunk(e.chunk, e.data)
        } else if (e.type === "saveMode") {
            await saveMode(e.mode)
        } else if (e.type === "saveRecovery") {
            await saveRecovery(e.digest)
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
            const verdict: RemoteVerdict = r ? await checkSealed(r.counter, r.keyId, r.sealed) : { status: STATUS_BUSY, action: "none", args: null }
            // a refusal is answered now; an authentic command once the core has carried it out
            if (r && verdict.status !== STATUS_OK) r.status = verdict.status
            queue.unshift({
                type: "remoteResult",
                ok: verdict.status === STATUS_OK,
                action: verdict.action as any,
                keyId: r ? r.keyId : 0,
                args: verdict.args,
            })
        } else if (e.type === "remoteReply") {
            answerRemote(e.status, e.detail ? Buffer.from(e.detail as any) : null)
        } else if (e.type === "remoteAudit") {
            // what is on flash is what is read: the segment in RAM goes there first
            await flushAudit()
            answerRemote(STATUS_OK, e.segment === AUDIT_KEY_SEGMENT ? auditChainKey() : await loadAuditSegment(e.segment))
        } else if (e.type === "issueRecovery") {
            issueRecovery()
        } else if (e.type === "factoryReset") {
            await wipeAll()
            await wipeCompanions()
            resetAuditLog()
            halted = false
        }
    }
}

/** The companion command being checked (one at a time). */
interface RemoteRequest {
    counter: number
    keyId: number
    sealed: Buffer
    /** CommandStatus once answered; -1 before. */
    status: number
    /** The sealed answer (empty: none). */
    detail: Buffer
    /** The service's fiber, suspended until the answer is ready. */
    waiting: ds.Fiber
}
let remote: RemoteRequest = null

/** Answers the companion command being carried out (the answer is sealed with its key). */
function answerRemote(status: number, plain: Buffer) {
    const r = remote
    if (!r || r.status >= 0) return
    r.detail = status === STATUS_OK || status === STATUS_INVALID || status === STATUS_REFUSED ? sealReply(r.keyId, r.counter, plain) : Buffer.alloc(0)
    r.status = status
    if (r.waiting && r.waiting.suspended) r.waiting.resume(null)
}

/**
 * Runs a companion's sealed command through the lock: counted as an attempt (and saved) first,
 * then checked, then carried out. Resolves with the CommandStatus for the service's report.
 */
export async function runRemoteCommand(counter: number, keyId: number, sealed: Buffer): Promise<[number, Buffer]> {
    if (remote || halted) return [STATUS_BUSY, Buffer.alloc(0)]
    const r: RemoteRequest = { counter: counter, keyId: keyId, sealed: sealed, status: -1, detail: Buffer.alloc(0), waiting: null }
    remote = r
    try {
        await post({ type: "remoteAttempt" })
        // answered by now, unless another event was being handled: then wait to be woken
        if (r.status < 0) {
            r.waiting = ds.Fiber.self()
            await ds.suspend(3000)
        }
        return r.status < 0 ? [STATUS_BUSY, Buffer.alloc(0)] : [r.status, r.detail]
    } finally {
        remote = null
    }
}

/** Nothing typed or being checked: a batched audit write may happen now. */
function idle(): boolean {
    return state.pending === "" && state.entry.length === 0 && state.star === STAR_NONE
}

/** Queues an event; the first caller drains the queue, later ones just leave theirs behind. */
export async function post(ev: LockEvent) {
    queue.push(ev)
    if (draining) return
    draining = true
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
    await post({ type: "setClock", epochMs: epochMs })
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
    await post({
        type: "boot",
        users: users,
        names: names,
        failures: counter.failures,
        served: counter.served,
        mode: meta.mode,
        recovery: meta.recovery,
    })
    startLatchkeyService(() => lockStatus(state, ds.millis()))
    // after the service's first announce (every 500 ms), so peers know the device before the event
    setTimeout(reportPowerCycled, 1200)
    const st = lockStatus(state, ds.millis())
    console.log(
        `lock: ready (${st.setup ? "setup mode: press the program button" : "locked"}; failures ${st.failures}; mode ${modeName(st.mode)})`
    )

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
    watchDoor(async open => {
        await post({ type: "door", open: open })
    })
    setInterval(async () => {
        if (queue.length === 0) await post({ type: "tick" })
    }, TICK_MS)
}
