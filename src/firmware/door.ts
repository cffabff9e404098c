/**
 * The door contact. The lock reads it as the Jacdac role "door", a MagneticFieldLevel (a magnet
 * on the door, a reed or hall contact on the frame: field detected = door shut), hosted by the
 * simulator on the bus and, on the board, served here from the GPIO devs.json names
 * (`board.pins.doorSensor`, pulled up, closed to ground when the door is shut). Without that pin
 * the role is never used and the lock behaves as if it had no door sensor.
 */
import * as ds from "@devicescript/core"
import "@devicescript/gpio"
import { SensorServer, startServer } from "@devicescript/server"
import { PROFILE } from "../config/profile.g"
import { LockPart } from "../core/audit"
import { ROLE_NAMES } from "./board.g"
import { guardPart } from "./bus-guard"

/** Whether devs.json configures a door sensor. */
export function hasDoorSensor(): boolean {
    return PROFILE.board.pins.doorSensor !== undefined && PROFILE.board.pins.doorSensor !== null
}

/** A magnetic door contact on a GPIO, as a standard MagneticFieldLevel server. */
class DoorContactServer extends SensorServer implements ds.MagneticFieldLevelServerSpec {
    constructor(readonly pin: ds.IOPin) {
        super(ds.MagneticFieldLevel.spec, { roleName: "door" })
        pin.setMode(ds.GPIOMode.InputPullUp)
    }
    reading() {
        // contact closed (pin low) = magnet near = door shut
        return this.pin.value === 0 ? 1 : 0
    }
    variant() {
        return ds.MagneticFieldLevelVariant.DigitalNS
    }
}

/** On the board: serves the door contact on the bus (the lock's "door" role binds to it). */
export function startDoorContact(pin: ds.IOPin) {
    if (pin) startServer(new DoorContactServer(pin), { roleName: "door" })
}

/** Calls `report(open)` with every door reading the sensor gives (magnet away = open). */
export function watchDoor(report: (open: boolean) => Promise<void>) {
    if (!hasDoorSensor()) return
    const door = new ds.MagneticFieldLevel(ROLE_NAMES.door)
    guardPart(door, LockPart.Door)
    door.reading.subscribe(async strength => {
        await report(!(Math.abs(strength) >= 0.3))
    })
}
