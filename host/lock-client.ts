/**
 * Host-side client of the lock's own Jacdac service (services/latchkey.md), as any Jacdac peer
 * sees it: registers for the state, events for what happened. Used by the simulator front ends
 * and the tests; it never sees a code.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { EVENT, JDBus, JDEvent, JDService, loadServiceSpecifications } from "jacdac-ts"
import { ROOT } from "./paths"

/** Class identifier from services/latchkey.md. */
export const SRV_LATCHKEY = 0x1c7a3b5e

export const LOCK_STATES = ["NotFullyLocked", "Locked", "Unlocked", "Locking", "Unlocking", "Jammed"]
export const OPERATING_MODES = ["Normal", "Vacation", "Privacy", "NoRemoteLockUnlock", "Passage"]
export const OPERATION_SOURCES = ["Unspecified", "Manual", "ProprietaryRemote", "Keypad", "Auto", "Button", "Schedule", "Remote"]
export const OPERATION_ERRORS: { [code: number]: string } = {
    0: "Unspecified",
    1: "InvalidCredential",
    2: "DisabledUserDenied",
    3: "Restricted",
    5: "LockedOut",
}
export const ALARM_CODES: { [code: number]: string } = {
    0: "LockJammed",
    1: "LockFactoryReset",
    3: "LockRadioPowerCycled",
    4: "WrongCodeEntryLimit",
    5: "FrontEsceutcheonRemoved",
    6: "DoorForcedOpen",
    7: "DoorAjar",
    8: "ForcedUser",
    128: "StoreLost",
    129: "StoreTampered",
    130: "ForeignPart",
}

const REG = { lockState: 0x101, operatingMode: 0x180, failureCount: 0x181, lockoutRemaining: 0x182, provisioned: 0x183, storeLost: 0x184 }
/** A register read that goes unanswered is asked again this many times before giving up. */
const READ_TRIES = 5
const EV = { lockOperation: 0x81, lockOperationError: 0x82, doorLockAlarm: 0x83, lockUserChange: 0x84 }
export const LOCK_DATA_TYPES: { [code: number]: string } = { 0: "Unspecified", 1: "ProgrammingCode", 2: "UserIndex", 6: "Pin" }
export const DATA_OPERATIONS = ["Add", "Clear", "Modify"]

let specsLoaded = false

/** Teaches jacdac-ts the lock's service (build/services.json, generated from services/latchkey.md). */
export function loadLatchkeySpec() {
    if (specsLoaded) return
    const path = join(ROOT, "build", "services.json")
    let specs
    try {
        specs = JSON.parse(readFileSync(path, "utf8"))
    } catch (e) {
        throw new Error(`cannot read ${path} (run \`npm run build\`): ${(e as Error).message}`)
    }
    const { errors } = loadServiceSpecifications(specs)
    if (errors?.length) throw new Error(`services.json: ${errors.map(e => e.message).join("; ")}`)
    specsLoaded = true
}

/** The lock's state as its service reports it. */
export interface LockServiceStatus {
    lockState: string
    operatingMode: string
    failureCount: number
    lockoutRemainingMs: number
    provisioned: boolean
    /** A boot found settings the lock had written lost or damaged (until a master code is set again). */
    storeLost: boolean
}

/** One service event, decoded into Matter names. */
export interface LockServiceEvent {
    name: "LockOperation" | "LockOperationError" | "DoorLockAlarm" | "LockUserChange"
    /** e.g. { operation: "Unlock", source: "Keypad", user: 0 } */
    fields: { [name: string]: string | number }
    at: number
}

function decodeEvent(ev: JDEvent): LockServiceEvent | undefined {
    const v = (ev.unpackedValue ?? []) as number[]
    const at = Date.now()
    if (ev.code === EV.lockOperation)
        return {
            name: "LockOperation",
            fields: { operation: v[0] === 1 ? "Unlock" : "Lock", source: OPERATION_SOURCES[v[1]] ?? `${v[1]}`, user: v[2] === 0xffff ? -1 : v[2] },
            at,
        }
    if (ev.code === EV.lockOperationError)
        return {
            name: "LockOperationError",
            fields: {
                operation: v[0] === 1 ? "Unlock" : "Lock",
                source: OPERATION_SOURCES[v[1]] ?? `${v[1]}`,
                error: OPERATION_ERRORS[v[2]] ?? `${v[2]}`,
                failureCount: v[4],
            },
            at,
        }
    if (ev.code === EV.lockUserChange)
        return {
            name: "LockUserChange",
            fields: {
                data: LOCK_DATA_TYPES[v[0]] ?? `${v[0]}`,
                operation: DATA_OPERATIONS[v[1]] ?? `${v[1]}`,
                source: OPERATION_SOURCES[v[2]] ?? `${v[2]}`,
                user: v[4],
            },
            at,
        }
    if (ev.code === EV.doorLockAlarm) return { name: "DoorLockAlarm", fields: { alarm: ALARM_CODES[v[0]] ?? `${v[0]}` }, at }
    return undefined
}

/** Watches the first Latchkey service on `bus`: collects its events and reads its registers. */
export class LatchkeyClient {
    readonly events: LockServiceEvent[] = []

    /** Whether a DoorLockAlarm `alarm` (e.g. "LockJammed") arrived among the events from index `from` on. */
    alarmSeen(alarm: string, from: number): boolean {
        return this.events.slice(from).some(e => e.name === "DoorLockAlarm" && e.fields.alarm === alarm)
    }
    private readonly listeners: ((e: LockServiceEvent) => void)[] = []
    private attached: JDService | undefined

    constructor(readonly bus: JDBus) {
        loadLatchkeySpec()
        const attach = () => {
            const srv = this.bus.services({ serviceClass: SRV_LATCHKEY })[0]
            if (!srv || srv === this.attached) return
            this.attached = srv
            srv.on(EVENT, (ev: JDEvent) => {
                const e = decodeEvent(ev)
                if (!e) return
                this.events.push(e)
                for (const l of this.listeners) l(e)
            })
        }
        this.bus.on("deviceAnnounce", attach)
        this.bus.on("deviceConnect", attach)
        attach()
    }

    /** Calls `f` for every event from now on; returns a function that stops it. */
    onEvent(f: (e: LockServiceEvent) => void): () => void {
        this.listeners.push(f)
        return () => this.listeners.splice(this.listeners.indexOf(f), 1)
    }

    /** The service, waiting up to `timeoutMs` for it to appear on the bus. */
    async service(timeoutMs = 5000): Promise<JDService> {
        const end = Date.now() + timeoutMs
        for (;;) {
            const srv = this.bus.services({ serviceClass: SRV_LATCHKEY })[0]
            if (srv) return srv
            if (Date.now() > end) throw new Error("no Latchkey lock service on the bus")
            await new Promise(r => setTimeout(r, 20))
        }
    }

    /** Reads every register afresh. */
    async status(): Promise<LockServiceStatus> {
        const srv = await this.service()
        const read = async (code: number) => {
            // jacdac-ts gives one read 150 ms; through the devtools hub on a busy machine an
            // answer can take longer or be dropped, and a read is idempotent, so ask again.
            const reg = srv.register(code)
            for (let tries = 1; ; tries++) {
                if (await reg.refresh()) return (reg.unpackedValue as number[])[0]
                if (tries >= READ_TRIES)
                    throw new Error(`lock service: register 0x${code.toString(16)} did not answer ${READ_TRIES} reads`)
            }
        }
        return {
            lockState: LOCK_STATES[await read(REG.lockState)] ?? "unknown",
            operatingMode: OPERATING_MODES[await read(REG.operatingMode)] ?? "unknown",
            failureCount: await read(REG.failureCount),
            lockoutRemainingMs: await read(REG.lockoutRemaining),
            provisioned: !!(await read(REG.provisioned)),
            // a lock whose firmware predates this register does not answer it
            storeLost: !!(await read(REG.storeLost).catch(() => 0)),
        }
    }
}
