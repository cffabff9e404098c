/** The tooling around the board: flash prerequisites, hub helpers, names shared with the firmware. */
import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { LOCK_SETTING_KEYS } from "../../sim/devices/board-device"
import { dmesgFromCli, hasFileFilter, portBusy } from "../../host/devtools"
import { ROOT } from "../../host/paths"

function run(script: string, args: string[]): Promise<{ code: number; out: string }> {
    return new Promise(resolve =>
        execFile(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "scripts", script), ...args], { cwd: ROOT, timeout: 60000 }, (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
        ),
    )
}

describe("npm run flash", () => {
    it("names the board from devs.json and says what is missing, or that it is ready (never flashes with --check)", async () => {
        const r = await run("flash.ts", ["--check"])
        expect(r.out).toMatch(/flash: Espressif ESP32-DevKitC \(esp32_devkit_c, from devs\.json\) with: devs flash esp32 --board esp32_devkit_c/)
        if (r.code === 0) expect(r.out).toMatch(/flash: ready/)
        else {
            expect(r.code).toBe(2)
            expect(r.out).toMatch(/flash: cannot flash yet:\n {2}- (no USB serial port found|esptool not found)/)
        }
    })
})

describe("npm run budget", () => {
    it("refuses --users without a number, clearly, before measuring or writing anything", async () => {
        for (const args of [["--users"], ["--users", "many"], ["--users=-3"]]) {
            const r = await run("budget.ts", args)
            expect(r.code).toBe(2)
            expect(r.out).toMatch(/^budget: --users (needs a value|must be an integer \(got "many"\)|must be at least 0 \(got -3\))\nusage: npm run budget -- \[options\]/)
            expect(r.out).not.toMatch(/budget: bytecode|NaN/)
        }
    })
})

describe("hub helpers", () => {
    it("test:hil runs the whole HIL suite unless the arguments name files", () => {
        expect(hasFileFilter([])).toBe(false)
        expect(hasFileFilter(["--reporter=verbose"])).toBe(false)
        expect(hasFileFilter(["--reporter", "verbose", "-t", "door"])).toBe(false)
        expect(hasFileFilter(["test/scenario/door.test.ts"])).toBe(true)
        expect(hasFileFilter(["--reporter=verbose", "latch"])).toBe(true)
    })

    it("sees a port in use", async () => {
        const srv = createServer()
        await new Promise<void>(r => srv.listen(0, "127.0.0.1", () => r()))
        const port = (srv.address() as { port: number }).port
        expect(await portBusy(port)).toBe(true)
        await new Promise<void>(r => srv.close(() => r()))
        expect(await portBusy(port)).toBe(false)
    })

    it("reads the firmware console out of `devs run` and `devs devtools --serial` output", () => {
        expect(dmesgFromCli("WASM> \x1b[95mlock: ready (locked; failures 0)\x1b[0m")).toBe("> lock: ready (locked; failures 0)")
        expect(dmesgFromCli("DEV> \x1b[95mlock: setup: code saved\x1b[0m")).toBe("> lock: setup: code saved")
        expect(dmesgFromCli("WASM> \x1b[33mstart: latchkey v0.1.1\x1b[0m")).toBe("* start: latchkey v0.1.1")
        expect(dmesgFromCli("\x1b[90mV> set role keypad -> FG96:1\x1b[0m")).toBe("set role keypad -> FG96:1")
        expect(dmesgFromCli("connected to 127.0.0.1:8082")).toBeUndefined()
    })
})

describe("names shared with the firmware", () => {
    it("the bench wipe deletes the settings the store keeps", () => {
        const store =
            readFileSync(join(ROOT, "src", "firmware", "store.ts"), "utf8") +
            readFileSync(join(ROOT, "src", "firmware", "remote.ts"), "utf8")
        // a numbered key ($lk.u7) is built from its prefix ("$lk.u" + i)
        for (const key of LOCK_SETTING_KEYS) expect(store).toContain(`"${key.replace(/\d+$/, "")}"`)
    })
})
