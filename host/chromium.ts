/**
 * Finds a headless Chromium for the browser tests and `npm run measure:start`, and launches it
 * with playwright-core (which never downloads a browser). The search, first found wins:
 *   1. the `CHROMIUM` environment variable (a path; an error if it is not an executable file),
 *   2. a system Chromium or Chrome (/usr/bin/chromium, chromium-browser, google-chrome, ... or the
 *      same names on PATH),
 *   3. the headless Chromium shipped inside the `@sparticuz/chromium` devDependency: a
 *      brotli-packed binary, unpacked once into node_modules/.cache/ (per package version).
 * So `npm install` then `npm test` work on a machine with no browser and no root.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { accessSync, constants, createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { delimiter, dirname, join } from "node:path"
import { pipeline } from "node:stream/promises"
import { createBrotliDecompress } from "node:zlib"
import { chromium, type BrowserContext } from "playwright-core"
import { ROOT } from "./paths"

/** Where the browser came from, as printed by the tests. */
export interface FoundChromium {
    path: string
    /** "CHROMIUM", "system" or "@sparticuz/chromium 143.0.4" */
    source: string
}

/** System browsers, in order. Absolute paths first, then the same names searched on PATH. */
const SYSTEM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable", "/opt/google/chrome/chrome"]
const SYSTEM_NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]

/** The npm package that ships a headless Chromium inside itself (a devDependency). */
const PACKAGE = "@sparticuz/chromium"

/**
 * Flags that work on these machines (Debian's Chromium and the packaged headless shell alike):
 * headless, as root or not (no sandbox), no GPU, and no traffic to the outside.
 */
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

function isExecutableFile(path: string): boolean {
    try {
        accessSync(path, constants.X_OK)
        return statSync(path).isFile()
    } catch {
        return false
    }
}

function systemChromium(): string | undefined {
    for (const p of SYSTEM_PATHS) if (isExecutableFile(p)) return p
    for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean))
        for (const name of SYSTEM_NAMES) if (isExecutableFile(join(dir, name))) return join(dir, name)
    return undefined
}

/** The root folder and version of the installed browser package, or undefined when it is not installed. */
function packagedChromium(): { dir: string; version: string } | undefined {
    let entry: string
    try {
        entry = createRequire(join(ROOT, "package.json")).resolve(PACKAGE)
    } catch {
        return undefined
    }
    // its exports hide package.json: walk up from the entry point to the folder that holds it
    for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
        const manifest = join(dir, "package.json")
        if (!existsSync(manifest)) continue
        const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; version?: string }
        if (pkg.name === PACKAGE && pkg.version) return { dir, version: pkg.version }
    }
    return undefined
}

/**
 * Unpacks the package's brotli-packed binary into node_modules/.cache/latchkey-chromium/VERSION/
 * once (about 190 MB, 1-2 s). Written under a unique name and renamed into place, so two processes
 * unpacking at once never see half a binary. The fonts and SwiftShader archives beside it are not
 * needed with these flags (system fonts, no GPU).
 */
async function unpack(pkg: { dir: string; version: string }): Promise<string> {
    const dir = join(ROOT, "node_modules", ".cache", "latchkey-chromium", pkg.version)
    const exe = join(dir, "chromium")
    if (isExecutableFile(exe)) return exe
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const packed = join(pkg.dir, "bin", "chromium.br")
    if (!existsSync(packed)) throw new Error(`${PACKAGE} ${pkg.version} has no bin/chromium.br: reinstall it (npm ci)`)
    const part = `${exe}.${process.pid}.${randomBytes(4).toString("hex")}.part`
    try {
        await pipeline(createReadStream(packed), createBrotliDecompress({ chunkSize: 2 ** 21 }), createWriteStream(part, { mode: 0o700, flags: "wx" }))
        renameSync(part, exe)
    } finally {
        rmSync(part, { force: true })
    }
    return exe
}

/** Finds a Chromium (see the order above); a clear error when there is none. */
export async function findChromium(): Promise<FoundChromium> {
    const fromEnv = process.env.CHROMIUM
    if (fromEnv) {
        if (!isExecutableFile(fromEnv)) throw new Error(`CHROMIUM=${fromEnv} is not an executable file`)
        return { path: fromEnv, source: "CHROMIUM" }
    }
    const system = systemChromium()
    if (system) return { path: system, source: "system" }
    const pkg = packagedChromium()
    if (pkg) return { path: await unpack(pkg), source: `${PACKAGE} ${pkg.version}` }
    throw new Error(
        `no Chromium found: set CHROMIUM=/path/to/chrome, install one (Debian: apt-get install chromium), or run npm install (the ${PACKAGE} devDependency ships one)`,
    )
}

/** "Chromium 143.0.7499.0" or the like, from the binary itself (empty if it does not say). */
function versionOf(path: string): string {
    try {
        return execFileSync(path, ["--version"], { timeout: 20_000, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
    } catch {
        return ""
    }
}

export interface LaunchedBrowser {
    context: BrowserContext
    /** Which browser this is, e.g. "Chromium 143.0.7499.0 (@sparticuz/chromium 143.0.4: /…/chromium)". */
    description: string
    close(): Promise<void>
}

/**
 * Starts Chromium with a fresh, empty profile directory (removed on close) and prints which
 * browser it is. `extraArgs` go after the usual flags.
 */
export async function launchChromium(extraArgs: string[] = []): Promise<LaunchedBrowser> {
    const found = await findChromium()
    const description = `${versionOf(found.path) || "Chromium"} (${found.source}: ${found.path})`
    console.log(`browser: ${description}`)
    const userDataDir = mkdtempSync(join(tmpdir(), "latchkey-chromium-"))
    let context: BrowserContext
    try {
        context = await chromium.launchPersistentContext(userDataDir, {
            executablePath: found.path,
            headless: true,
            args: [...CHROMIUM_ARGS, ...extraArgs],
            viewport: { width: 1280, height: 1000 },
            timeout: 60_000,
        })
    } catch (e) {
        rmSync(userDataDir, { recursive: true, force: true })
        throw new Error(`could not start ${description}: ${(e as Error).message}`)
    }
    return {
        context,
        description,
        async close() {
            await context.close().catch(() => {})
            rmSync(userDataDir, { recursive: true, force: true })
        },
    }
}
