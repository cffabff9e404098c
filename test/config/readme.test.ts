/**
 * docs/hardware.md's generated blocks (wiring table, board list) match devs.json and the board
 * catalog, and docs/testing.md says what a board lacks as the code says.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { loadBoardCatalog } from "../../host/boards-io"
import { loadProfile } from "../../host/profile-io"
import { HARDWARE_DOC, renderHardwareDoc, replaceBlock, wiringTable } from "../../host/doc-blocks"
import { ROOT } from "../../host/paths"
import { HubBoardDevice } from "../../sim/devices/board-device"
import { DeviceCapabilities, VmProcessDevice } from "../../sim/devices/device"
import { skippedTitle } from "../scenario/helpers"

const TESTING_DOC = join(ROOT, "docs", "testing.md")

/** The capabilities `caps` lacks, sorted. */
function lacks(caps: DeviceCapabilities): string[] {
    return Object.entries(caps)
        .filter(([, can]) => !can)
        .map(([k]) => k)
        .sort()
}

/** The capability names in backquotes in `text`, sorted (other quoted words left out). */
function lacking(text: string, caps: DeviceCapabilities): string[] {
    return [...text.matchAll(/`(\w+)`/g)]
        .map(x => x[1])
        .filter(k => k in caps)
        .sort()
}

describe("docs/hardware.md's generated blocks", () => {
    it("has the wiring table and board list generated from devs.json (run `npm run readme` to fix)", () => {
        const current = readFileSync(HARDWARE_DOC, "utf8")
        expect(current).toContain("| Latch servo signal | 18 | `P18` |")
        expect(current).toContain("| `esp32_devkit_c` | Espressif ESP32-DevKitC | ESP32 | 16 KB | yes |")
        expect(renderHardwareDoc(current)).toBe(current)
    })

    it("a changed pin in devs.json shows up in the table", () => {
        const p = loadProfile()
        const moved = { ...p, board: { ...p.board, pins: { ...p.board.pins, servo: 21 } } }
        expect(wiringTable(moved, loadBoardCatalog())).toContain("| Latch servo signal | 21 | `P21` | `board.pins.servo` |")
    })

    it("a stale table is found", () => {
        const current = readFileSync(HARDWARE_DOC, "utf8")
        const stale = current.replace("| Latch servo signal | 18 | `P18` |", "| Latch servo signal | 21 | `P21` |")
        expect(stale).not.toBe(current)
        expect(renderHardwareDoc(stale)).toBe(current)
    })

    it("refuses a page without the markers", () => {
        expect(() => replaceBlock("no markers here", "wiring", "x")).toThrow(/generated:wiring/)
    })

    it("says which capabilities a board lacks (what its skipped scenarios need), as the code says, with no count to drift", () => {
        const text = readFileSync(TESTING_DOC, "utf8")
        const m = /On a board \(`serial`, `tcp`\) that is what\s+`HubBoardDevice\.CAPABILITIES` lacks:([\s\S]*?)`HIL=vm` runs more/.exec(text)
        expect(m, "docs/testing.md lists what a board lacks").not.toBeNull()
        expect(lacking(m![1], HubBoardDevice.CAPABILITIES)).toEqual(lacks(HubBoardDevice.CAPABILITIES))
        // and what HIL=vm lacks, as the doc says it
        const vm = /`VmProcessDevice\.CAPABILITIES` lacks only([^(.]*)/.exec(text)
        expect(vm, "docs/testing.md says what HIL=vm lacks").not.toBeNull()
        expect(lacking(vm![1], VmProcessDevice.CAPABILITIES)).toEqual(lacks(VmProcessDevice.CAPABILITIES))
        expect(text).not.toMatch(/the \d+ scenarios that read or alter/)
    })

    it("a skipped scenario's title says why", () => {
        expect(skippedTitle("keeps the counter", "flashImage", "a board")).toBe("keeps the counter [skipped on a board: needs flashImage]")
    })
})
