/**
 * `npm run readme`: regenerates the generated blocks of docs/hardware.md from their sources:
 *   wiring   the lock's wiring table, from devs.json and DeviceScript's board catalog
 *   boards   the boards `npm run flash` can target, from the same catalog
 * Each block sits between `<!-- generated:NAME ... -->` and `<!-- end:NAME -->`.
 * `--check` changes nothing and exits 1 when the page is out of date (test/config/readme.test.ts
 * runs the same check).
 */
import { readFileSync, writeFileSync } from "node:fs"
import { HARDWARE_DOC, renderHardwareDoc } from "../host/doc-blocks"

function main() {
    const current = readFileSync(HARDWARE_DOC, "utf8")
    const wanted = renderHardwareDoc(current)
    if (process.argv.includes("--check")) {
        if (wanted !== current) {
            console.error("readme: docs/hardware.md's generated blocks are out of date: run `npm run readme`")
            process.exit(1)
        }
        console.log("readme: docs/hardware.md up to date")
        return
    }
    if (wanted !== current) writeFileSync(HARDWARE_DOC, wanted)
    console.log(wanted !== current ? "readme: docs/hardware.md updated" : "readme: docs/hardware.md up to date")
}

if (process.argv[1]?.endsWith("readme.ts")) main()
