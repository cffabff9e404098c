/**
 * Reads DeviceScript's board catalog out of the pinned @devicescript/cli bundle (the same data
 * `devs flash --board` and `@dsboard/<id>` come from), so board checks never drift from the CLI.
 * Node only.
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { runInNewContext } from "node:vm"
import type { BoardCatalog } from "../src/config/boards"

const require = createRequire(import.meta.url)
let cached: BoardCatalog | undefined

/** The CLI bundle file and its version. */
export function cliBundle(): { path: string; version: string } {
    const pkg = require.resolve("@devicescript/cli/package.json")
    return { path: join(dirname(pkg), "built", "devicescript-cli.cjs"), version: require(pkg).version }
}

/**
 * The board catalog: archs (pin functions per GPIO) and boards (pin labels, built-in services).
 * The bundle holds it as an object literal of plain data (`var boards_default = {...}`); it is
 * sliced out and evaluated in an empty context.
 */
export function loadBoardCatalog(): BoardCatalog {
    if (cached) return cached
    const cli = cliBundle()
    const src = readFileSync(cli.path, "utf8")
    const head = "var boards_default = {"
    const start = src.indexOf(head)
    if (start < 0) throw new Error(`the DeviceScript board catalog was not found in ${cli.path}`)
    const open = start + head.length - 1
    let depth = 0
    let end = -1
    let quote = ""
    for (let i = open; i < src.length; i++) {
        const ch = src[i]
        if (quote) {
            if (ch === "\\") i++
            else if (ch === quote) quote = ""
        } else if (ch === '"' || ch === "'" || ch === "`") quote = ch
        else if (ch === "{") depth++
        else if (ch === "}" && --depth === 0) {
            end = i + 1
            break
        }
    }
    if (end < 0) throw new Error("the end of the DeviceScript board catalog was not found")
    const catalog = runInNewContext(`(${src.slice(open, end)})`, Object.create(null), { timeout: 2000 }) as BoardCatalog
    if (!catalog?.boards || !catalog?.archs) throw new Error("the DeviceScript board catalog has no boards/archs")
    cached = JSON.parse(JSON.stringify(catalog)) as BoardCatalog
    return cached
}
