/** A lock driven like the firmware adapter does, for the core's feature tests (Node). */
import { createHmac } from "node:crypto"
import {
    auditEntryName,
    Bytes,
    createLock,
    createUserTable,
    DEFAULT_POLICY,
    Effect,
    LockEvent,
    LockState,
    lockStatus,
    Policy,
    setUser,
    setUserParam,
    step,
    UserStatus,
    UserType,
} from "../../src/core/index"

export const DEVICE_KEY = "test-device-key"
export const MASTER = "7391"
export const RIG_RECOVERY = "845120379164"

export function hmac(message: string): Uint8Array {
    return createHmac("sha256", DEVICE_KEY).update(message).digest()
}

export function show(e: Effect): string {
    switch (e.type) {
        case "saveCounter":
            return `saveCounter ${e.failures} ${e.served}`
        case "saveUsers":
            return `saveUsers ${e.chunk}`
        case "saveNames":
            return `saveNames ${e.chunk}`
        case "saveMode":
            return `saveMode ${e.mode}`
        case "saveRecovery":
            return `saveRecovery ${e.digest ? "set" : "none"}`
        case "hash":
            return `hash ${e.code}`
        case "latch":
            return e.locked ? "latch locked" : "latch unlocked"
        case "sound":
            return `sound ${e.sound}`
        case "log":
            return `log ${e.message}`
        case "audit":
            return `audit ${auditEntryName(e.kind, e.slot)} ${e.slot}`
        case "alarm":
            return `alarm ${e.alarm}`
        case "lockedOut":
            return "lockedOut"
        case "issueRecovery":
            return "issueRecovery"
        case "factoryReset":
            return "factoryReset"
        case "checkRemote":
            return "checkRemote"
        case "remoteReply":
            return `remoteReply ${e.status}`
        case "remoteAudit":
            return `remoteAudit ${e.segment}`
    }
}

/** Effects but logs and audit entries. */
export function kinds(effects: Effect[]): string[] {
    return effects.filter(e => e.type !== "log" && e.type !== "audit").map(show)
}

export function sounds(effects: Effect[]): string[] {
    return effects.filter(e => e.type === "sound").map(show)
}

export function audits(effects: Effect[]): string[] {
    return effects.filter(e => e.type === "audit").map(show)
}

export function logs(effects: Effect[]): string[] {
    return effects.filter(e => e.type === "log").map(e => (e as { message: string }).message)
}

export interface UserSpec {
    slot: number
    code: string
    type?: UserType
    status?: UserStatus
    /** [offset, bytes, value] parameter writes. */
    params?: [number, number, number][]
}

export class Rig {
    state: LockState
    now = 1000
    history: Effect[] = []
    autoDigest = true
    recovery = RIG_RECOVERY

    constructor(policy: Policy = DEFAULT_POLICY) {
        this.state = createLock(policy, this.now)
    }

    send(event: LockEvent): Effect[] {
        const out = step(this.state, event, this.now)
        this.history.push(...out)
        const all = [...out]
        if (this.autoDigest)
            for (const e of out) {
                if (e.type === "hash") all.push(...this.send({ type: "digest", digest: hmac(e.code) }))
                if (e.type === "issueRecovery")
                    all.push(...this.send({ type: "recoveryIssued", digest: hmac("*" + this.recovery) }))
            }
        return all
    }

    advance(ms: number): this {
        this.now += ms
        return this
    }

    tick(): Effect[] {
        return this.send({ type: "tick" })
    }

    wait(ms: number): Effect[] {
        const out: Effect[] = []
        const end = this.now + ms
        while (this.now + 100 <= end) out.push(...this.advance(100).tick())
        if (this.now < end) out.push(...this.advance(end - this.now).tick())
        return out
    }

    /** Boots with users (the master in slot 1 unless given), a mode and a recovery code. */
    boot(users: UserSpec[] = [], opts: { mode?: number; recovery?: boolean; failures?: number; served?: boolean } = {}): Effect[] {
        const t = createUserTable()
        const all: UserSpec[] = users.some(u => u.slot === 1) ? users : [{ slot: 1, code: MASTER, type: UserType.Programming }, ...users]
        for (const u of all) {
            setUser(t, u.slot, u.type ?? UserType.Unrestricted, u.status ?? UserStatus.OccupiedEnabled, null, hmac(u.code))
            for (const [off, bytes, value] of u.params ?? []) setUserParam(t, u.slot, off, bytes, value)
        }
        return this.bootTable(t, { ...opts, recovery: opts.recovery !== false })
    }

    /** Boots with this user table as it is (an empty slot 1 too); no recovery code unless asked. */
    bootTable(users: Bytes, opts: { mode?: number; recovery?: boolean; failures?: number; served?: boolean } = {}): Effect[] {
        return this.send({
            type: "boot",
            users,
            names: null,
            failures: opts.failures ?? 0,
            served: opts.served ?? true,
            mode: opts.mode ?? 0,
            recovery: opts.recovery ? (hmac("*" + this.recovery) as Bytes) : null,
        })
    }

    press(keys: string): Effect[] {
        const out: Effect[] = []
        for (const key of keys) {
            out.push(...this.send({ type: "keyDown", key }))
            this.advance(50)
            out.push(...this.send({ type: "keyUp", key }))
            this.advance(50)
        }
        return out
    }

    enter(code: string): Effect[] {
        return this.press(code + "#")
    }

    /** Master code, '*', '#': the programming menu. */
    menu(master = MASTER): Effect[] {
        return this.press(master + "*#")
    }

    /** Holds the program button for `ms` (ticking), then releases it. */
    hold(ms: number): Effect[] {
        const out = this.send({ type: "buttonDown" })
        out.push(...this.wait(ms))
        out.push(...this.send({ type: "buttonUp" }))
        return out
    }

    /** Sets the clock to a wall time "YYYY-MM-DDThh:mm[:ss]" (read as UTC = local wall time). */
    clock(wall: string): Effect[] {
        return this.send({ type: "setClock", epochMs: Date.parse(wall + "Z") })
    }

    opened(effects: Effect[]): boolean {
        return effects.some(e => e.type === "latch" && !e.locked)
    }

    status() {
        return lockStatus(this.state, this.now)
    }
}
