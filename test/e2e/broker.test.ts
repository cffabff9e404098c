/**
 * `npm start`'s own MQTT broker, end to end in a real browser: the simulator page (headless
 * Chromium, host/chromium.ts) on a simulator that runs the networked fast firmware
 * (build/firmware-net.devs) in the DeviceScript VM, with the embedded aedes broker of sim/broker.ts
 * on a free port, as sim/start.ts wires them. The page's Network panel shows the lock's link go
 * connected, then offline when the page's button takes the broker down, and connected again when
 * it brings it up; the keypad opens the door while the broker is down. What the panel says is
 * checked against the broker itself: the lock's retained availability is "online" on it.
 *
 * Every step waits for what the page shows (never a fixed sleep for an outcome), with generous
 * timeouts: the link's backoff after a broker restart is at most 8 s plus a quarter.
 */
import { join } from "node:path"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { openSimPage, type SimPage } from "../support/sim-page"
import { ROOT } from "../../host/paths"
import { loadProfile } from "../../host/profile-io"
import { startBroker, type SimBroker } from "../../sim/broker"
import { WebSimulator } from "../../sim/webserver"
import { lockTopics } from "../../src/core/topics"
import type { TestBroker } from "../../bench/lib/brokers"
import { retainedNow } from "../support/mqtt-watch"
import { MASTER } from "../scenario/helpers"

/** The little of the DOM that the functions run inside the page use (this file is type-checked for Node). */
declare const document: {
    getElementById(id: string): { textContent: string | null; dataset: { [k: string]: string | undefined } } | null
}

/** The profile firmware-net is built from (scripts/build.ts): fast timings with the network on. */
const PROFILE = loadProfile([join(ROOT, "test", "fixtures", "fast-timing.json"), join(ROOT, "test", "fixtures", "network.json")])
const WAIT = 20_000
/** A restarted broker is dialled again within RECONNECT_MAX_MS (8 s) plus a quarter. */
const RECONNECT_WAIT = 30_000

let broker: SimBroker
let sim: WebSimulator
/** The simulator page in Chromium (test/support/sim-page.ts); `page` is its playwright page. */
let ui: SimPage
let page: Page

beforeAll(async () => {
    broker = await startBroker()
    sim = new WebSimulator({ profile: PROFILE, firmware: "firmware-net", broker, echo: !!process.env.LATCHKEY_ECHO })
    const url = await sim.start(0)
    ui = await openSimPage(url, WAIT)
    page = ui.page
}, 90_000)

afterAll(async () => {
    await ui?.browser.close()
    await sim?.stop()
    await broker?.stop()
})

/** The lock's retained availability on the broker, as any MQTT client sees it (under the lock id the firmware said). */
async function availability(): Promise<string | undefined> {
    const lockId = sim.netStatus().lockId
    expect(lockId).toMatch(/^[0-9a-f]{16}$/)
    const asTestBroker = { kind: "aedes", port: broker.port, url: broker.url, running: broker.running } as TestBroker
    const topic = lockTopics(PROFILE.network.topicPrefix, lockId!).availability
    return (await retainedNow(asTestBroker, [topic])).get(topic)
}

describe("npm start's broker on the simulator page", () => {
    it(
        "shows the link connected, offline with the broker taken down (the keypad still opens), connected again when it is brought up",
        async () => {
            await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 })
            // connected, and the broker agrees: the lock said "online" there (retained)
            await page.waitForSelector("#net[data-link=connected][data-broker=up]", { timeout: WAIT })
            expect(await ui.text("#net-link")).toBe("link connected")
            expect(await ui.text("#net-broker")).toBe(`${broker.url} · up`)
            expect(await ui.text("#net-cmd")).toContain(`npm run latchkey -- --mqtt ${broker.url}`)
            expect(await availability()).toBe("online")

            // a master code, set up at the door
            await ui.setUpMaster(MASTER)

            // the page's button takes the broker down: the lock loses it, then cannot reach it
            await page.click("#broker-toggle")
            await page.waitForSelector("#net[data-broker=down]", { timeout: WAIT })
            expect(broker.running).toBe(false)
            await page.waitForSelector("#events li.board >> text=link reconnecting", { timeout: WAIT })
            await page.waitForSelector("#net[data-link=offline]", { timeout: WAIT })
            expect(await ui.text("#net-link")).toBe("link offline")
            expect(await ui.text("#net-detail")).toMatch(new RegExp(`${broker.port} unreachable`))
            expect(await ui.text("#broker-toggle")).toBe("Bring the broker up")

            // the keypad and the latch never wait on the network
            expect(await ui.attempt(MASTER)).toBe("success")
            await page.waitForSelector("#latch-state[data-latch=open]", { timeout: WAIT })
            expect(await page.getAttribute("#net", "data-link")).toBe("offline")

            // up again on the same port: the lock dials back and announces itself again
            await page.click("#broker-toggle")
            await page.waitForSelector("#net[data-broker=up]", { timeout: WAIT })
            expect(broker.running).toBe(true)
            await page.waitForSelector("#net[data-link=connected]", { timeout: RECONNECT_WAIT })
            expect(await availability()).toBe("online")
            expect(ui.pageErrors).toEqual([])
        },
        150_000,
    )
})
