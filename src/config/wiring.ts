/**
 * The lock's wiring, derived from a validated profile and DeviceScript's board catalog: one row
 * per wire, with the GPIO, the label firmware uses (`pins.P13` of `@dsboard/<board>`) and how the
 * firmware serves it. Pure: the firmware's board file (src/firmware/board.g.ts) and the wiring
 * table of docs/hardware.md are both generated from these rows, so they cannot disagree.
 */
import { BoardCatalog, builtinButtonOn, findBoard } from "./boards"
import type { Profile } from "./types"

/** One wire between the board and a part of the lock. */
export interface Wire {
    /** What is connected ("Keypad row 1 (keys 1 2 3)", "Latch servo signal", ...). */
    part: string
    /** The devs.json field it comes from. */
    field: string
    gpio: number
    /** The board's label for it (`pins.<label>`), or the built-in service name. */
    label: string
    /** How the firmware uses it. */
    use: string
    /** How to wire it. */
    connect: string
}

function labelOf(catalog: BoardCatalog, boardId: string, gpio: number): string {
    const pins = findBoard(catalog, boardId).pins ?? {}
    for (const label of Object.keys(pins)) if (pins[label] === gpio) return label
    return `GPIO${gpio}`
}

/** Every wire of the lock, in a fixed order (keypad rows, columns, then the rest). */
export function wiring(profile: Profile, catalog: BoardCatalog): Wire[] {
    const id = profile.board.id
    const board = findBoard(catalog, id)
    const p = profile.board.pins
    const labels = profile.keypad.labels
    const cols = p.keypadColumns.length
    const out: Wire[] = []
    p.keypadRows.forEach((gpio, r) => {
        out.push({
            part: `Keypad row ${r + 1} (keys ${labels.slice(r * cols, r * cols + cols).split("").join(" ")})`,
            field: `board.pins.keypadRows[${r}]`,
            gpio,
            label: labelOf(catalog, id, gpio),
            use: "scanner drives it low in turn (floats otherwise)",
            connect: "keypad row pin",
        })
    })
    p.keypadColumns.forEach((gpio, c) => {
        let keys = ""
        for (let r = 0; r < p.keypadRows.length; r++) keys += (keys ? " " : "") + labels[r * cols + c]
        out.push({
            part: `Keypad column ${c + 1} (keys ${keys})`,
            field: `board.pins.keypadColumns[${c}]`,
            gpio,
            label: labelOf(catalog, id, gpio),
            use: "scanner reads it, internal pull-up",
            connect: "keypad column pin",
        })
    })
    out.push({
        part: "Latch servo signal",
        field: "board.pins.servo",
        gpio: p.servo,
        label: labelOf(catalog, id, p.servo),
        use: 'on-board Servo server, role "latch"',
        connect: "servo signal (servo powered from 5 V, common ground)",
    })
    out.push({
        part: "Buzzer",
        field: "board.pins.buzzer",
        gpio: p.buzzer,
        label: labelOf(catalog, id, p.buzzer),
        use: 'on-board Buzzer server, role "buzzer"',
        connect: "buzzer +, other lead to GND",
    })
    const own = builtinButtonOn(board, p.programButton)
    out.push({
        part: "Program button (inside)",
        field: "board.pins.programButton",
        gpio: p.programButton,
        label: own ? `${own.name} (built in)` : labelOf(catalog, id, p.programButton),
        use: own ? `the board's own Button server, role "program"` : 'on-board Button server, role "program"',
        connect: own ? "nothing: the board's own button" : "push button to GND",
    })
    if (p.latchSensor !== undefined)
        out.push({
            part: "Latch position switch",
            field: "board.pins.latchSensor",
            gpio: p.latchSensor,
            label: labelOf(catalog, id, p.latchSensor),
            use: 'on-board Switch server, role "latchSensor" (jam detection)',
            connect: "switch to GND, closed when the bolt is fully thrown",
        })
    if (p.doorSensor !== undefined)
        out.push({
            part: "Door sensor",
            field: "board.pins.doorSensor",
            gpio: p.doorSensor,
            label: labelOf(catalog, id, p.doorSensor),
            use: "door contact: shut = closed to GND (DoorForcedOpen, DoorAjar; the auto-relock waits for it)",
            connect: "reed switch to GND",
        })
    return out
}

/** Label of a wire's GPIO as firmware source writes it (`pins.P13`). */
export function pinExpression(w: Wire): string {
    return `pins.${w.label}`
}
