/**
 * A lock's id as the companion and the broker know it: the device id of the Jacdac device that
 * serves the lock's own service (what the companion's key file names the lock by, and what the
 * firmware's link puts in its topics: `ds.deviceIdentifier("server")`). In the DeviceScript VM
 * that is not the VM's own id (`InProcessDevice.deviceId`, "self"): it is read off the bus once
 * the lock's service is there.
 */
import { SRV_LATCHKEY } from "../host/lock-client"
import type { SimulatedBoard } from "./board"

/** The lock id of the lock on `board`'s bus (its service must be up: after `powerOn`). */
export function lockIdOf(board: SimulatedBoard): string {
    const srv = board.bus.services({ serviceClass: SRV_LATCHKEY }).find(s => s.device.deviceId !== board.hostId)
    if (!srv) throw new Error("no Latchkey service on the board's bus (power the board on first)")
    return srv.device.deviceId
}
