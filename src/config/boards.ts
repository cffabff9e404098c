/**
 * DeviceScript's board catalog (the `boards.json` bundled in the pinned @devicescript/cli) and
 * what each GPIO of a board can do. Pure: `host/boards-io.ts` slices the catalog out of the CLI
 * bundle; the profile validator and the code generators read it through these functions.
 */

/** One microcontroller family: which GPIOs have which functions, as spec strings ("4,13-15,io"). */
export interface ArchInfo {
    id: string
    name: string
    pins: { [fn: string]: string }
    /** Pages of the DeviceScript flash store ("fstor"), and their size in bytes. */
    fstorPages?: number
    flashPageSize?: number
}

/** A service the board's own firmware configuration starts (e.g. its BOOT button). */
export interface BuiltinService {
    name: string
    service: string
    pin?: number | string
}

/** One board of the catalog, as DeviceScript describes it. */
export interface BoardInfo {
    id: string
    devName: string
    archId: string
    $description?: string
    $services?: BuiltinService[]
    /** Pin label (as in `pins.P13` of `@dsboard/<id>`) to GPIO number. */
    pins?: { [label: string]: number }
}

/** The whole catalog. */
export interface BoardCatalog {
    archs: { [id: string]: ArchInfo }
    boards: { [id: string]: BoardInfo }
}

/** A GPIO the board exposes, with the label firmware uses and its functions. */
export interface BoardPin {
    gpio: number
    label: string
    functions: string[]
}

/** What a wire to the lock needs from its pin. */
export type PinNeed = "output" | "pullUpInput"

/** Expands an arch pin spec ("boot,4,13-15") into GPIO numbers; names refer to other specs. */
function expandSpec(arch: ArchInfo, fn: string, seen: string[] = []): number[] {
    const spec = arch.pins[fn]
    if (spec === undefined || seen.indexOf(fn) >= 0) return []
    const out: number[] = []
    for (const part of spec.split(",")) {
        const token = part.trim()
        const range = /^(\d+)-(\d+)$/.exec(token)
        if (range) {
            for (let g = Number(range[1]); g <= Number(range[2]); g++) out.push(g)
        } else if (/^\d+$/.test(token)) {
            out.push(Number(token))
        } else if (token) {
            for (const g of expandSpec(arch, token, seen.concat([fn]))) out.push(g)
        }
    }
    return out
}

/** The functions of GPIO `gpio` on `arch` ("io", "input", "analogIn", "boot", ...), sorted. */
export function pinFunctions(arch: ArchInfo, gpio: number): string[] {
    return Object.keys(arch.pins)
        .filter(fn => expandSpec(arch, fn).indexOf(gpio) >= 0)
        .sort()
}

/** The highest GPIO number the family's pin specs name (ESP32 39, ESP32-S3 48, RP2040 29). */
export function archMaxGpio(arch: ArchInfo): number {
    let max = -1
    for (const fn of Object.keys(arch.pins)) for (const g of expandSpec(arch, fn)) if (g > max) max = g
    return max
}

/**
 * Bytes of the settings area of a board of this family, or undefined when the catalog does not
 * say. DeviceScript's flash store (jacdac-c source/jd_fstor.c) keeps every setting in its header
 * pages: 1/16 of its `fstorPages` (ESP32 families 64 pages of 4 KB: 16 KB; RP2040 32 pages: 8 KB).
 */
export function settingsAreaBytes(arch: ArchInfo): number | undefined {
    if (!arch.fstorPages || !arch.flashPageSize) return undefined
    return Math.max(1, Math.floor(arch.fstorPages / 16)) * arch.flashPageSize
}

/** The board, or an error naming the known ones. */
export function findBoard(catalog: BoardCatalog, id: string): BoardInfo {
    const b = catalog.boards[id]
    if (!b) throw new Error(`"${id}" is not a DeviceScript board; known boards: ${Object.keys(catalog.boards).sort().join(", ")}`)
    return b
}

/** The GPIOs the board exposes to programs (its `pins`), sorted by GPIO number. */
export function boardPins(catalog: BoardCatalog, board: BoardInfo): BoardPin[] {
    const arch = catalog.archs[board.archId]
    const pins = board.pins ?? {}
    return Object.keys(pins)
        .filter(label => !label.startsWith("@"))
        .map(label => ({ gpio: pins[label], label, functions: arch ? pinFunctions(arch, pins[label]) : [] }))
        .sort((a, b) => a.gpio - b.gpio)
}

/** The GPIO a built-in service uses, resolving a label such as "P9"; undefined if none. */
export function builtinServiceGpio(board: BoardInfo, s: BuiltinService): number | undefined {
    if (typeof s.pin === "number") return s.pin
    if (typeof s.pin === "string" && board.pins && board.pins[s.pin] !== undefined) return board.pins[s.pin]
    return undefined
}

/** The board's built-in button on `gpio` (e.g. DevKitC's BOOT button on GPIO 0), if any. */
export function builtinButtonOn(board: BoardInfo, gpio: number): BuiltinService | undefined {
    return (board.$services ?? []).find(s => s.service === "button" && builtinServiceGpio(board, s) === gpio)
}

/** Does a pin with these functions meet the need? Output: any io/output pin. Pull-up input: io pins (input-only GPIOs have no pull-up). */
export function pinMeets(functions: string[], need: PinNeed): boolean {
    if (need === "output") return functions.indexOf("io") >= 0 || functions.indexOf("output") >= 0
    return functions.indexOf("io") >= 0
}

/** Human words for a need, used in validation messages. */
export function describeNeed(need: PinNeed): string {
    return need === "output" ? "an output pin" : "an input with a pull-up (an io pin)"
}
