/**
 * Debian's Chromium driven by playwright-core: no browser download, ever. `.ci/run` installs
 * the `chromium` package when /usr/bin/chromium is missing.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { chromium, type Browser, type BrowserContext } from "playwright-core"

export const CHROMIUM = process.env.LATCHKEY_CHROMIUM ?? "/usr/bin/chromium"

/** Flags that work on these machines: headless, as root, and no traffic to the outside. */
export const CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]

export interface LaunchedBrowser {
    context: BrowserContext
    close(): Promise<void>
}

/** Starts Chromium with a fresh, empty profile directory (removed on close). */
export async function launchChromium(): Promise<LaunchedBrowser> {
    if (!existsSync(CHROMIUM))
        throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does it)`)
    const userDataDir = mkdtempSync(join(tmpdir(), "latchkey-chromium-"))
    const context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport: { width: 1280, height: 1000 },
        timeout: 60_000,
    })
    return {
        context,
        async close() {
            await context.close().catch(() => {})
            rmSync(userDataDir, { recursive: true, force: true })
        },
    }
}
export type { Browser }
