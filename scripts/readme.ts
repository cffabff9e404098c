/**
 * `npm run readme`: regenerates the README's generated blocks from their sources:
 *   wiring   the lock's wiring table, from devs.json and DeviceScript's board catalog
 *   boards   the boards `npm run flash` can target, from the same catalog
 * Each block sits between `<!-- generated:NAME ... -->` and `<!-- end:NAME -->`.
 * `--check` changes nothing and exits 1 when the README is out of date (test/config/readme.test.ts
 * runs the same check).
 */
import { readFileSync, writeFileSync } from "node:fs"
import { README, renderReadme } from "../host/doc-blocks"

function main() {
    const current = readFileSync(README, "utf8")
    const wanted = renderReadme(current)
    if (process.argv.includes("--check")) {
        if (wanted !== current) {
            console.error("readme: README.md's generated blocks are out of date: run `npm run readme`")
            process.exit(1)
        }
        console.log("readme: up to date")
        return
    }
    if (wanted !== current) writeFileSync(README, wanted)
    console.log(wanted !== current ? "readme: README.md updated" : "readme: up to date")
}

if (process.argv[1]?.endsWith("readme.ts")) main()
