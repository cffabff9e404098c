/**
 * The keypad as a standard Jacdac MatrixKeypad server, running in DeviceScript on the board:
 * scans the matrix every few milliseconds through a {@link MatrixIo} (GPIOs on the board), runs
 * the pure scanner (src/core/scanner.ts) and reports its events. The lock's "keypad" role binds
 * to it exactly as it binds to the simulator's keypad, so the lock logic cannot tell them apart.
 */
import * as ds from "@devicescript/core"
import "@devicescript/gpio"
import { SensorServer, startServer } from "@devicescript/server"
import { createScanner, MatrixIo, pressedKeys, readMatrix, ScannerState, scanStep } from "../core/scanner"

/** How often the matrix is read. Three reads fit in the shortest debounce time (20 ms). */
export const SCAN_MS = 5

/** Options of {@link startMatrixKeypad}. */
export interface MatrixKeypadOptions {
    rows: number
    columns: number
    /** The key labels row by row, e.g. "123456789*0#". */
    labels: string
    debounceMs: number
    longClickMs: number
    stuckMs: number
    /** Role name the server announces (its instance name). */
    name: string
}

class MatrixKeypadServer extends SensorServer implements ds.MatrixKeypadServerSpec {
    constructor(
        readonly scanner: ScannerState,
        readonly keyLabels: string[],
        name: string,
    ) {
        super(ds.MatrixKeypad.spec, { roleName: name })
    }
    reading() {
        return pressedKeys(this.scanner)
    }
    rows() {
        return this.scanner.cfg.rows
    }
    columns() {
        return this.scanner.cfg.columns
    }
    labels() {
        return this.keyLabels
    }
    variant() {
        return ds.MatrixKeypadVariant.Membrane
    }
}

/** GPIO matrix: rows float (input) until selected (driven low); columns are pulled up. */
export class GpioMatrix implements MatrixIo {
    constructor(
        readonly rowPins: ds.IOPin[],
        readonly columnPins: ds.IOPin[],
    ) {
        for (const p of rowPins) p.setMode(ds.GPIOMode.Input)
        for (const p of columnPins) p.setMode(ds.GPIOMode.InputPullUp)
    }
    driveRow(row: number, selected: boolean) {
        this.rowPins[row].setMode(selected ? ds.GPIOMode.OutputLow : ds.GPIOMode.Input)
    }
    readColumn(col: number): boolean {
        return this.columnPins[col].value === 0
    }
}

/** The MatrixKeypad event a scanner event is reported as. */
function eventSpec(type: string): ds.EventSpec<number> {
    if (type === "down") return ds.MatrixKeypad.spec.lookup("down")
    if (type === "up") return ds.MatrixKeypad.spec.lookup("up")
    if (type === "click") return ds.MatrixKeypad.spec.lookup("click")
    return ds.MatrixKeypad.spec.lookup("longClick")
}

/** Starts scanning `io` and serving the result as a MatrixKeypad; returns the scanner state. */
export function startMatrixKeypad(io: MatrixIo, opts: MatrixKeypadOptions): ScannerState {
    const scanner = createScanner(
        {
            rows: opts.rows,
            columns: opts.columns,
            debounceMs: opts.debounceMs,
            longClickMs: opts.longClickMs,
            stuckMs: opts.stuckMs,
        },
        ds.millis(),
    )
    const server = new MatrixKeypadServer(scanner, opts.labels.split(""), opts.name)
    startServer(server, { roleName: opts.name })
    let scanning = false
    setInterval(async () => {
        if (scanning) return
        scanning = true
        try {
            const events = scanStep(scanner, readMatrix(io, opts.rows, opts.columns), ds.millis())
            for (const e of events) {
                if (e.type === "stuck") console.log(`keypad: key ${opts.labels[e.key]} stuck, ignored until released`)
                else await server.sendEvent(eventSpec(e.type).encode(e.key))
            }
        } finally {
            scanning = false
        }
    }, SCAN_MS)
    return scanner
}
