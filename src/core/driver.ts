/**
 * Drives the core the way the firmware does: one queue of events, stepped one at a time; each
 * step's effects taken in order; the answer the core waits for ("digest", "recoveryIssued",
 * "remoteResult") handled before any other queued event.
 *
 * The caller applies each effect it takes (latch, flash writes, sounds, events, ...). "hash" and
 * "issueRecovery" are answered here, through the hooks, as the effect is taken; "checkRemote" is
 * answered by the caller with answerEvent() once it has checked the command.
 *
 * Synchronous callers (rigs, benchmarks) use runQueue(); the firmware, whose writes are awaited,
 * takes events and effects one at a time (takeEvent, stepEvent, takeEffect).
 */
import { Bytes } from "./ct"
import { Policy } from "./policy"
import { step } from "./lock"
import { createLock, Effect, LockEvent, LockState } from "./state"

export interface DriverHooks {
    /** The keyed digest (HMAC-SHA256) of a "hash" effect's message; null: none arrives. */
    digest: (message: string) => Bytes | null
    /** Issues a recovery code (shown once, by the hook) and returns the digest of its recovery message; null: none arrives. */
    recovery: () => Bytes | null
}

export interface CoreDriver {
    state: LockState
    /** Events waiting, next first. */
    queue: LockEvent[]
    /** Effects of the last event stepped; those before `taken` have been taken. */
    effects: Effect[]
    taken: number
    hooks: DriverHooks
}

/** A driver for a new lock (createLock); its first event must be "boot". */
export function createDriver(policy: Policy, now: number, hooks: DriverHooks): CoreDriver {
    return { state: createLock(policy, now), queue: [], effects: [], taken: 0, hooks: hooks }
}

/** Queues an event behind the others. */
export function queueEvent(d: CoreDriver, event: LockEvent) {
    d.queue.push(event)
}

/** Queues the answer to an effect ahead of every other event. */
export function answerEvent(d: CoreDriver, event: LockEvent) {
    d.queue.unshift(event)
}

/** Takes the next queued event (null: none). The caller steps it (stepEvent) or drops it. */
export function takeEvent(d: CoreDriver): LockEvent | null {
    if (d.queue.length === 0) return null
    return d.queue.shift() as LockEvent
}

/** Steps the core with `event` at `now`; any effects of the previous step not taken are dropped. */
export function stepEvent(d: CoreDriver, event: LockEvent, now: number) {
    d.effects = step(d.state, event, now)
    d.taken = 0
}

/**
 * The next effect of the last step, in order (null: none left). A "hash" or "issueRecovery"
 * effect is answered (through the hooks) as it is taken.
 */
export function takeEffect(d: CoreDriver): Effect | null {
    if (d.taken >= d.effects.length) return null
    const e = d.effects[d.taken]
    d.taken++
    if (e.type === "hash") {
        const digest = d.hooks.digest(e.code)
        if (digest) answerEvent(d, { type: "digest", digest: digest })
    } else if (e.type === "issueRecovery") {
        const digest = d.hooks.recovery()
        if (digest) answerEvent(d, { type: "recoveryIssued", digest: digest })
    }
    return e
}

/** Drops the effects of the last step not taken yet (a write they follow did not hold). */
export function dropEffects(d: CoreDriver) {
    d.taken = d.effects.length
}

/**
 * Runs every queued event, and the answers they cause, through the core at `now`: each effect
 * goes to `sink` (if given) with the event that caused it, in order, before the next event is
 * taken. Returns every effect.
 */
export function runQueue(d: CoreDriver, now: number, sink: ((effect: Effect, cause: LockEvent) => void) | null): Effect[] {
    const all: Effect[] = []
    let event = takeEvent(d)
    while (event) {
        stepEvent(d, event, now)
        let e = takeEffect(d)
        while (e) {
            all.push(e)
            if (sink) sink(e, event)
            e = takeEffect(d)
        }
        event = takeEvent(d)
    }
    return all
}
