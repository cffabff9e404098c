/**
 * A lock driven like the firmware drives it (through src/core/driver.ts), for the cases of
 * test/cases/: events in, effects out, the "hash" effects answered with the host's HMAC over the
 * device key. Written in the DeviceScript subset; everything that may run long is async and lets
 * the runner breathe.
 */
import {
    auditEntryName,
    Bytes,
    CoreDriver,
    createDriver,
    createUserTable,
    DEFAULT_POLICY,
    Effect,
    LockEvent,
    LockState,
    lockStatus,
    LockStatus,
    Policy,
    queueEvent,
    runQueue,
    setUser,
    setUserParam,
    UserStatus,
    UserType,
} from "../../src/core/index"
import { Check } from "./check"
import { bytesText, str } from "./compare"
import { utc } from "./utc"

export const DEVICE_KEY = "test-device-key"
/** The master code (slot 1) the rig boots with unless told otherwise. */
export const MASTER = "7391"
/** The recovery code the rig answers "issueRecovery" with. */
export const RIG_RECOVERY = "845120379164"

/** One effect, short: what the cases compare. */
export function show(e: Effect): string {
    if (e.type === "saveCounter") return `saveCounter ${e.failures} ${str(e.served)}`
    if (e.type === "saveUsers") return `saveUsers ${e.chunk}`
    if (e.type === "saveNames") return `saveNames ${e.chunk}`
    if (e.type === "saveMode") return `saveMode ${e.mode}`
    if (e.type === "saveRecovery") return e.digest ? "saveRecovery set" : "saveRecovery none"
    if (e.type === "hash") return `hash ${e.code}`
    if (e.type === "latch") return e.locked ? "latch locked" : "latch unlocked"
    if (e.type === "sound") return `sound ${e.sound}`
    if (e.type === "log") return `log ${e.message}`
    if (e.type === "audit") return `audit ${auditEntryName(e.kind, e.slot)} ${e.slot}`
    if (e.type === "alarm") return `alarm ${e.alarm}`
    if (e.type === "lockedOut") return "lockedOut"
    if (e.type === "issueRecovery") return "issueRecovery"
    if (e.type === "factoryReset") return "factoryReset"
    if (e.type === "checkRemote") return "checkRemote"
    if (e.type === "remoteReply") return `remoteReply ${e.status}`
    if (e.type === "remoteAudit") return `remoteAudit ${e.segment}`
    return "unknown effect"
}

/** One effect with every field (bytes as decimal numbers): for exact comparisons and secrecy. */
export function full(e: Effect): string {
    if (e.type === "saveCounter") return `saveCounter failures=${e.failures} served=${str(e.served)}`
    if (e.type === "saveUsers") return `saveUsers chunk=${e.chunk} data=${bytesText(e.data)}`
    if (e.type === "saveNames") return `saveNames chunk=${e.chunk} data=${bytesText(e.data)}`
    if (e.type === "saveMode") return `saveMode mode=${e.mode}`
    if (e.type === "saveRecovery") return `saveRecovery digest=${bytesText(e.digest)}`
    if (e.type === "hash") return `hash code=${e.code}`
    if (e.type === "latch") return `latch locked=${str(e.locked)}`
    if (e.type === "sound") return `sound sound=${e.sound}`
    if (e.type === "log") return `log message=${e.message}`
    if (e.type === "audit") return `audit kind=${e.kind} source=${e.source} slot=${e.slot} time=${e.time}`
    if (e.type === "alarm") return `alarm alarm=${e.alarm} slot=${e.slot}`
    if (e.type === "remoteReply") return `remoteReply status=${e.status} detail=${bytesText(e.detail)}`
    if (e.type === "remoteAudit") return `remoteAudit segment=${e.segment}`
    return e.type
}

/** Every effect, short (logs and audit entries too). */
export function shown(effects: Effect[]): string[] {
    const out: string[] = []
    for (const e of effects) out.push(show(e))
    return out
}

/** Effects but logs and audit entries, short. */
export function kinds(effects: Effect[]): string[] {
    const out: string[] = []
    for (const e of effects) if (e.type !== "log" && e.type !== "audit") out.push(show(e))
    return out
}

export function sounds(effects: Effect[]): string[] {
    const out: string[] = []
    for (const e of effects) if (e.type === "sound") out.push(show(e))
    return out
}

export function audits(effects: Effect[]): string[] {
    const out: string[] = []
    for (const e of effects) if (e.type === "audit") out.push(show(e))
    return out
}

/** Audit entries with their source and time: "audit Unlock 2 source 3 time 0". */
export function auditsFull(effects: Effect[]): string[] {
    const out: string[] = []
    for (const e of effects) if (e.type === "audit") out.push(`${show(e)} source ${e.source} time ${e.time}`)
    return out
}

export function logs(effects: Effect[]): string[] {
    const out: string[] = []
    for (const e of effects) if (e.type === "log") out.push(e.message)
    return out
}

export function alarms(effects: Effect[]): string[] {
    const out: string[] = []
    for (const e of effects) if (e.type === "alarm") out.push(e.alarm)
    return out
}

/** The latch moves: "locked" / "unlocked". */
export function latches(effects: Effect[]): string[] {
    const out: string[] = []
    for (const e of effects) if (e.type === "latch") out.push(e.locked ? "locked" : "unlocked")
    return out
}

/** How many effects have this type. */
export function count(effects: Effect[], type: string): number {
    let n = 0
    for (const e of effects) if (e.type === type) n++
    return n
}

/** Whether the latch was driven open. */
export function opened(effects: Effect[]): boolean {
    for (const e of effects) if (e.type === "latch" && !e.locked) return true
    return false
}

/** "opened" or "stayed locked". */
export function openedText(effects: Effect[]): string {
    return opened(effects) ? "opened" : "stayed locked"
}

/** A user the rig boots with: its code is hashed by the host. */
export interface UserSpec {
    slot: number
    code: string
    type?: UserType
    status?: UserStatus
    /** [offset, bytes, value] parameter writes. */
    params?: number[][]
}

export interface BootOptions {
    mode?: number
    /** Boot with the rig's recovery code stored (default: yes for boot(), no for bootTable()). */
    recovery?: boolean
    failures?: number
    served?: boolean
}

/** A status field by name, as text. */
function field(s: LockStatus, name: string): string {
    if (name === "setup") return str(s.setup)
    if (name === "setupStage") return s.setupStage
    if (name === "locked") return str(s.locked)
    if (name === "failures") return str(s.failures)
    if (name === "lockoutRemainingMs") return str(s.lockoutRemainingMs)
    if (name === "entryLength") return str(s.entryLength)
    if (name === "busy") return str(s.busy)
    if (name === "mode") return str(s.mode)
    if (name === "users") return str(s.users)
    if (name === "menu") return s.menu
    if (name === "clockSet") return str(s.clockSet)
    if (name === "door") return s.door
    if (name === "wallSeconds") return str(s.wallSeconds)
    if (name === "hasRecovery") return str(s.hasRecovery)
    return "no such field"
}

/** Every status field. */
export const STATUS_FIELDS =
    "setup setupStage locked failures lockoutRemainingMs entryLength busy mode users menu clockSet door wallSeconds hasRecovery"

/** The named status fields (space separated) as "name=value name=value". */
export function statusText(s: LockStatus, names: string): string {
    const out: string[] = []
    for (const name of names.split(" ")) out.push(`${name}=${field(s, name)}`)
    return out.join(" ")
}

/** A user table with codes[i] in slot i+1 (null: empty): slot 1 Programming, the others Unrestricted. */
export function tableOf(codes: (Bytes | null)[]): Bytes {
    const t = createUserTable()
    for (let i = 0; i < codes.length; i++) {
        const c = codes[i]
        if (c) setUser(t, i + 1, i === 0 ? UserType.Programming : UserType.Unrestricted, UserStatus.OccupiedEnabled, null, c)
    }
    return t
}

/** The code the rig's plainest lock opens with (slot 2; slot 1 empty). */
export const CODE = "7391"
/** A code no user has. */
export const OTHER = "5820"

/** A lock whose only user is CODE in slot 2 (no master in slot 1). */
export function ready(check: Check, policy: Policy = DEFAULT_POLICY): Rig {
    const rig = new Rig(check, policy)
    rig.bootCodes([null, rig.hmac(CODE), null])
    return rig
}

/** The second user of withUser(). */
export const USER = "5820"

/**
 * A lock with the master (MASTER, slot 1), the recovery code and one user (USER, slot 2) of the
 * given type, status and [offset, bytes, value] parameters.
 */
export async function withUser(check: Check, type: UserType = UserType.Unrestricted, status: UserStatus = UserStatus.OccupiedEnabled, params: number[][] = []): Promise<Rig> {
    const rig = new Rig(check)
    await rig.boot([{ slot: 2, code: USER, type: type, status: status, params: params }])
    return rig
}

/**
 * The lock, driven through the core's driver (src/core/driver.ts) as the firmware drives it: each
 * event queued, the answer to a "hash" or "issueRecovery" effect put ahead of every other event.
 */
export class Rig {
    driver: CoreDriver
    /** The driver's lock state (the core changes it in place). */
    state: LockState
    now = 1000
    history: Effect[] = []
    /** Answer "hash" and "issueRecovery" at once, as the adapter does (false: leave them pending). */
    autoDigest = true
    /** The recovery code shown when the lock asks for a new one. */
    recovery = RIG_RECOVERY

    constructor(
        readonly check: Check,
        policy: Policy = DEFAULT_POLICY,
    ) {
        // DeviceScript's arrow functions cannot use `this`: they close over `rig` instead
        const rig = this
        this.driver = createDriver(policy, this.now, {
            digest: (message: string) => (rig.autoDigest ? rig.hmac(message) : null),
            recovery: () => (rig.autoDigest ? rig.hmac("*" + rig.recovery) : null),
        })
        this.state = this.driver.state
    }

    /** HMAC-SHA256 of a message under the device key. */
    hmac(message: string): Bytes {
        return this.check.hmac(DEVICE_KEY, message)
    }

    /** One event at the rig's time; its effects and those of the answers it was given. */
    send(event: LockEvent): Effect[] {
        queueEvent(this.driver, event)
        const all = runQueue(this.driver, this.now, null)
        for (const e of all) this.history.push(e)
        return all
    }

    advance(ms: number): Rig {
        this.now += ms
        return this
    }

    tick(): Effect[] {
        return this.send({ type: "tick" })
    }

    /** Lets `ms` pass in ticks of 100 ms (the adapter's), the last one at exactly now + ms. */
    async wait(ms: number): Promise<Effect[]> {
        const all: Effect[] = []
        const end = this.now + ms
        let ticks = 0
        while (this.now < end) {
            this.now = Math.min(this.now + 100, end)
            for (const e of this.tick()) all.push(e)
            if (++ticks % 20 === 0) await this.check.breathe()
        }
        return all
    }

    /** Boots with users (the master in slot 1 unless given), a mode and the rig's recovery code. */
    async boot(users: UserSpec[], opts: BootOptions = {}): Promise<Effect[]> {
        const t = createUserTable()
        let hasMaster = false
        for (const u of users) if (u.slot === 1) hasMaster = true
        if (!hasMaster) setUser(t, 1, UserType.Programming, UserStatus.OccupiedEnabled, null, this.hmac(MASTER))
        let n = 0
        for (const u of users) {
            const type = u.type === undefined ? UserType.Unrestricted : u.type
            const status = u.status === undefined ? UserStatus.OccupiedEnabled : u.status
            setUser(t, u.slot, type, status, null, this.hmac(u.code))
            if (u.params) for (const p of u.params) setUserParam(t, u.slot, p[0], p[1], p[2])
            if (++n % 25 === 0) await this.check.breathe()
        }
        return this.bootTable(t, {
            mode: opts.mode,
            recovery: opts.recovery !== false,
            failures: opts.failures,
            served: opts.served,
        })
    }

    /** Boots with this user table as it is (an empty slot 1 too); no recovery code unless asked. */
    bootTable(users: Bytes | null, opts: BootOptions = {}): Effect[] {
        return this.send({
            type: "boot",
            users: users,
            names: null,
            failures: opts.failures === undefined ? 0 : opts.failures,
            served: opts.served === undefined ? true : opts.served,
            mode: opts.mode === undefined ? 0 : opts.mode,
            recovery: opts.recovery ? this.hmac("*" + this.recovery) : null,
        })
    }

    /** Boots from a plain list of digests: slot i+1 holds codes[i] (null: empty). */
    bootCodes(codes: (Bytes | null)[], failures: number = 0, served: boolean = true): Effect[] {
        return this.bootTable(tableOf(codes), { failures: failures, served: served })
    }

    /** Each key down then up, 50 ms apart; breathes after a '#' (a code check) and every 8 keys. */
    async press(keys: string): Promise<Effect[]> {
        const all: Effect[] = []
        for (let i = 0; i < keys.length; i++) {
            const key = keys.charAt(i)
            for (const e of this.send({ type: "keyDown", key: key })) all.push(e)
            this.now += 50
            for (const e of this.send({ type: "keyUp", key: key })) all.push(e)
            this.now += 50
            if (key === "#" || i % 8 === 7) await this.check.breathe()
        }
        return all
    }

    /** A code and '#'. */
    async enter(code: string): Promise<Effect[]> {
        return await this.press(code + "#")
    }

    /** Master code, '*', '#': the programming menu. */
    async menu(master: string = MASTER): Promise<Effect[]> {
        return await this.press(master + "*#")
    }

    /** The program button pressed for 100 ms. */
    button(): Effect[] {
        const out = this.send({ type: "buttonDown" })
        this.now += 100
        for (const e of this.send({ type: "buttonUp" })) out.push(e)
        return out
    }

    /** Holds the program button for `ms` (ticking), then releases it. */
    async hold(ms: number): Promise<Effect[]> {
        const out = this.send({ type: "buttonDown" })
        for (const e of await this.wait(ms)) out.push(e)
        for (const e of this.send({ type: "buttonUp" })) out.push(e)
        return out
    }

    /** Sets the wall clock to a UTC wall time (the lock reads it as local time). */
    clock(year: number, month: number, day: number, hour: number, minute: number): Effect[] {
        return this.send({ type: "setClock", epochMs: utc(year, month, day, hour, minute) * 1000 })
    }

    status(): LockStatus {
        return lockStatus(this.state, this.now)
    }

    /** The named status fields (space separated) as "name=value ...". */
    st(names: string): string {
        return statusText(this.status(), names)
    }
}
