/**
 * The real pure core (src/core) driven by the firmware's driver (src/core/driver.ts): one event
 * at a time, effects applied in order, the digest of a "hash" effect answered before any other
 * event, the counter and codes kept on a simulated flash that survives power cuts, and the
 * firmware's boot rule for a missing counter. Used by the brute-force simulator and the fuzzer.
 */
import {
    answerEvent,
    AuditKind,
    AuditSource,
    Bytes,
    CoreDriver,
    createDriver,
    createUserTable,
    Effect,
    loadUserChunk,
    LockEvent,
    LockState,
    lockStatus,
    MASTER_SLOT,
    Policy,
    queueEvent,
    RemoteAction,
    runQueue,
    setUser,
    truncateDigest,
    UserStatus,
    UserType,
    userCount,
} from "../../src/core/index"
import { digestOf } from "./adapters"

export interface CoreFlash {
    /** The user table as the core keeps it (src/core/users.ts), chunks written by "saveUsers". */
    users: Bytes
    /** null = no counter record (never written, or lost). */
    counter: { failures: number; served: boolean } | null
}

export interface CoreLockOptions {
    policy: Policy
    key: Uint8Array
    /** Codes enrolled before the run (plain text; only their digests are stored). */
    codes?: string[]
    now: number
}

export class CoreLock {
    driver!: CoreDriver
    readonly flash: CoreFlash
    readonly policy: Policy
    readonly key: Uint8Array
    /** Latch as last driven. */
    latchOpen = false
    /** Every unlock: when, and the code whose digest opened it. */
    readonly unlocks: { at: number; code: string }[] = []
    /** The code of the last "hash" effect (what the core asked to verify). */
    lastHashed = ""
    /** Counter writes seen (for ordering checks). */
    counterWrites = 0
    /** When set, the digest of the next hash is never delivered (power cut during the HMAC). */
    dropNextDigest = false
    /**
     * The firmware's answer to a "checkRemote" effect (decrypt, nonce, counter: src/firmware/remote.ts).
     * Default: nothing authentic is pending.
     */
    remoteCheck: () => { ok: boolean; action: RemoteAction; keyId: number } = () => ({ ok: false, action: "none", keyId: 0 })
    /** Unlocks answered to a companion command (source "remote"). */
    remoteUnlocks = 0
    private now = 0
    /** The last digest delivered for a "hash" effect, and its code (a forged "digest" event is another object). */
    private delivered: { digest: Bytes; code: string } | null = null

    constructor(o: CoreLockOptions) {
        this.policy = o.policy
        this.key = o.key
        const users = createUserTable()
        // the first code is the master (Programming user), the others Unrestricted users
        ;(o.codes ?? []).forEach((c, i) =>
            setUser(users, MASTER_SLOT + i, i === 0 ? UserType.Programming : UserType.Unrestricted, UserStatus.OccupiedEnabled, null, truncateDigest(digestOf(o.key, c))),
        )
        this.flash = { users, counter: (o.codes ?? []).length ? { failures: 0, served: true } : null }
        this.boot(o.now)
    }

    /** The core's RAM state. */
    get state(): LockState {
        return this.driver.state
    }

    /** Power on: a fresh RAM state, restored from flash with the firmware's rules. */
    boot(now: number): Effect[] {
        this.driver = createDriver(this.policy, now, { digest: code => this.digest(code), recovery: () => null })
        this.delivered = null
        this.latchOpen = false
        const hasCode = userCount(this.flash.users) > 0
        let counter = this.flash.counter
        // src/firmware/lock.ts startLock: missing/damaged counter with codes = one failure past the allowance
        if (!counter) counter = hasCode ? { failures: this.policy.freeFailures + 1, served: false } : { failures: 0, served: true }
        return this.send(
            {
                type: "boot",
                users: Uint8Array.from(this.flash.users as Uint8Array),
                names: null,
                failures: counter.failures,
                served: counter.served,
                mode: 0,
                recovery: null,
            },
            now,
        )
    }

    /** Power cut: RAM is gone; flash keeps what was written. */
    powerCut() {
        this.driver.queue.length = 0
        this.delivered = null
    }

    /** Feeds one event (and any digest it causes) through the core; returns every effect applied. */
    send(event: LockEvent, now: number): Effect[] {
        this.now = now
        queueEvent(this.driver, event)
        return runQueue(this.driver, now, (e, cause) => this.apply(e, cause))
    }

    /** The answer to a "hash" effect: the firmware's HMAC, or none (power cut during it). */
    private digest(code: string): Bytes | null {
        this.lastHashed = code
        if (this.dropNextDigest) {
            this.dropNextDigest = false
            return null
        }
        const digest = digestOf(this.key, code)
        this.delivered = { digest, code }
        return digest
    }

    private apply(e: Effect, cause: LockEvent) {
        if (e.type === "saveCounter") {
            this.flash.counter = { failures: e.failures, served: e.served }
            this.counterWrites++
        } else if (e.type === "saveUsers") {
            const first = userCount(this.flash.users) === 0
            loadUserChunk(this.flash.users, e.chunk, e.data)
            // the firmware writes a counter once a lock has users (src/firmware/lock.ts)
            if (first && !this.flash.counter) this.flash.counter = { failures: 0, served: true }
        } else if (e.type === "checkRemote") {
            const v = this.remoteCheck()
            answerEvent(this.driver, { type: "remoteResult", ok: v.ok, action: v.action, keyId: v.keyId })
        } else if (e.type === "audit" && e.kind === AuditKind.Unlock && e.source === AuditSource.Remote) {
            this.remoteUnlocks++
        } else if (e.type === "latch") {
            // an unlock is always the answer to the digest being processed: record whose code it was
            const answered = cause.type === "digest" && this.delivered !== null && cause.digest === this.delivered.digest
            if (!e.locked) this.unlocks.push({ at: this.now, code: answered ? this.delivered!.code : "" })
            this.latchOpen = !e.locked
        }
    }

    lockoutRemainingMs(now: number): number {
        return lockStatus(this.state, now).lockoutRemainingMs
    }

    failures(): number {
        return this.state.failures
    }
}
