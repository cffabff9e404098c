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
    AuditKind,
    AuditSource,
    createLock,
    createNameTable,
    createUserTable,
    Effect,
    loadNameChunk,
    loadUserChunk,
    LockEvent,
    LockState,
    LockStatus,
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
import { reportAlarm, reportAudit, reportLockedOut, reportPowerCycled, startLatchkeyService } from "./service"
import { reportJams } from "./latch-monitor"
import { announceAlarm } from "./alarm-listeners"
import { checkSealed, loadCompanions, notePresence, RemoteVerdict, sealReply, wipeCompanions } from "./remote"
import { PROFILE } from "../config/profile.g"
import { policyFromProfile } from "../config/policy"
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
    // the companion command of this step gets no other answer: Busy if it was never checked
    if (current) answerRemote(current.checked ? STATUS_REFUSED : STATUS_BUSY, current.checked ? Buffer.from("outcome unknown: a flash write failed") : null)
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
        } else if (e.type === "lockedOut") {
            await reportLockedOut(state.failures)
        } else if (e.type === "alarm") {
            console.log(`lock: alarm ${e.alarm}${e.slot > 0 ? " (slot " + e.slot + ")" : ""}`)
            announceAlarm(e.alarm)
            await reportAlarm(e.alarm)
        } else if (e.type === "checkRemote") {
            const r = current
            // a request its caller gave up on before this point is never checked (nor carried out)
            const live = r && !r.abandoned
            if (live) r.checked = true
            const verdict: RemoteVerdict = live ? await checkSealed(r.counter, r.keyId, r.sealed) : { status: STATUS_BUSY, action: "none", args: null }
            // a refusal is answered now; an authentic command once the core has carried it out
            if (verdict.status !== STATUS_OK) answerRemote(verdict.status, null)
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
            const wiped = await wipeAll()
            await wipeCompanions()
            resetAuditLog()
            halted = false
            if (!wiped) return writeFailed("device key")
        }
    }
}

/**
 * Companion commands checked: REMOTE_BURST at once, then one per REMOTE_REFILL_MS. Each check is
 * a counted attempt (a flash write and its read-back), an audit entry and a bus event; a flood of
 * sealed frames used to queue events until the VM ran out of memory. Commands over the rate (or
 * while one is being checked) are refused Busy at once, unchecked and uncounted as attempts. Each
 * flood (these refusals and the packets dropped by limitServerPackets) is audited once, as
 * RemoteRejected whose slot field holds how many frames were refused (255: that many or more),
 * when it has been quiet for FLOOD_QUIET_MS (and at least every FLOOD_REPORT_MS during one).
 */
// 24: a whole audit read (the chain key and 22 segments) fits in one burst
const REMOTE_BURST = 24
const REMOTE_REFILL_MS = 500
const FLOOD_QUIET_MS = 2000
const FLOOD_REPORT_MS = 60000
let remoteTokens = REMOTE_BURST
let remoteRefillAt = 0
let floodRefused = 0
let floodStartAt = 0
let floodLastAt = 0

function takeRemoteToken(now: number): boolean {
    if (remoteTokens < REMOTE_BURST && now - remoteRefillAt >= REMOTE_REFILL_MS) {
        const n = Math.floor((now - remoteRefillAt) / REMOTE_REFILL_MS)
        remoteTokens = Math.min(REMOTE_BURST, remoteTokens + n)
        remoteRefillAt = remoteRefillAt + n * REMOTE_REFILL_MS
    }
    if (remoteTokens <= 0) return false
    if (remoteTokens === REMOTE_BURST) remoteRefillAt = now
    remoteTokens--
    return true
}

function refuseFlood(now: number) {
    if (floodRefused === 0) floodStartAt = now
    floodRefused++
    floodLastAt = now
}

/**
 * At most SERVER_IN_FLIGHT packets to the lock's own services are handled at once; more are
 * dropped unanswered (and counted with the flood). The runtime starts a fiber for every packet,
 * and a flood of them (any command or register, a few ms apart) piled up fibers waiting on their
 * answers until the 64 KB heap ran out. Jacdac clients ask again.
 */
const SERVER_IN_FLIGHT = 16
let serverInFlight = 0

function limitServerPackets() {
    const d = ds as any
    const inner: (pkt: ds.Packet) => Promise<void> = d._onServerPacket
    if (!inner) return
    d._onServerPacket = async (pkt: ds.Packet) => {
        if (serverInFlight >= SERVER_IN_FLIGHT) {
            refuseFlood(ds.millis())
            return
        }
        serverInFlight++
        try {
            await inner(pkt)
        } finally {
            serverInFlight--
        }
    }
}

/** Audits the flood of refused companion commands once it is over (or has lasted long). */
async function reportFlood(now: number) {
    if (floodRefused === 0 || (now - floodLastAt < FLOOD_QUIET_MS && now - floodStartAt < FLOOD_REPORT_MS)) return
    const n = floodRefused
    floodRefused = 0
    console.log(`lock: flood: ${n} frame(s) to the lock refused unchecked`)
    await appendEntry(wallClockSeconds(), AuditKind.RemoteRejected, AuditSource.Remote, n > 255 ? 255 : n)
}

/** A companion command, from its arrival to its answer. */
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
    /** The queue has begun checking it: from then on it is answered by the lock, not by a timeout. */
    checked: boolean
    /** Its caller answered Busy before it was checked: it is never checked or carried out. */
    abandoned: boolean
    /** Its caller has returned: a later answer goes nowhere. */
    left: boolean
}
/** The command whose caller is waiting (one at a time: others are refused Busy). */
let remote: RemoteRequest = null
/** Commands posted whose "remoteAttempt" the queue has not reached yet, oldest first. */
const posted: RemoteRequest[] = []
/**
 * The command the queue is checking or carrying out (taken from `posted` with its
 * "remoteAttempt"): every answer goes to it, even one that comes after its caller has left, so a
 * late answer never reaches a newer command.
 */
let current: RemoteRequest = null

/** How long a command may wait for the queue to begin checking it; then Busy (not carried out). */
const REMOTE_CHECK_WAIT_MS = 3000
/** How long a checked command waits for its own answer (flash writes and read-backs included). */
const REMOTE_DONE_WAIT_MS = 60000

/** The queue reached a command's "remoteAttempt": that command is the one answered from now on. */
function takePosted() {
    current = posted.length > 0 ? posted.shift() : null
}

/** Answers the companion command being carried out (the answer is sealed with its key). */
function answerRemote(status: number, plain: Buffer) {
    const r = current
    if (!r) return
    current = null
    const detail = status === STATUS_OK || status === STATUS_INVALID || status === STATUS_REFUSED ? sealReply(r.keyId, r.counter, plain) : Buffer.alloc(0)
    if (r.status >= 0 || r.left) return
    r.detail = detail
    r.status = status
    if (r.waiting && r.waiting.suspended) r.waiting.resume(null)
}

/**
 * Runs a companion's sealed command through the lock: counted as an attempt (and saved) first,
 * then checked, then carried out. Resolves with the CommandStatus for the service's report.
 * Busy always means "not carried out": a command the queue has not begun to check within
 * REMOTE_CHECK_WAIT_MS is abandoned (never checked); one being checked is waited for, up to
 * REMOTE_DONE_WAIT_MS, and past that answered Refused "outcome unknown" (never Busy, which the
 * companion would send again).
 */
export async function runRemoteCommand(counter: number, keyId: number, sealed: Buffer): Promise<[number, Buffer]> {
    if (halted) return [STATUS_BUSY, Buffer.alloc(0)]
    if (remote || !takeRemoteToken(ds.millis())) {
        refuseFlood(ds.millis())
        return [STATUS_BUSY, Buffer.alloc(0)]
    }
    const r: RemoteRequest = {
        counter: counter,
        keyId: keyId,
        sealed: sealed,
        status: -1,
        detail: Buffer.alloc(0),
        waiting: null,
        checked: false,
        abandoned: false,
        left: false,
    }
    remote = r
    const start = ds.millis()
    try {
        r.waiting = ds.Fiber.self()
        posted.push(r)
        post({ type: "remoteAttempt" })
        // the queue's own fiber answers (answerRemote), and wakes this one
        if (r.status < 0) await ds.suspend(REMOTE_CHECK_WAIT_MS)
        if (r.status < 0 && !r.checked) {
            r.abandoned = true
            return [STATUS_BUSY, Buffer.alloc(0)]
        }
        while (r.status < 0 && ds.millis() - start < REMOTE_DONE_WAIT_MS) await ds.suspend(Math.max(1, REMOTE_DONE_WAIT_MS - (ds.millis() - start)))
        if (r.status < 0) {
            console.log(`lock: command from companion ${keyId} still being carried out: answered "outcome unknown"`)
            return [STATUS_REFUSED, sealReply(keyId, counter, Buffer.from("outcome unknown: still being carried out; check before asking again"))]
        }
        return [r.status, r.detail]
    } finally {
        r.left = true
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
                // a companion command never checked: answered (Busy: not carried out)
                if (next.type === "remoteAttempt") {
                    takePosted()
                    answerRemote(STATUS_BUSY, null)
                }
                continue
            }
            if (next.type === "remoteAttempt") takePosted()
            await apply(step(state, next, ds.millis()))
            await reportFlood(ds.millis())
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

/** The lock's status now (what the lock service's registers report). */
export function currentStatus(): LockStatus {
    return lockStatus(state, ds.millis())
}

/** The wall clock in seconds since 1970 (local time), 0 while not set. */
export function wallClockSeconds(): number {
    return state ? lockStatus(state, ds.millis()).wallSeconds : 0
}

/** Boots the lock: fail secure first, then restore from flash, then listen to the keypad. */
export async function startLock() {
    const policy = policyFromProfile(PROFILE)
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
    limitServerPackets()
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
    watchDoor(async open => {
        post({ type: "door", open: open })
    })
    reportJams(locked => post({ type: "latchJammed", locked: locked }))
    setInterval(async () => {
        if (queue.length === 0) post({ type: "tick" })
    }, TICK_MS)
}
