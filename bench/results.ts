/** bench/results.json: one object, one field per benchmark (see issue 7 for the field names). */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ROOT } from "../sim/paths"

export const RESULTS_FILE = join(ROOT, "bench", "results.json")

/** Replaces one benchmark's entry in bench/results.json, keeping the others. */
export function recordResult(field: string, value: unknown) {
    const all = existsSync(RESULTS_FILE) ? JSON.parse(readFileSync(RESULTS_FILE, "utf8")) : {}
    all[field] = { ...(value as object), at: new Date().toISOString(), node: process.version }
    writeFileSync(RESULTS_FILE, JSON.stringify(all, null, 2) + "\n")
}
