/**
 * Where the browser tests get their Chromium (host/chromium.ts): $CHROMIUM first, then a system
 * Chromium or Chrome, then the one the @sparticuz/chromium devDependency ships.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { findChromium } from "../../host/chromium"

const SYSTEM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable", "/opt/google/chrome/chrome"]

describe("finding Chromium", () => {
    const saved = { CHROMIUM: process.env.CHROMIUM, PATH: process.env.PATH }
    let dir: string
    beforeEach(() => {
        dir = mkdtempSync(join(tmpdir(), "latchkey-find-"))
    })
    afterEach(() => {
        for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]
        else process.env[k] = v
        rmSync(dir, { recursive: true, force: true })
    })
    const fakeBrowser = (name: string) => {
        const path = join(dir, name)
        writeFileSync(path, "#!/bin/sh\necho Chromium 1.2.3\n")
        chmodSync(path, 0o755)
        return path
    }

    it("takes $CHROMIUM before anything else", async () => {
        process.env.CHROMIUM = fakeBrowser("my-chrome")
        expect(await findChromium()).toEqual({ path: join(dir, "my-chrome"), source: "CHROMIUM" })
    })

    it("refuses a $CHROMIUM that is not an executable file, rather than take another browser", async () => {
        process.env.CHROMIUM = join(dir, "missing")
        await expect(findChromium()).rejects.toThrow(/CHROMIUM=.*missing is not an executable file/)
        writeFileSync(join(dir, "plain"), "")
        process.env.CHROMIUM = join(dir, "plain")
        await expect(findChromium()).rejects.toThrow(/is not an executable file/)
    })

    it("takes a system Chromium or Chrome, at its usual place or on PATH", async () => {
        delete process.env.CHROMIUM
        process.env.PATH = dir
        fakeBrowser("google-chrome")
        const found = await findChromium()
        expect(found.source).toBe("system")
        expect(found.path).toBe(SYSTEM.find(p => existsSync(p)) ?? join(dir, "google-chrome"))
    })

    it("without either, unpacks the headless Chromium the devDependency ships", async () => {
        delete process.env.CHROMIUM
        process.env.PATH = dir
        const found = await findChromium()
        if (SYSTEM.some(p => existsSync(p))) return expect(found.source).toBe("system") // this machine has one
        expect(found.source).toMatch(/^@sparticuz\/chromium \d+\.\d+\.\d+$/)
        expect(found.path).toMatch(/node_modules\/\.cache\/latchkey-chromium\/\d+\.\d+\.\d+\/chromium$/)
        // unpacked once: found again at the same place
        expect((await findChromium()).path).toBe(found.path)
    })
})
