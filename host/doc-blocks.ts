/** The generated blocks of docs/hardware.md (wiring, boards): rendered from devs.json and DeviceScript's board catalog, checked by a test, written by `npm run readme`. */
import { join } from "node:path"
import type { BoardCatalog } from "../src/config/boards"
import { findBoard, settingsAreaBytes } from "../src/config/boards"
import { LOCK_SETTINGS_BYTES } from "../src/config/profile"
import type { Profile } from "../src/config/types"
import { wiring } from "../src/config/wiring"
import { loadBoardCatalog } from "./boards-io"
import { loadProfile, ROOT } from "./profile-io"

/** The page that holds the generated blocks. */
export const HARDWARE_DOC = join(ROOT, "docs", "hardware.md")

/** The wiring table for `profile` on its board. */
export function wiringTable(profile: Profile, catalog: BoardCatalog): string {
    const board = findBoard(catalog, profile.board.id)
    const rows = wiring(profile, catalog).map(
        w => `| ${w.part} | ${w.gpio} | \`${w.label}\` | \`${w.field}\` | ${w.use} | ${w.connect} |`,
    )
    return [
        `Board: **${board.devName}** (\`${board.id}\`). Power the servo from 5 V with a ground shared with the board.`,
        "",
        "| Part | GPIO | Board pin | devs.json | Firmware | Connect |",
        "|---|---|---|---|---|---|",
        ...rows,
    ].join("\n")
}

/** The boards DeviceScript can flash, by family, with their settings area and whether the lock fits. */
export function boardsTable(catalog: BoardCatalog): string {
    const rows = Object.values(catalog.boards)
        .map(b => ({ b, family: catalog.archs[b.archId]?.name ?? b.archId, area: settingsAreaBytes(catalog.archs[b.archId]) }))
        .sort((x, y) => (x.family === y.family ? x.b.id.localeCompare(y.b.id) : x.family.localeCompare(y.family)))
        .map(({ b, family, area }) => {
            const fits = area === undefined ? "unknown: refused" : area >= LOCK_SETTINGS_BYTES ? "yes" : "no: refused"
            return `| \`${b.id}\` | ${b.devName} | ${family} | ${area === undefined ? "?" : `${area / 1024} KB`} | ${fits} |`
        })
    return ["| `board.id` | Board | Family | Settings area | Lock fits |", "|---|---|---|---|---|", ...rows].join("\n")
}

/** Replaces the block NAME of `text` (the page `file`) with `body`; throws when the markers are missing. */
export function replaceBlock(text: string, name: string, body: string, file = "docs/hardware.md"): string {
    const begin = new RegExp(`(<!-- generated:${name}[^>]*-->\\n)[\\s\\S]*?(<!-- end:${name} -->)`)
    if (!begin.test(text)) throw new Error(`${file} has no <!-- generated:${name} --> ... <!-- end:${name} --> block`)
    return text.replace(begin, (_m, a: string, b: string) => `${a}${body}\n${b}`)
}

/** docs/hardware.md as it should be: `current` with its generated blocks brought up to date. */
export function renderHardwareDoc(current: string): string {
    const catalog = loadBoardCatalog()
    let text = replaceBlock(current, "wiring", wiringTable(loadProfile(), catalog))
    text = replaceBlock(text, "boards", boardsTable(catalog))
    return text
}

