#!/usr/bin/env node
// The companion CLI (companion/cli.ts), run through tsx so no separate compile step is needed.
import { register } from "tsx/esm/api"

register()
const { main } = await import("../companion/cli.ts")
main(process.argv.slice(2)).then(
    code => process.exit(code),
    e => {
        console.error(`latchkey: ${e.message}`)
        process.exit(1)
    },
)
