/**
 * End to end, in a real browser: a headless Chromium (host/chromium.ts finds one and prints which;
 * playwright-core drives it, nothing is downloaded) on the simulator page, which drives the real
 * fast firmware in the DeviceScript VM over the Jacdac bus. Sets up a master code, opens the door, locks with a long press, enters wrong codes until the
 * lockout countdown appears, cuts the power and sees the lockout still there. Saves a screenshot
 * to test-results/simulator.png (named in the README).
 *
 * Then the page's door to strangers: a page served from another origin (a second local server)
 * cannot open the simulator's WebSocket even with the token, a DNS-rebinding host name gets 403,
 * and a page opened later is not shown the recovery code.
 *
 * Every step waits for what the page shows (never a fixed sleep for an outcome), with generous
 * timeouts: it runs on a busy 2-core machine next to the other test files.
 */
import { mkdirSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { openSimPage, type SimPage } from "../support/sim-page"
import { WebSimulator } from "../../sim/webserver"
import { ROOT } from "../../host/paths"
import { FAST_PROFILE, MASTER } from "../scenario/helpers"

/** The little of the DOM that the functions run inside the page use (this file is type-checked for Node). */
declare const document: {
    getElementById(id: string): { textContent: string | null; dataset: { [k: string]: string | undefined } } | null
}
/** The browser's WebSocket, as `openBus` uses it inside a page. */
interface PageWebSocket {
    onopen: () => void
    onmessage: () => void
    onclose: (ev: { code: number }) => void
    close(): void
}

export const SCREENSHOT = join(ROOT, "test-results", "simulator.png")
const WRONG = "8402"
const WAIT = 20_000
/** A host name the browser resolves to 127.0.0.1, as a DNS-rebinding attacker's name would. */
const REBIND = "rebind.test"

let sim: WebSimulator
let url: string
/** The simulator page in Chromium (test/support/sim-page.ts); `page` is its playwright page. */
let ui: SimPage
let page: Page
/** What the simulator said on its console about refused requests. */
const refusals: string[] = []

beforeAll(async () => {
    sim = new WebSimulator({ profile: FAST_PROFILE, firmware: "firmware-fast", echo: !!process.env.LATCHKEY_ECHO, warn: line => refusals.push(line) })
    url = await sim.start(0)
    ui = await openSimPage(url, WAIT, [`--host-resolver-rules=MAP ${REBIND} 127.0.0.1`])
    page = ui.page
}, 90_000)

afterAll(async () => {
    await ui?.browser.close()
    await sim?.stop()
})

const lockoutMs = async () => Number((await page.getAttribute("#lockout", "data-remaining-ms")) ?? 0)

describe("the simulator page in Chromium", () => {
    it(
        "sets up a code, opens, locks, locks out, and keeps the lockout across a power cut",
        async () => {
            // usable: connected, firmware running, latch and the lock's service seen
            await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 })
            await page.waitForFunction(() => document.getElementById("st-provisioned")?.textContent?.includes("no"), null, { timeout: WAIT })
            expect(await ui.text("#screen-state")).toMatch(/SETUP/)
            expect(await ui.text("#latch-state")).toMatch(/LOCKED/)

            // setup: the inside program button (press and hold with the mouse), then the code twice
            await ui.setUpMaster(MASTER)

            // open: the latch is drawn at the servo's unlocked angle
            expect(await ui.attempt(MASTER)).toBe("success")
            await page.waitForSelector("#latch-state[data-latch=open]", { timeout: WAIT })
            expect(Number(await page.getAttribute("#latch-state", "data-angle"))).toBe(FAST_PROFILE.latch.unlockedAngle)
            await page.waitForFunction(() => document.getElementById("st-state")?.textContent === "Unlocked", null, { timeout: WAIT })
            await page.waitForSelector("#events li.lock >> text=Unlock by Keypad", { timeout: WAIT })

            // lock at once with a long press of # (held on the computer keyboard)
            await page.keyboard.down("#")
            await page.waitForTimeout(FAST_PROFILE.timing.longPressMs + 400)
            await page.keyboard.up("#")
            await page.waitForSelector("#latch-state[data-latch=locked]", { timeout: WAIT })

            // wrong codes until the lockout countdown appears
            let tries = 0
            while (!(await page.isVisible("#lockout"))) {
                expect(++tries).toBeLessThanOrEqual(FAST_PROFILE.lockout.freeFailures + 2)
                const got = await ui.attempt(WRONG)
                expect(["failure", "lockout"]).toContain(got)
                if (got === "lockout") await page.waitForSelector("#lockout", { state: "visible", timeout: WAIT })
            }
            expect(tries).toBe(FAST_PROFILE.lockout.freeFailures + 1)
            expect(await lockoutMs()).toBeGreaterThan(0)
            await page.waitForSelector("#events li.alarm >> text=WrongCodeEntryLimit", { timeout: WAIT })
            // each failure after a lockout doubles the window: escalate twice so the window outlasts a reboot
            for (let i = 0; i < 2; i++) {
                await page.waitForSelector("#lockout", { state: "hidden", timeout: WAIT })
                expect(await ui.attempt(WRONG)).toBe("lockout")
                await page.waitForSelector("#lockout", { state: "visible", timeout: WAIT })
            }
            // the page reads the service's registers in turn: wait for the count to catch up
            const expected = String(FAST_PROFILE.lockout.freeFailures + 3)
            await page.waitForFunction(n => document.getElementById("st-failures")?.textContent?.trim() === n, expected, { timeout: WAIT })
            const failures = Number(await ui.text("#st-failures"))
            expect(failures).toBe(FAST_PROFILE.lockout.freeFailures + 3)

            // power cut: the VM stops and boots again with its flash; the lockout is still there
            await page.click("#power-cut")
            await page.waitForSelector("#events li.board >> text=power cut", { timeout: WAIT })
            await page.waitForSelector("#events li.board >> text=boot 2", { timeout: WAIT })
            await page.waitForSelector("body[data-ready=true]", { timeout: WAIT })
            await page.waitForSelector("#events li.alarm >> text=LockRadioPowerCycled", { timeout: WAIT })
            await page.waitForSelector("#lockout", { state: "visible", timeout: WAIT })
            expect(await lockoutMs()).toBeGreaterThan(0)
            // the page clears the status at the boot and reads the registers again in turn: wait for a count
            await page.waitForFunction(() => /^\d+$/.test(document.getElementById("st-failures")?.textContent?.trim() ?? ""), null, { timeout: WAIT })
            expect(Number(await ui.text("#st-failures"))).toBe(failures)
            expect(await ui.text("#latch-state")).toMatch(/LOCKED/)
            expect(await ui.text("#vm")).toMatch(/running/)

            mkdirSync(join(ROOT, "test-results"), { recursive: true })
            await page.screenshot({ path: SCREENSHOT, fullPage: true })
            expect(ui.pageErrors).toEqual([])
        },
        180_000,
    )
})

/** A second local web server, on another port: another origin, as any other web page is. */
async function otherSite(): Promise<{ server: Server; origin: string }> {
    const server = createServer((_req, res) => {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" })
        res.end("<!doctype html><title>another site</title><p>another site</p>")
    })
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve))
    return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

/** Run inside a page: opens a WebSocket to `target` and reports whether it opened and what it received. */
function openBus(target: string): Promise<{ opened: boolean; messages: number; code: number }> {
    return new Promise(resolve => {
        const ws = new (globalThis as unknown as { WebSocket: new (url: string) => PageWebSocket }).WebSocket(target)
        let opened = false
        let messages = 0
        ws.onopen = () => {
            opened = true
            setTimeout(() => ws.close(), 1000)
        }
        ws.onmessage = () => messages++
        ws.onclose = ev => resolve({ opened, messages, code: ev.code })
    })
}

describe("the simulator page closed to other web pages", () => {
    const simPort = () => new URL(url).port

    it("refuses a page from another origin the WebSocket, with or without the token, before sending anything", async () => {
        const { server, origin } = await otherSite()
        const other = await ui.browser.context.newPage()
        try {
            await other.goto(origin + "/")
            const bus = `ws://127.0.0.1:${simPort()}/bus`
            for (const target of [bus, `${bus}?token=${sim.token}`]) {
                const got = await other.evaluate(openBus, target)
                expect(got, target.replace(sim.token, "TOKEN")).toEqual({ opened: false, messages: 0, code: 1006 })
            }
            expect(refusals.some(l => l.includes(`refused a WebSocket for "/bus": it comes from another web page (Origin "${origin}")`))).toBe(true)
        } finally {
            await other.close()
            server.close()
        }
    })

    it("answers 403 to a DNS-rebinding host name, even with the token", async () => {
        const other = await ui.browser.context.newPage()
        try {
            const res = await other.goto(`http://${REBIND}:${simPort()}/?token=${sim.token}`)
            expect(res?.status()).toBe(403)
            expect(await other.textContent("body")).toMatch(/latchkey sim: forbidden/)
            // from that page, its "own" WebSocket
            const got = await other.evaluate(openBus, `ws://${REBIND}:${simPort()}/bus?token=${sim.token}`)
            expect(got).toEqual({ opened: false, messages: 0, code: 1006 })
            expect(refusals.some(l => l.includes(`Host "${REBIND}:${simPort()}" is not this simulator's address`))).toBe(true)
        } finally {
            await other.close()
        }
    })

    it("shows the recovery code to the page open at setup, never to a page opened later", async () => {
        const code = sim.board.recoveryCode()!
        expect(code).toMatch(/^\d{12}$/) // issued at the setup above
        const printed = `${code.slice(0, 4)} ${code.slice(4, 8)} ${code.slice(8)}`
        expect(await ui.text("#console")).toContain(printed)
        const later = await ui.browser.context.newPage()
        try {
            await later.goto(url)
            await later.waitForSelector("body[data-ready=true]", { timeout: 60_000 })
            const lines = ((await later.textContent("#console")) ?? "").trim()
            expect(lines).not.toContain(printed)
            expect(lines).toMatch(/RECOVERY CODE .*: •••• •••• ••••/)
        } finally {
            await later.close()
        }
    })
})
