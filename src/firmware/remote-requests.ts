/**
 * A companion's sealed command, from its arrival at the service to its answer. The caller (the
 * service's fiber) waits in runRemoteCommand; the lock's queue checks the command ("checkRemote"),
 * carries it out and answers it (answerRemote). One command waits at a time; the flood limits
 * (./flood.ts) refuse the others Busy, unchecked.
 */
import * as ds from "@devicescript/core"
import { LockEvent, STATUS_BUSY, STATUS_INVALID, STATUS_OK, STATUS_REFUSED } from "../core/index"
import { checkSealed, RemoteVerdict, sealReply } from "./remote"
import { refuseFlood, takeRemoteToken } from "./flood"

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
export function takePosted() {
    current = posted.length > 0 ? posted.shift() : null
}

/** Answers the companion command being carried out (the answer is sealed with its key). */
export function answerRemote(status: number, plain: Buffer) {
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
 * A flash write failed while the current command (if any) was being carried out: it gets no other
 * answer. Refused "outcome unknown" once checked; Busy (not carried out) if never checked.
 */
export function answerWriteFailed() {
    if (current) answerRemote(current.checked ? STATUS_REFUSED : STATUS_BUSY, current.checked ? Buffer.from("outcome unknown: a flash write failed") : null)
}

/**
 * The answer to "checkRemote": checks the current command (decrypt, nonce, counter) and returns
 * the "remoteResult" for the core. A refusal is answered now; an authentic command once the core
 * has carried it out. A command its caller gave up on is never checked (Busy).
 */
export async function checkRemoteRequest(): Promise<LockEvent> {
    const r = current
    const live = r && !r.abandoned
    if (live) r.checked = true
    const verdict: RemoteVerdict = live ? await checkSealed(r.counter, r.keyId, r.sealed) : { status: STATUS_BUSY, action: "none", args: null }
    if (verdict.status !== STATUS_OK) answerRemote(verdict.status, null)
    return {
        type: "remoteResult",
        ok: verdict.status === STATUS_OK,
        action: verdict.action as any,
        keyId: r ? r.keyId : 0,
        args: verdict.args,
    }
}

/**
 * Runs a companion's sealed command through the lock: `attempt` queues its "remoteAttempt"
 * (counted as an attempt and saved first, then checked, then carried out). Resolves with the
 * CommandStatus for the service's report. Busy always means "not carried out": a command the
 * queue has not begun to check within REMOTE_CHECK_WAIT_MS is abandoned (never checked); one
 * being checked is waited for, up to REMOTE_DONE_WAIT_MS, and past that answered Refused "outcome
 * unknown" (never Busy, which the companion would send again).
 */
export async function runRemoteCommand(counter: number, keyId: number, sealed: Buffer, attempt: () => void): Promise<[number, Buffer]> {
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
        attempt()
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
