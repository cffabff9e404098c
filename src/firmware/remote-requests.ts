/**
 * Companion frames (protocol 2, services/latchkey.md), from their arrival to their answer:
 * handleFrame takes a frame's bytes and resolves with the answer's bytes, whatever carried them
 * (the Jacdac service, or another link). A command is authenticated here, before the lock hears
 * of it: a frame that fails gets the one clear Refused answer and feeds the companion channel's
 * own throttle (core/throttle.ts), never the keypad's failure counter. An authentic
 * command goes to the lock's queue ("remoteAttempt", "checkRemote" carries it out), which answers
 * it (answerRemote), sealed. One command waits at a time; others are refused Busy, unchecked.
 */
import * as ds from "@devicescript/core"
import {
    clearFrame,
    ECHO_BYTES,
    FRAME_COMMAND,
    FRAME_NONCE,
    LockEvent,
    newRemoteThrottle,
    parseCommandFrame,
    parseFrame,
    PROTOCOL_VERSION,
    STATUS_BAD_FRAME,
    STATUS_BUSY,
    STATUS_OK,
    STATUS_REFUSED,
    STATUS_UPDATE_COMPANION,
    throttleAllows,
    throttleFailed,
    throttleSucceeded,
} from "../core/index"
import { Authentic, authenticate, carryOut, issueChallenge, RemoteVerdict, sealAnswer } from "./remote"
import { refuseFlood } from "./flood"

interface RemoteRequest {
    auth: Authentic
    /** CommandStatus once answered; -1 before. */
    status: number
    /** The sealed answer frame. */
    answer: Buffer
    /** The caller's fiber, suspended until the answer is ready. */
    waiting: ds.Fiber
    /** The queue has begun carrying it out: from then on it is answered by the lock, not by a timeout. */
    checked: boolean
    /** Its caller answered Busy before it was carried out: it never is. */
    abandoned: boolean
    /** Its caller has returned: a later answer goes nowhere. */
    left: boolean
}
/** The command whose caller is waiting (one at a time: others are refused Busy). */
let remote: RemoteRequest = null
/** Commands posted whose "remoteAttempt" the queue has not reached yet, oldest first. */
const posted: RemoteRequest[] = []
/**
 * The command the queue is carrying out (taken from `posted` with its "remoteAttempt"): every
 * answer goes to it, even one that comes after its caller has left, so a late answer never
 * reaches a newer command.
 */
let current: RemoteRequest = null
const throttle = newRemoteThrottle()

/** How long a command may wait for the queue to begin carrying it out; then Busy (not carried out). */
const REMOTE_CHECK_WAIT_MS = 3000
/** How long a command being carried out waits for its own answer (flash writes and read-backs included). */
const REMOTE_DONE_WAIT_MS = 60000

/** The queue reached a command's "remoteAttempt": that command is the one answered from now on. */
export function takePosted() {
    current = posted.length > 0 ? posted.shift() : null
}

/** A clear answer to `frame`: the status, then the echo of the request (core/frames.ts echoOf). */
export function clear(status: number, frame: Buffer): Buffer {
    const out = Buffer.from(clearFrame(status))
    // (DeviceScript's slice does not stop at the buffer's end: it pads with zeros)
    return frame && frame.length > 2 ? out.concat(frame.slice(2, Math.min(frame.length, 2 + ECHO_BYTES))) : out
}

/** Answers the companion command being carried out (sealed with its key). */
export function answerRemote(status: number, plain: Buffer) {
    const r = current
    if (!r) return
    current = null
    if (r.status >= 0 || r.left) return
    r.answer = sealAnswer(r.auth, status, plain)
    r.status = status
    if (r.waiting && r.waiting.suspended) r.waiting.resume(null)
}

/**
 * A flash write failed while the current command (if any) was being carried out: it gets no other
 * answer. Refused "outcome unknown" once begun; Busy (not carried out) if not.
 */
export function answerWriteFailed() {
    if (current) answerRemote(current.checked ? STATUS_REFUSED : STATUS_BUSY, current.checked ? Buffer.from("outcome unknown: a flash write failed") : null)
}

/**
 * The answer to "checkRemote": carries out the lock's part of the current (authentic) command
 * (its counter saved, revocations) and returns the "remoteResult" for the core. A command its
 * caller gave up on is never carried out (Busy).
 */
export async function checkRemoteRequest(): Promise<LockEvent> {
    const r = current
    const live = r && !r.abandoned
    if (live) r.checked = true
    const verdict: RemoteVerdict = live ? await carryOut(r.auth) : { status: STATUS_BUSY, action: "none", args: null }
    if (verdict.status !== STATUS_OK) answerRemote(verdict.status, null)
    return {
        type: "remoteResult",
        ok: verdict.status === STATUS_OK,
        action: verdict.action as any,
        keyId: r ? r.auth.keyId : 0,
        args: verdict.args,
    }
}

/**
 * Answers one companion frame (request bytes in, answer bytes out); transport-neutral. `attempt`
 * queues the lock's "remoteAttempt" for an authentic command. A challenge request is answered at
 * once. A command frame: Busy (clear) over the throttle or while another command waits; Refused
 * (clear, the same for every failure) when it does not authenticate; otherwise carried out and
 * answered sealed. Busy always means "not carried out": a command the queue has not begun within
 * REMOTE_CHECK_WAIT_MS is abandoned; one begun is waited for, up to REMOTE_DONE_WAIT_MS, and past
 * that answered Refused "outcome unknown" (never Busy, which the companion would send again).
 */
export async function handleFrame(frame: Buffer, attempt: () => void): Promise<Buffer> {
    const f = parseFrame(frame)
    if (frame && frame.length > 0 && frame[0] !== PROTOCOL_VERSION) return clear(STATUS_UPDATE_COMPANION, frame)
    if (!f) return clear(STATUS_BAD_FRAME, frame)
    const n = f.body.length
    if (f.kind === FRAME_NONCE && n > 0 && n <= ECHO_BYTES) {
        // the challenge, then the request's key id and tag
        const out = Buffer.alloc(2 + 24 + n)
        out[0] = PROTOCOL_VERSION
        out[1] = FRAME_NONCE
        out.blitAt(2, issueChallenge(f.body[0]), 0, 24)
        out.blitAt(26, frame, 2, n)
        return out
    }
    const cf = f.kind === FRAME_COMMAND ? parseCommandFrame(f.body) : null
    if (!cf) return clear(STATUS_BAD_FRAME, frame)
    const now = ds.millis()
    if (remote || !throttleAllows(throttle, now)) {
        refuseFlood(now)
        return clear(STATUS_BUSY, frame)
    }
    const auth = authenticate(cf, now)
    if (!auth) {
        throttleFailed(throttle, now)
        // audited with the flood it belongs to, never on the keypad's counter
        refuseFlood(now)
        return clear(STATUS_REFUSED, frame)
    }
    throttleSucceeded(throttle)
    if (auth.refusal !== "") return sealAnswer(auth, STATUS_REFUSED, Buffer.from(auth.refusal))
    const r: RemoteRequest = { auth: auth, status: -1, answer: null, waiting: null, checked: false, abandoned: false, left: false }
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
            return sealAnswer(auth, STATUS_BUSY, null)
        }
        while (r.status < 0 && ds.millis() - start < REMOTE_DONE_WAIT_MS) await ds.suspend(Math.max(1, REMOTE_DONE_WAIT_MS - (ds.millis() - start)))
        if (r.status < 0) {
            console.log(`lock: command from companion ${auth.keyId} still being carried out: answered "outcome unknown"`)
            return sealAnswer(auth, STATUS_REFUSED, Buffer.from("outcome unknown: still being carried out; check before asking again"))
        }
        return r.answer
    } finally {
        r.left = true
        remote = null
    }
}
