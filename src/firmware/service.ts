/**
 * The lock's own Jacdac service (services/latchkey.md): its state as registers and Matter-style
 * events. Read-only for now: nothing here changes the lock, and nothing carries a code or digest.
 */
import * as ds from "@devicescript/core"
import { Server, startServer } from "@devicescript/server"
import { Effect, LockStatus, OperationSource } from "../core/index"
import { enrolCompanion, issueNonce } from "./remote"
import { runRemoteCommand } from "./lock"

const NO_USER = 0xffff

function source(s: OperationSource): ds.LatchkeyOperationSource {
    if (s === "keypad") return ds.LatchkeyOperationSource.Keypad
    if (s === "auto") return ds.LatchkeyOperationSource.Auto
    if (s === "button") return ds.LatchkeyOperationSource.Button
    if (s === "remote") return ds.LatchkeyOperationSource.Remote
    return ds.LatchkeyOperationSource.Unspecified
}

class LatchkeyServer extends Server implements ds.LatchkeyServerSpec {
    constructor(private readonly status: () => LockStatus) {
        super(ds.Latchkey.spec)
    }
    reading() {
        return this.status().locked ? ds.LatchkeyLockState.Locked : ds.LatchkeyLockState.Unlocked
    }
    operatingMode() {
        return ds.LatchkeyOperatingMode.Normal
    }
    failureCount() {
        return this.status().failures
    }
    lockoutRemaining() {
        return this.status().lockoutRemainingMs
    }
    provisioned() {
        return !this.status().setup
    }
    nonce() {
        return issueNonce()
    }
    async enrol(): Promise<[ds.LatchkeyCommandStatus, number, Buffer]> {
        return await enrolCompanion()
    }
    /** The server core passes the decoded fields as one array (see @devicescript/server). */
    async secured(counter: any, keyId?: number, sealed?: Buffer): Promise<[ds.LatchkeyCommandStatus, Buffer]> {
        let args: any[] = [counter, keyId, sealed]
        if (Array.isArray(counter)) args = counter
        if (typeof args[0] !== "number" || typeof args[1] !== "number" || !(args[2] instanceof Buffer))
            return [ds.LatchkeyCommandStatus.BadFrame, Buffer.alloc(0)]
        return [await runRemoteCommand(args[0], args[1], args[2]), Buffer.alloc(0)]
    }
}

let server: LatchkeyServer

/** Starts the service; `status` is read on every register query. */
export function startLatchkeyService(status: () => LockStatus) {
    server = new LatchkeyServer(status)
    startServer(server, { roleName: "latchkey" })
}

/** Sends the service event for a core report effect (others are ignored). */
export async function reportEffect(e: Effect) {
    if (!server) return
    const spec = ds.Latchkey.spec
    if (e.type === "operation") {
        const type = e.unlock ? ds.LatchkeyLockOperationType.Unlock : ds.LatchkeyLockOperationType.Lock
        await server.sendEvent(spec.lookup("lockOperation").encode([type, source(e.source), e.slot < 0 ? NO_USER : e.slot]))
    } else if (e.type === "operationError") {
        const err = e.error === "lockedOut" ? ds.LatchkeyOperationError.LockedOut : ds.LatchkeyOperationError.InvalidCredential
        await server.sendEvent(
            spec.lookup("lockOperationError").encode([ds.LatchkeyLockOperationType.Unlock, source(e.source), err, 0, e.failures])
        )
    } else if (e.type === "alarm") {
        await server.sendEvent(spec.lookup("doorLockAlarm").encode(ds.LatchkeyAlarmCode.WrongCodeEntryLimit))
    }
}

/** The boot alarm: the lock lost power and came back (Matter LockRadioPowerCycled). */
export async function reportPowerCycled() {
    if (server) await server.sendEvent(ds.Latchkey.spec.lookup("doorLockAlarm").encode(ds.LatchkeyAlarmCode.LockRadioPowerCycled))
}
