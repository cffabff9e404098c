/** Wrong codes, the escalating lockout, and what survives a power cut. Real firmware in the VM. */
import { describe, expect, it } from "vitest"
import { attempt, FAST_PROFILE, itNeeds, MASTER, setUpBoard, sleep } from "./helpers"

const FREE = FAST_PROFILE.lockout.freeFailures
const BASE_MS = FAST_PROFILE.lockout.baseSeconds * 1000

async function failTimes(b: Awaited<ReturnType<typeof setUpBoard>>, n: number) {
    for (let i = 0; i < n; i++) expect(await attempt(b, "8402")).toBe("failure")
}

describe("lockout", () => {
    it("gives the free failures, then locks out and refuses even the right code", async () => {
        const b = await setUpBoard()
        await failTimes(b, FREE)
        expect(await attempt(b, "8402")).toBe("lockout")
        const from = b.latchMoves.length
        expect(await attempt(b, MASTER)).toBe("lockout")
        expect(b.openedSince(from)).toBe(false)
        expect(b.logs.some(l => /lock: unlocked/.test(l))).toBe(false)
    })

    it("escalates: each failure after a lockout doubles the next window", async () => {
        const b = await setUpBoard()
        await failTimes(b, FREE)
        expect(await attempt(b, "8402")).toBe("lockout")
        const first = await b.waitForLog(/lockout \d+ ms/, 3000, 0)
        await b.waitForLog(/lockout over/, BASE_MS + 5000)
        expect(await attempt(b, "8402")).toBe("lockout")
        const second = await b.waitForLog(/lockout \d+ ms/, 3000, b.logs.indexOf(first) + 1)
        const ms = (line: string) => Number(/lockout (\d+) ms/.exec(line)![1])
        expect(ms(first)).toBe(BASE_MS)
        expect(ms(second)).toBe(2 * BASE_MS)
    })

    it("opens for the right code once the lockout is over, and clears the counter", async () => {
        const b = await setUpBoard()
        await failTimes(b, FREE)
        expect(await attempt(b, "8402")).toBe("lockout")
        await b.waitForLog(/lockout over/, BASE_MS + 5000)
        expect(await attempt(b, MASTER)).toBe("success")
        // counter cleared: the full free allowance is back
        await failTimes(b, FREE)
    })

    itNeeds("powerCycle")("keeps an active lockout across a power cut, restarting its whole window", async () => {
        const b = await setUpBoard()
        await failTimes(b, FREE)
        expect(await attempt(b, "8402")).toBe("lockout")
        await b.waitForLog(/lockout over/, BASE_MS + 5000)
        expect(await attempt(b, "8402")).toBe("lockout") // 2 x base
        await b.waitForLog(/lockout over/, 2 * BASE_MS + 5000)
        expect(await attempt(b, "8402")).toBe("lockout") // 4 x base
        b.powerCut()
        await sleep(4 * BASE_MS + 500) // longer than the window: powered-off time must not count
        await b.powerOn()
        const from = b.latchMoves.length
        expect(await attempt(b, MASTER)).toBe("lockout")
        expect(b.openedSince(from)).toBe(false)
        await b.waitForLog(/lockout over/, 4 * BASE_MS + 5000)
        expect(await attempt(b, MASTER)).toBe("success")
    })

    itNeeds("cutAtFlashWrite")("writes the failure to flash before checking: a cut right after # loses nothing", async () => {
        const b = await setUpBoard()
        await failTimes(b, FREE)
        // the next attempt is the first to lock out; cut the power at its first flash write
        const heard = b.heard.length
        const moves = b.latchMoves.length
        b.cutPowerAtNextFlashWrite()
        await b.type(MASTER)
        await b.keyDown("#")
        await b.waitUntil(() => !b.running, "the power cut at the counter write")
        // nothing answered: the code was not checked before the counter reached flash
        expect(b.heard.slice(heard).filter(h => h.sound !== "key")).toEqual([])
        expect(b.openedSince(moves)).toBe(false)
        await b.powerOn()
        expect(b.logs.some(l => new RegExp(`boot: 1 user\\(s\\), failures ${FREE + 1}`).test(l))).toBe(true)
        expect(await attempt(b, MASTER)).toBe("lockout")
    })

    itNeeds("powerCycle")("does not let a lockout that was served start again after a power cut", async () => {
        const b = await setUpBoard()
        await failTimes(b, FREE)
        expect(await attempt(b, "8402")).toBe("lockout")
        await b.waitForLog(/lockout over/, BASE_MS + 5000)
        await sleep(100)
        await b.restart()
        expect(await attempt(b, MASTER)).toBe("success")
    })
})

describe("flash", () => {
    itNeeds("wipeFlash")("comes back in setup mode after a wipe, and never opens", async () => {
        const b = await setUpBoard()
        b.powerCut()
        await b.wipeFlash()
        await b.powerOn()
        expect(b.logs.some(l => /setup mode/.test(l))).toBe(true)
        const from = b.latchMoves.length
        expect(await attempt(b, MASTER)).toBe("failure")
        expect(b.openedSince(from)).toBe(false)
        expect(b.isLocked()).toBe(true)
    })

    itNeeds("powerCycle")("keeps the master code and counter across a power cut", async () => {
        const b = await setUpBoard()
        expect(await attempt(b, "8402")).toBe("failure")
        await b.restart()
        expect(b.logs.some(l => /boot: 1 user\(s\), failures 1/.test(l))).toBe(true)
        expect(b.isLocked()).toBe(true)
        expect(await attempt(b, MASTER)).toBe("success")
    })
})
