/**
 * Board start-up, before the lock starts: the bus guard (./bus-guard.ts; on a board only), the
 * jammed-latch monitor (wherever a latch switch is configured), and on hardware only the on-board
 * servers (servo, buzzer, switch) and the keypad matrix scanner. In the simulator
 * (`ds.isSimulator()`) the hardware part is skipped: the simulator and the tests host those
 * peripherals on the Jacdac bus instead.
 */
import * as ds from "@devicescript/core"
import { DEFAULT_SCANNER_TIMING } from "../core/scanner"
import { PROFILE } from "../config/profile.g"
import { doorSensorPin, guardOwnParts, keypadColumnPins, keypadRowPins, startOnBoardServers } from "./board.g"
import { startDoorContact } from "./door"
import { GpioMatrix, startMatrixKeypad } from "./keypad-server"
import { startLatchMonitor } from "./latch-monitor"

/** Starts what the board adds around the lock logic. Call once, before startLock(). */
export function startBoard() {
    guardOwnParts()
    startLatchMonitor()
    if (ds.isSimulator()) return
    startOnBoardServers()
    startDoorContact(doorSensorPin())
    const rows = keypadRowPins()
    const columns = keypadColumnPins()
    startMatrixKeypad(new GpioMatrix(rows, columns), {
        rows: rows.length,
        columns: columns.length,
        labels: PROFILE.keypad.labels,
        debounceMs: PROFILE.keypad.debounceMs,
        longClickMs: DEFAULT_SCANNER_TIMING.longClickMs,
        stuckMs: DEFAULT_SCANNER_TIMING.stuckMs,
        name: "keypad",
    })
}
