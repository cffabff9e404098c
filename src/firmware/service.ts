/**
 * The lock's own Jacdac service (services/latchkey.md): its state as registers, Matter-style
 * events, and the companion commands (enrol in the clear; everything else sealed, handed to the
 * lock through the handlers it is started with). Nothing here carries a code or a digest in the
 * clear.
 */
import * as ds from "@devicescript/core"
import { Server, startServer } from "@devicescript/server"
import { AuditKind, LockEvent, LockStatus } from "../core/index"
import { enrolCompanion, issueNonce } from "./remote"
import { reportedLatchState } from "./latch-monitor"

const NO_USER = 0xffff

/** The audit log's sources use Matter's OperationSource numbers; anything else is Unspecified. */
function source(s: number): ds.LatchkeyOperationSource {
    return s === 3 || s === 4 || s === 5 || s === 7 ? s : ds.LatchkeyOperationSource.Unspecified
}

/** What the service needs from the lock. */
export interface LatchkeyHandlers {
    /** The lock's status, read on every register query. */
    status: () => LockStatus
    /** Queues an event for the lock (returns at once). */
    post: (event: LockEvent) => void
    /** Carries out a sealed companion command; resolves with its CommandStatus and sealed answer. */
    runRemote: (counter: number, keyId: number, sealed: Buffer) => Promise<[number, Buffer]>
}

class LatchkeyServer extends Server implements ds.LatchkeyServerSpec {
    constructor(private readonly handlers: LatchkeyHandlers) {
        super(ds.Latchkey.spec)
    }
    reading(): ds.LatchkeyLockState {
        return reportedLatchState(this.handlers.status().locked)
    }
    operatingMode() {
        return this.handlers.status().mode
    }
    failureCount() {
        return this.handlers.status().failures
    }
    lockoutRemaining() {
        return this.handlers.status().lockoutRemainingMs
    }
    provisioned() {
        return !this.handlers.status().setup
    }
    nonce() {
        return issueNonce()
    }
    async enrol(): Promise<[ds.LatchkeyCommandStatus, number, Buffer]> {
        const answer = await enrolCompanion()
        // in the audit log: which key id was handed out (never the key)
        if (answer[0] === ds.LatchkeyCommandStatus.Ok) this.handlers.post({ type: "companionEnrolled", keyId: answer[1] })
        return answer
    }
    /** The server core passes the decoded fields as one array (see @devicescript/server). */
    async secured(counter: any, keyId?: number, sealed?: Buffer): Promise<[ds.LatchkeyCommandStatus, Buffer]> {
        let args: any[] = [counter, keyId, sealed]
        if (Array.isArray(counter)) args = counter
        if (typeof args[0] !== "number" || typeof args[1] !== "number" || !(args[2] instanceof Buffer))
            return [ds.LatchkeyCommandStatus.BadFrame, Buffer.alloc(0)]
        return await this.handlers.runRemote(args[0], args[1], args[2])
    }
}

let server: LatchkeyServer

/** Starts the service, answering through the lock's handlers. */
export function startLatchkeyService(handlers: LatchkeyHandlers) {
    server = new LatchkeyServer(handlers)
    startServer(server, { roleName: "latchkey" })
}

/**
 * Sends the Matter event for an audit entry: LockOperation for unlocks and locks,
 * LockOperationError for refusals, LockUserChange for user changes (others are the audit log's
 * alone).
 */
export async function reportAudit(kind: number, src: number, slot: number, failures: number) {
    if (!server) return
    const spec = ds.Latchkey.spec
    if (kind === AuditKind.Unlock || kind === AuditKind.Lock) {
        const type = kind === AuditKind.Unlock ? ds.LatchkeyLockOperationType.Unlock : ds.LatchkeyLockOperationType.Lock
        await server.sendEvent(spec.lookup("lockOperation").encode([type, source(src), slot > 0 ? slot : NO_USER]))
        return
    }
    if (kind >= AuditKind.UserAdded && kind <= AuditKind.MasterChanged || kind === AuditKind.UserNamed) {
        const master = kind === AuditKind.MasterChanged
        const op =
            kind === AuditKind.UserAdded
                ? ds.LatchkeyDataOperationType.Add
                : kind === AuditKind.UserDeleted
                  ? ds.LatchkeyDataOperationType.Clear
                  : ds.LatchkeyDataOperationType.Modify
        await server.sendEvent(
            spec
                .lookup("lockUserChange")
                .encode([master ? ds.LatchkeyLockDataType.ProgrammingCode : ds.LatchkeyLockDataType.UserIndex, op, source(src), 0, slot])
        )
        return
    }
    let err = -1
    if (kind === AuditKind.InvalidCredential || kind === AuditKind.RemoteRejected) err = ds.LatchkeyOperationError.InvalidCredential
    else if (kind === AuditKind.DisabledUserDenied) err = ds.LatchkeyOperationError.DisabledUserDenied
    else if (kind >= AuditKind.RestrictedSchedule && kind <= AuditKind.RestrictedUserType) err = ds.LatchkeyOperationError.Restricted
    else if (kind === AuditKind.RemoteRefused) err = ds.LatchkeyOperationError.Restricted
    if (err >= 0)
        await server.sendEvent(
            spec.lookup("lockOperationError").encode([ds.LatchkeyLockOperationType.Unlock, source(src), err, 0, failures])
        )
}

/** LockOperationError LockedOut: '#' pressed during a keypad lockout (not in the audit log). */
export async function reportLockedOut(failures: number) {
    if (server)
        await server.sendEvent(
            ds.Latchkey.spec
                .lookup("lockOperationError")
                .encode([ds.LatchkeyLockOperationType.Unlock, ds.LatchkeyOperationSource.Keypad, ds.LatchkeyOperationError.LockedOut, 0, failures])
        )
}

/** Sends a Matter DoorLockAlarm for a core alarm name. */
export async function reportAlarm(name: string) {
    if (!server) return
    let code = -1
    if (name === "WrongCodeEntryLimit") code = ds.LatchkeyAlarmCode.WrongCodeEntryLimit
    else if (name === "ForcedUser") code = ds.LatchkeyAlarmCode.ForcedUser
    else if (name === "LockFactoryReset") code = ds.LatchkeyAlarmCode.LockFactoryReset
    else if (name === "LockJammed") code = ds.LatchkeyAlarmCode.LockJammed
    else if (name === "DoorForcedOpen") code = ds.LatchkeyAlarmCode.DoorForcedOpen
    else if (name === "DoorAjar") code = ds.LatchkeyAlarmCode.DoorAjar
    else if (name === "StoreTampered") code = ds.LatchkeyAlarmCode.StoreTampered
    else if (name === "ForeignPart") code = ds.LatchkeyAlarmCode.ForeignPart
    if (code >= 0) await server.sendEvent(ds.Latchkey.spec.lookup("doorLockAlarm").encode(code))
}

/** The boot alarm: the lock lost power and came back (Matter LockRadioPowerCycled). */
export async function reportPowerCycled() {
    if (server) await server.sendEvent(ds.Latchkey.spec.lookup("doorLockAlarm").encode(ds.LatchkeyAlarmCode.LockRadioPowerCycled))
}
