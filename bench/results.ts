/** bench/results.json: one object, one field per benchmark . */
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ROOT } from "../host/paths"

export const RESULTS_FILE = join(ROOT, "bench", "results.json")
const LOCK = RESULTS_FILE + ".lock"

function sleepSync(ms: number) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** Replaces one benchmark's entry in bench/results.json, keeping the others (safe across processes). */
export function recordResult(field: string, value: unknown) {
    for (let i = 0; ; i++) {
        try {
            closeSync(openSync(LOCK, "wx"))
            break
        } catch {
            // a stale lock (a killed run) is taken over after 10 s
            if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 10_000) rmSync(LOCK, { force: true })
            if (i > 500) throw new Error(`cannot lock ${LOCK}`)
            sleepSync(20)
        }
    }
    try {
        const all = existsSync(RESULTS_FILE) ? JSON.parse(readFileSync(RESULTS_FILE, "utf8")) : {}
        all[field] = { ...(value as object), at: new Date().toISOString(), node: process.version }
        const tmp = RESULTS_FILE + ".tmp"
        writeFileSync(tmp, JSON.stringify(all, null, 2) + "\n")
        renameSync(tmp, RESULTS_FILE)
    } finally {
        rmSync(LOCK, { force: true })
    }
}
