/**
 * Generates src/firmware/board.g.ts: the firmware's pin map and on-board servers for the board
 * devs.json names. DeviceScript needs pins as compile-time constants (`pins.P18` of
 * `@dsboard/<board>`) and on-board servers as literal `startServo({...})` calls (the compiler turns
 * them into the program's hardware configuration), so this is generated source, not data.
 */
import { BoardCatalog, BoardInfo, builtinButtonOn, findBoard } from "../src/config/boards"
import type { Profile } from "../src/config/types"
import { wiring } from "../src/config/wiring"

/**
 * The device id on which the in-process simulator hosts the lock's parts (sim/board.ts). The
 * build that plays "the board's own parts" in the VM (PartsBinding "simulated") trusts this one.
 */
export const SIMULATED_PARTS_ID = "5e11ab0a7d000001"

/**
 * Which devices may serve the lock's parts, per build:
 *   "board"      the shipping firmware: on hardware only the board's own services (hinted role
 *                names, and the bus guard that ignores packets from any other device); in the
 *                simulator, whose parts are jacdac-ts servers on the bus, any device.
 *   "bench"      the test firmware: plain role names, no guard, so a bench (or the simulator)
 *                can bind the lock's roles to parts of its own through the role manager.
 *   "simulated"  a test build: as "board", but the device the in-process simulator hosts its
 *                parts on (SIMULATED_PARTS_ID) stands for the board's own, in the VM too.
 */
export type PartsBinding = "board" | "bench" | "simulated"

/** Services of `service` the board's own configuration starts (they come before the program's). */
function builtinCount(board: BoardInfo, service: string): number {
    return (board.$services ?? []).filter(s => s.service.replace(/.*:/, "") === service).length
}

/**
 * The role names, one per part. Hinted for a board: "[int:N]" is the N-th service of that class
 * on the device itself (the board configuration's services first, then the program's start*()
 * ones), "[app:N]" the program's own N-th server of that class (@devicescript/server's
 * startServer() names its servers' roles so).
 */
export function roleNames(profile: Profile, catalog: BoardCatalog, parts: PartsBinding): { [part: string]: string } {
    const plain = { keypad: "keypad", latch: "latch", buzzer: "buzzer", program: "program", latchSensor: "latchSensor", door: "door" }
    if (parts === "bench") return plain
    const board = findBoard(catalog, profile.board.id)
    const own = builtinButtonOn(board, profile.board.pins.programButton)
    const buttons = (board.$services ?? []).filter(s => s.service === "button")
    const program = own ? buttons.indexOf(own) : builtinCount(board, "button")
    return {
        keypad: "keypad[app:0]",
        latch: `latch[int:${builtinCount(board, "servo")}]`,
        buzzer: `buzzer[int:${builtinCount(board, "buzzer")}]`,
        program: `program[int:${program}]`,
        latchSensor: `latchSensor[int:${builtinCount(board, "switch")}]`,
        door: "door[app:0]",
    }
}

/** The body of guardOwnParts() for a build. */
function guardSource(parts: PartsBinding): string {
    if (parts === "bench") return "    // the test firmware: any device may serve the parts"
    if (parts === "simulated") return `    startBusGuard(["${SIMULATED_PARTS_ID}"])`
    return '    // the simulator\'s parts are other devices on the bus\n    if (ds.isSimulator()) return\n    startBusGuard([ds.deviceIdentifier("self"), ds.deviceIdentifier("server")])'
}

/** The TypeScript module the firmware imports for its pins, on-board servers and role names. */
export function boardSource(profile: Profile, catalog: BoardCatalog, parts: PartsBinding = "board"): string {
    const wires = wiring(profile, catalog)
    const byField = (f: string) => wires.find(w => w.field === f)
    const pin = (f: string) => `pins.${byField(f)!.label}`
    const rows = profile.board.pins.keypadRows.map((_, i) => pin(`board.pins.keypadRows[${i}]`))
    const cols = profile.board.pins.keypadColumns.map((_, i) => pin(`board.pins.keypadColumns[${i}]`))
    const servers: string[] = []
    const imports = ["startServo", "startBuzzer"]
    servers.push(`    startServo({ pin: ${pin("board.pins.servo")}, name: "latch" })`)
    servers.push(`    startBuzzer({ pin: ${pin("board.pins.buzzer")}, name: "buzzer" })`)
    const program = byField("board.pins.programButton")!
    if (program.connect.startsWith("nothing")) {
        servers.push(`    // program button: ${program.label} on GPIO ${program.gpio}, started by the board's own configuration`)
    } else {
        imports.push("startButton")
        servers.push(`    startButton({ pin: ${pin("board.pins.programButton")}, name: "program" })`)
    }
    if (profile.board.pins.latchSensor !== undefined) {
        imports.push("startSwitch")
        servers.push(`    startSwitch({ pin: ${pin("board.pins.latchSensor")}, name: "latchSensor" })`)
    }
    return `// Generated by scripts/build.ts from devs.json and DeviceScript's board catalog. Do not edit:
// change devs.json and rebuild.
import * as ds from "@devicescript/core"
import { ${imports.join(", ")} } from "@devicescript/servers"
import { pins } from "@dsboard/${profile.board.id}"${parts === "bench" ? "" : '\nimport { startBusGuard } from "./bus-guard"'}

/** The DeviceScript board this firmware is built for (\`devs flash --board\`). */
export const BOARD_ID = "${profile.board.id}"

/**
 * The lock's on-board servers (hardware only). The compiler turns these calls into the
 * program's hardware configuration, which the board applies at start-up; the simulator ignores
 * it and the peripherals are hosted on the bus instead.
 */
export function startOnBoardServers() {
${servers.join("\n")}
}

/** Keypad rows, top to bottom (driven low one at a time). Hardware only: no pins in the simulator. */
export function keypadRowPins(): ds.IOPin[] {
    return [${rows.join(", ")}]
}

/** Keypad columns, left to right (inputs with pull-up). Hardware only. */
export function keypadColumnPins(): ds.IOPin[] {
    return [${cols.join(", ")}]
}

/** The door contact (input with pull-up; closed = door shut), or null when devs.json has none. Hardware only. */
export function doorSensorPin(): ds.IOPin {
    return ${profile.board.pins.doorSensor !== undefined ? pin("board.pins.doorSensor") : "null"}
}

/**
 * The lock's role names (src/firmware/hardware.ts and the parts it watches).${
        parts === "bench"
            ? `
 * Plain names (the test firmware): the role manager binds each to the first such service it
 * finds on the bus, so a bench's own parts, bound through the role manager, stand in for the
 * board's.`
            : `
 * "[int:N]" names the N-th such service of this device (on-board servers and the board's own
 * button), "[app:N]" the program's own N-th such server (keypad, door contact). On hardware the
 * runtime forces these hints: such a role is never auto-bound to another device (jacdac-c
 * client/rolemgr.c; DeviceScript's jdiface.c forces hints on every build that is not hosted).
 * The WASM VM does not force them: there the roles bind to the simulator's parts on the bus.`
        }
 */
export const ROLE_NAMES = {
${Object.entries(roleNames(profile, catalog, parts))
    .map(([part, name]) => `    ${part}: "${name}",`)
    .join("\n")}
}

/**${
        parts === "bench"
            ? `
 * No bus guard in the test firmware (host/board-gen.ts PartsBinding "bench"): any device may
 * serve the lock's parts.`
            : `
 * Starts the bus guard (src/firmware/bus-guard.ts) with the devices whose packets the lock's part
 * roles may take, as \`Packet.deviceIdentifier\` spells them (host/board-gen.ts PartsBinding
 * "${parts}").`
        }
 */
export function guardOwnParts() {
${guardSource(parts)}
}
`
}
