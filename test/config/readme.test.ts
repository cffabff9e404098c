/** The README's generated blocks (wiring table, board list) match devs.json and the board catalog. */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { loadBoardCatalog } from "../../scripts/boards-io"
import { loadProfile } from "../../scripts/profile-io"
import { README, renderReadme, replaceBlock, wiringTable } from "../../scripts/readme"

describe("README hardware section", () => {
    it("has the wiring table and board list generated from devs.json (run `npm run readme` to fix)", () => {
        const current = readFileSync(README, "utf8")
        expect(current).toContain("| Latch servo signal | 18 | `P18` |")
        expect(renderReadme(current)).toBe(current)
    })

    it("a changed pin in devs.json shows up in the table", () => {
        const p = loadProfile()
        const moved = { ...p, board: { ...p.board, pins: { ...p.board.pins, servo: 21 } } }
        expect(wiringTable(moved, loadBoardCatalog())).toContain("| Latch servo signal | 21 | `P21` | `board.pins.servo` |")
    })

    it("refuses a README without the markers", () => {
        expect(() => replaceBlock("no markers here", "wiring", "x")).toThrow(/generated:wiring/)
    })
})
