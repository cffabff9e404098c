/**
 * The lock's own Jacdac service (services/latchkey.md): its state as registers, Matter-style
 * events, and the companion commands (enrol in the clear; everything else sealed, handed to the
 * lock through the handlers it is started with). Nothing here carries a code or a digest in the
 * clear.
 */
import * as ds from "@devicescript/core"
import { Server, startServer } from "@devicescript/server"
import { AuditKind, LockEvent, LockStatus, STATUS_UPDATE_COMPANION } from "../core/index"
import { enrolCompanion } from "./remote"
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
    /** Whether a boot found the settings store lost or damaged (./boot-guard.ts). */
    storeLost: () => boolean
    /** Queues an event for the lock (returns at once). */
    post: (event: LockEvent) => void
    /** Answers a companion frame (request bytes in, answer bytes out). */
    runFrame: (frame: Buffer) => Promise<Buffer>
    /** The restore command's step (1 begin, 2 written): answers a CommandStatus. */
    restore: (step: number) => Promise<number>
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
    storeLost() {
        return this.handlers.storeLost()
    }
    /** Protocol 1's challenge: answered empty (its companions are refused at `secured`). */
    nonce() {
        return Buffer.alloc(0)
    }
    async enrol(): Promise<[ds.LatchkeyCommandStatus, number, Buffer]> {
        const answer = await enrolCompanion()
        // in the audit log: which key id was handed out (never the key)
        if (answer[0] === ds.LatchkeyCommandStatus.Ok) this.handlers.post({ type: "companionEnrolled", keyId: answer[1] })
        return answer
    }
    async restore(step: any): Promise<number> {
        return await this.handlers.restore(Array.isArray(step) ? step[0] : step)
    }
    /** Protocol 1's sealed command: refused, in the clear, with what to do. */
    secured(): [ds.LatchkeyCommandStatus, Buffer] {
        return [STATUS_UPDATE_COMPANION, Buffer.from(UPDATE_TEXT)]
    }
    /** A protocol 2 frame (services/latchkey.md); the server core may pass the field in an array. */
    async frame(frame: any): Promise<Buffer> {
        const bytes = Array.isArray(frame) ? frame[0] : frame
        if (!(bytes instanceof Buffer)) return Buffer.alloc(0)
        return await this.handlers.runFrame(bytes)
    }
}

/** What a protocol 1 companion is told. */
const UPDATE_TEXT = "this lock speaks companion protocol 2: update the companion (latchkey)"

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
    // a refused keypad code (wrong, or a user who may not open now) is InvalidCredential whatever
    // the reason, by one range test: the reason stays in the audit log (a refused code is answered like a wrong one)
    let err = -1
    if ((kind >= AuditKind.InvalidCredential && kind <= AuditKind.RestrictedUserType) || kind === AuditKind.RemoteRejected)
        err = ds.LatchkeyOperationError.InvalidCredential
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

/**
 * Alarm names by AlarmCode (services/latchkey.md); the lock's own codes, from 128, follow from
 * index 9 ("-": a code reportAlarm never sends). A table costs less function code than a chain;
 * split when asked, it holds no heap between alarms.
 */
const ALARM_NAMES = "LockJammed LockFactoryReset - - WrongCodeEntryLimit - DoorForcedOpen DoorAjar ForcedUser StoreLost StoreTampered ForeignPart"

/** Sends a Matter DoorLockAlarm for a core alarm name. */
export async function reportAlarm(name: string) {
    const i = ALARM_NAMES.split(" ").indexOf(name)
    if (server && i >= 0 && name !== "-") await server.sendEvent(ds.Latchkey.spec.lookup("doorLockAlarm").encode(i < 9 ? i : i + 119))
}

/** The boot alarm: the lock lost power and came back (Matter LockRadioPowerCycled). */
export async function reportPowerCycled() {
    if (server) await server.sendEvent(ds.Latchkey.spec.lookup("doorLockAlarm").encode(ds.LatchkeyAlarmCode.LockRadioPowerCycled))
}
