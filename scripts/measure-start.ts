/**
 * Measures the time from `npm start` to a usable simulator page: the command is started, the URL
 * it prints is opened in Chromium (launched beforehand, not counted), and the clock stops when
 * the page says it is ready (connected, firmware running, latch and the lock's service seen).
 *
 * Usage: npm run measure:start [-- --runs N]     (prints one line per run, then the median)
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { launchChromium } from "../host/chromium"
import { ROOT } from "../host/profile-io"

const runsArg = process.argv.indexOf("--runs")
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3

interface Run {
    urlMs: number
    readyMs: number
}

async function once(): Promise<Run> {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-start-"))
    const browser = await launchChromium()
    const page = await browser.context.newPage()
    const t0 = performance.now()
    const child = spawn("npm", ["start", "--", "--http", "0", "--port", "0", "--flash", join(dir, "flash.bin")], {
        cwd: ROOT,
        detached: true, // its own process group, ended below by its id
        stdio: ["ignore", "pipe", "pipe"],
    })
    try {
        let out = ""
        const url = await new Promise<string>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no URL printed within 60 s:\n${out}`)), 60_000)
            child.stdout!.on("data", (d: Buffer) => {
                out += d.toString()
                const m = /open (http:\/\/\S+)/.exec(out)
                if (m) {
                    clearTimeout(timer)
                    resolve(m[1])
                }
            })
            child.once("exit", code => reject(new Error(`npm start exited (${code}):\n${out}`)))
        })
        const urlMs = performance.now() - t0
        await page.goto(url)
        await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 })
        return { urlMs, readyMs: performance.now() - t0 }
    } finally {
        if (child.pid) process.kill(-child.pid, "SIGTERM")
        await browser.close()
        rmSync(dir, { recursive: true, force: true })
    }
}

async function main() {
    const runs: Run[] = []
    for (let i = 0; i < RUNS; i++) {
        const r = await once()
        runs.push(r)
        console.log(`run ${i + 1}: URL printed after ${Math.round(r.urlMs)} ms, page usable after ${Math.round(r.readyMs)} ms`)
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
    console.log(
        `median of ${RUNS}: npm start -> URL ${Math.round(median(runs.map(r => r.urlMs)))} ms, -> usable page ${Math.round(median(runs.map(r => r.readyMs)))} ms`,
    )
}

main().catch(e => {
    console.error(`measure-start: ${(e as Error).message}`)
    process.exit(1)
})
