/**
 * The firmware's one moving part: turns Jacdac events into core events, feeds them to the pure
 * core one at a time from a single queue, and applies the core's effects in order (a flash write
 * completes before the next effect starts, so the failure counter is on flash before a code is
 * checked).
 *
 * The queue, the stepping and the answers the core waits for are the core's driver
 * (src/core/driver.ts); this file applies the effects, boots the lock and wires the services.
 *
 * Seam for other inputs: `post(event)` queues any core event. Only authenticated paths may post
 * "setClock", "remote" or "setUserName": in the shipping firmware that is the companion's sealed
 * commands (./remote-requests.ts); the test build adds a clock (./testclock.ts).
 */
import * as ds from "@devicescript/core"
import { randomBuffer } from "@devicescript/crypto"
import {
    answerEvent,
    AuditKind,
    AuditSource,
    Bytes,
    CoreDriver,
    createDriver,
    createNameTable,
    createUserTable,
    dropEffects,
    Effect,
    loadNameChunk,
    loadUserChunk,
    LockEvent,
    LockStatus,
    lockStatus,
    modeName,
    queueEvent,
    RECOVERY_LENGTH,
    recoveryMessage,
    STAR_NONE,
    AUDIT_KEY_SEGMENT,
    STATUS_BUSY,
    STATUS_NO_PRESENCE,
    STATUS_OK,
    STATUS_REFUSED,
    stepEvent,
    takeEffect,
    takeEvent,
    userCount,
} from "../core/index"
import { reportAlarm, reportAudit, reportLockedOut, reportPowerCycled, startLatchkeyService } from "./service"
import { reportJams } from "./latch-monitor"
import { announceAlarm } from "./alarm-listeners"
import { loadCompanions, notePresence, takePresence, wipeCompanions } from "./remote"
import { answerRemote, answerWriteFailed, checkRemoteRequest, clear, handleFrame, takePosted } from "./remote-requests"
import { refuseFlood, takeFloodReport } from "./flood"
import { limitServerPackets } from "./packet-limit"
import { PROFILE } from "../config/profile.g"
import { policyFromProfile } from "../config/policy"
import { driveLatch, keepLatchDriven, keypad, playSound, programButton } from "./hardware"
import { watchDoor } from "./door"
import { reportForeignParts } from "./bus-guard"
import { checkStore, forgetStore, storeCheckDue } from "./tamper"
import { clearStoreLost, compactStore, endBootGuard, markStoreLost, startBootGuard, storeLostMarked } from "./boot-guard"
import { appendEntry, auditChainKey, auditFlushDue, flushAudit, resetAuditLog, startAuditLog } from "./auditlog"
import {
    currentMeta,
    loadCounter,
    loadKeyAndMeta,
    loadAuditSegment,
    loadNameChunks,
    loadUserChunks,
    keyWasLost,
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

let driver: CoreDriver
let draining = false
/** Set when the failure counter could not be written: the keypad stays refused until restart. */
let halted = false
/** A restore is writing the store over the bus (restoreStep): nothing is stepped or written until the restart. */
let restoring = false
/** Longest a restore may take before the lock restarts anyway (and reads whatever the store holds). */
const RESTORE_MS = 120000

/** `n` uniformly random decimal digits. */
function randomDigits(n: number): string {
    let s = ""
    while (s.length < n) {
        const b = randomBuffer(16)
        for (let i = 0; i < b.length && s.length < n; i++) if (b[i] < 250) s = s + (b[i] % 10)
    }
    return s
}

/** Issues the recovery code, shown once (the only code the firmware ever prints); returns its digest. */
function issueRecovery(): Bytes {
    const code = randomDigits(RECOVERY_LENGTH)
    console.log(
        `lock: RECOVERY CODE (shown once, write it down; type * code # at the keypad): ${code.slice(0, 4)} ${code.slice(4, 8)} ${code.slice(8, 12)}`
    )
    return mac(recoveryMessage(code))
}

/**
 * A flash write the lock relies on did not read back: like a counter that cannot be saved, the
 * keypad stays refused until restart, and nothing after it in this step (tune, log line, event)
 * announces a change that may not be kept. Returns false (the rest of the step is dropped).
 */
function writeFailed(what: string): boolean {
    halted = true
    console.log(`lock: flash write failed (${what}): keypad disabled until restart`)
    answerWriteFailed()
    return false
}

/** Applies every effect of the step just taken, in order, each one finished before the next. */
async function applyEffects() {
    let e = takeEffect(driver)
    while (e) {
        if (!(await apply(e))) {
            dropEffects(driver)
            return
        }
        e = takeEffect(driver)
    }
}

/** Applies one effect; false when a write it makes failed. "hash" and "issueRecovery" are answered by the driver. */
async function apply(e: Effect): Promise<boolean> {
    if (e.type === "latch") {
        await driveLatch(e.locked ? PROFILE.latch.lockedAngle : PROFILE.latch.unlockedAngle)
    } else if (e.type === "saveCounter") {
        // like Android's Gatekeeper: no verified record of the attempt, no answer to it
        if (!(await saveCounter({ failures: e.failures, served: e.served }))) return writeFailed("counter")
    } else if (e.type === "saveUsers") {
        if (!(await saveUserChunk(e.chunk, e.data))) return writeFailed("users")
        // a master code is set again after a loss: the lock is its owner's again
        await clearStoreLost()
    } else if (e.type === "saveNames") {
        if (!(await saveNameChunk(e.chunk, e.data))) return writeFailed("names")
    } else if (e.type === "saveMode") {
        if (!(await saveMode(e.mode))) return writeFailed("mode")
    } else if (e.type === "saveRecovery") {
        if (!(await saveRecovery(e.digest))) return writeFailed("recovery")
    } else if (e.type === "sound") {
        await playSound(e.sound)
    } else if (e.type === "log") {
        console.log(`lock: ${e.message}`)
    } else if (e.type === "audit") {
        await appendEntry(e.time, e.kind, e.source, e.slot)
        await reportAudit(e.kind, e.source, e.slot, driver.state.failures)
    } else if (e.type === "lockedOut") {
        await reportLockedOut(driver.state.failures)
    } else if (e.type === "alarm") {
        console.log(`lock: alarm ${e.alarm}${e.slot > 0 ? " (slot " + e.slot + ")" : ""}`)
        announceAlarm(e.alarm)
        await reportAlarm(e.alarm)
    } else if (e.type === "checkRemote") {
        answerEvent(driver, await checkRemoteRequest())
    } else if (e.type === "remoteReply") {
        answerRemote(e.status, e.detail ? Buffer.from(e.detail as any) : null)
    } else if (e.type === "remoteAudit") {
        // what is on flash is what is read: the segment in RAM goes there first
        await flushAudit()
        answerRemote(STATUS_OK, e.segment === AUDIT_KEY_SEGMENT ? auditChainKey() : await loadAuditSegment(e.segment))
    } else if (e.type === "factoryReset") {
        const wiped = await wipeAll()
        await wipeCompanions()
        forgetStore()
        resetAuditLog()
        halted = false
        if (!wiped) return writeFailed("device key")
    }
    return true
}

/** Audits a flood of refused frames once it is over (or has lasted long). */
async function reportFlood(now: number) {
    const n = takeFloodReport(now)
    if (n === 0) return
    console.log(`lock: flood: ${n} frame(s) to the lock refused (over a throttle, or not authentic)`)
    // RemoteRejected whose slot field holds how many frames were refused (255: that many or more)
    await appendEntry(wallClockSeconds(), AuditKind.RemoteRejected, AuditSource.Remote, n > 255 ? 255 : n)
}

/** The handler for a companion frame (./remote-requests.ts): request bytes in, answer bytes out. */
export async function runRemoteFrame(frame: Buffer): Promise<Buffer> {
    if (halted) return clear(STATUS_BUSY, frame)
    return await handleFrame(frame, postRemoteAttempt)
}

/**
 * The lock service's `restore` command (services/latchkey.md). Step 1: only in setup mode and
 * within the presence window of a program-button press; then the lock stops (no event stepped,
 * no flash write, no store check) while the companion writes the store over the bus. Step 2: the
 * lock restarts and boots from what the store now holds (so does the end of RESTORE_MS).
 */
async function restoreStep(step: number): Promise<number> {
    if (step === 2 && restoring) {
        console.log("lock: restore written: restarting")
        setTimeout(ds.restart, 200)
        return STATUS_OK
    }
    if (step !== 1 || restoring || !lockStatusNow().setup) return STATUS_REFUSED
    if (!takePresence()) return STATUS_NO_PRESENCE
    restoring = true
    halted = true
    console.log("lock: restore: the store is being written over the bus; the lock restarts when it is done")
    setTimeout(ds.restart, RESTORE_MS)
    return STATUS_OK
}

function postRemoteAttempt() {
    post({ type: "remoteAttempt" })
}

/** Settings the lock keeps changed without it (./tamper.ts): the core raises the alarm. */
function storeTampered(names: string[]) {
    console.log(`lock: ${names.join(", ")} changed on flash, not by the lock`)
    post({ type: "storeTampered" })
}

/** Nothing typed or being checked: a batched audit write (or a store check) may happen now. */
function idle(): boolean {
    const state = driver.state
    return state.pending === "" && state.entry.length === 0 && state.star === STAR_NONE
}

/**
 * Queues an event and returns at once; the queue is drained by a fiber of its own. (A DeviceScript
 * event handler runs one call at a time, and events that arrive while it runs are merged into one,
 * the latest: a key handler that drained the queue itself, flash writes and read-backs included,
 * would lose the keys typed meanwhile.)
 */
export function post(ev: LockEvent) {
    queueEvent(driver, ev)
    if (draining) return
    draining = true
    drain.start()
}

async function drain() {
    try {
        while (driver.queue.length > 0) {
            const next = takeEvent(driver)
            const t = next.type
            if (halted && (restoring || (t !== "buttonDown" && t !== "buttonUp" && t !== "tick" && t !== "storeTampered" && t !== "foreignPart"))) {
                if (next.type === "keyDown") await playSound("lockout")
                // a companion command never checked: answered (Busy: not carried out)
                if (next.type === "remoteAttempt") {
                    takePosted()
                    answerRemote(STATUS_BUSY, null)
                }
                continue
            }
            if (next.type === "remoteAttempt") takePosted()
            stepEvent(driver, next, ds.millis())
            await applyEffects()
            await reportFlood(ds.millis())
            if (auditFlushDue(ds.millis(), idle())) await flushAudit()
            if (storeCheckDue(ds.millis()) && idle()) await checkStore(ds.millis(), storeTampered)
        }
    } finally {
        draining = false
    }
}

/**
 * Sets the wall clock (local time, ms since 1970). The seam for an authenticated clock source;
 * until one calls it after each power-on, schedule users are refused.
 */
export function setClock(epochMs: number) {
    post({ type: "setClock", epochMs: epochMs })
}

/** The lock's status now (what the lock service's registers report). */
export function currentStatus(): LockStatus {
    return lockStatusNow()
}

/** The wall clock in seconds since 1970 (local time), 0 while not set. */
export function wallClockSeconds(): number {
    return driver ? lockStatus(driver.state, ds.millis()).wallSeconds : 0
}

function lockStatusNow() {
    return lockStatus(driver.state, ds.millis())
}

async function reportStoreLost() {
    await reportAlarm("StoreLost")
}

function refuseFloodNow() {
    refuseFlood(ds.millis())
}

/** Boots the lock: fail secure first, then restore from flash, then listen to the keypad. */
export async function startLock() {
    const policy = policyFromProfile(PROFILE)
    const labels = PROFILE.keypad.labels
    keepLatchDriven()
    driver = createDriver(policy, ds.millis(), { digest: mac, recovery: issueRecovery })
    await driveLatch(PROFILE.latch.lockedAngle)

    // a key whose read crashed the last boot is deleted, not read (./boot-guard.ts)
    const crashedOn = await startBootGuard()
    const keyKnown = await loadKeyAndMeta()
    // a new device key: nothing on flash made with an old one can be trusted
    if (!keyKnown) {
        await wipeAll()
        // a store that formatted itself may do so at every boot until it collects: make it now
        if (!(await compactStore())) console.log("lock: store compaction did not read back")
    }
    const users = createUserTable()
    const names = createNameTable()
    let damaged = 0
    if (keyKnown) {
        damaged += await loadUserChunks((i, d) => loadUserChunk(users, i, d))
        damaged += await loadNameChunks((i, d) => loadNameChunk(names, i, d))
    }
    if (damaged > 0) console.log(`lock: ${damaged} damaged chunk(s) ignored: their slots stay empty`)
    const lostNow = keyWasLost() || crashedOn !== null || damaged > 0
    const hasUsers = userCount(users) > 0
    let counter = await loadCounter()
    if (!counter) {
        // missing or damaged while users exist: fail secure, one failure past the free allowance
        counter = hasUsers ? { failures: policy.freeFailures + 1, served: false } : { failures: 0, served: true }
    }
    await startAuditLog()
    await loadCompanions()
    await endBootGuard()
    if (lostNow) {
        // the first entry of the log this boot starts: the lock reset itself (source Auto)
        await markStoreLost()
        console.log("lock: STORE LOST: settings this lock had written are gone or damaged (a power cut during a flash write)")
        await appendEntry(0, AuditKind.LockFactoryReset, AuditSource.Auto, 0)
    }
    if (metaWasLost() && hasUsers) await saveMeta(0)
    const meta = currentMeta()
    // drained here, before anything else can post: the boot event is applied when this returns
    queueEvent(driver, {
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
    startLatchkeyService({ status: lockStatusNow, post: post, runFrame: runRemoteFrame, storeLost: storeLostMarked, restore: restoreStep })
    reportForeignParts(part => post({ type: "foreignPart", part: part }))
    limitServerPackets(refuseFloodNow)
    // after the service's first announce (every 500 ms), so peers know the device before the event
    setTimeout(reportPowerCycled, 1200)
    if (lostNow) setTimeout(reportStoreLost, 1300)
    const st = lockStatusNow()
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
        if (driver.queue.length === 0) post({ type: "tick" })
    }, TICK_MS)
}
