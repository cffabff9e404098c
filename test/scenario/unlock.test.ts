/** Everyday use: codes, the latch, relocking and the entry rules, on the real firmware in the VM. */
import { describe, expect, it } from "vitest"
import { attempt, FAST_PROFILE, MASTER, setUpBoard, sleep } from "./helpers"

const RELOCK_MS = FAST_PROFILE.timing.autoRelockSeconds * 1000
const ENTRY_TIMEOUT_MS = FAST_PROFILE.timing.entryTimeoutSeconds * 1000

describe("unlocking", () => {
    it("opens for the right code and relocks by itself after the auto-relock time", async () => {
        const b = await setUpBoard()
        const from = b.latchMoves.length
        const heard = b.heard.length
        expect(await attempt(b, MASTER)).toBe("success")
        await b.waitUntil(() => b.openedSince(from), "the latch to open")
        const opened = b.latchMoves.find((m, i) => i >= from && b.isUnlockedAngle(m.angle))!
        await b.waitUntil(() => b.isLocked(), "the auto-relock", RELOCK_MS + 5000)
        const closed = b.latchMoves[b.latchMoves.length - 1]
        expect(closed.at - opened.at).toBeGreaterThanOrEqual(RELOCK_MS - 50)
        await b.waitForSound("locked", heard)
    })

    it("stays shut for a wrong code", async () => {
        const b = await setUpBoard()
        const from = b.latchMoves.length
        expect(await attempt(b, "4718")).toBe("failure")
        expect(await attempt(b, "47190")).toBe("failure")
        expect(b.openedSince(from)).toBe(false)
    })

    it("locks at once on a long press of # while open, and a short press does nothing", async () => {
        const b = await setUpBoard()
        expect(await attempt(b, MASTER)).toBe("success")
        await b.waitUntil(() => b.isUnlocked(), "the latch to open")
        await b.press("#", 100)
        await sleep(150)
        expect(b.isUnlocked()).toBe(true)
        await b.press("#", FAST_PROFILE.timing.longPressMs + 200)
        await b.waitUntil(() => b.isLocked(), "the long press to lock", 1000)
    })

    it("counts an over-long entry as a failed attempt instead of truncating it", async () => {
        const b = await setUpBoard()
        const from = b.latchMoves.length
        // the master code followed by extra digits, past the maximum length
        const overlong = (MASTER + "00000000").slice(0, FAST_PROFILE.codes.maxLength + 1)
        expect(await attempt(b, overlong)).toBe("failure")
        expect(b.openedSince(from)).toBe(false)
        await b.waitForLog(/failures 1\b/, 3000, 0)
    })

    it("counts a too-short entry as a failed attempt", async () => {
        const b = await setUpBoard()
        expect(await attempt(b, MASTER.slice(0, FAST_PROFILE.codes.minLength - 1))).toBe("failure")
        await b.waitForLog(/failures 1\b/, 3000, 0)
    })

    it("clears a partial entry after the idle timeout", async () => {
        const b = await setUpBoard()
        await b.type("83")
        const from = b.heard.length
        await b.waitForSound("timeout", from, ENTRY_TIMEOUT_MS + 5000)
        // had "83" been kept, this would be 83 + code: a wrong code
        expect(await attempt(b, MASTER)).toBe("success")
    })

    it("clears the entry on *", async () => {
        const b = await setUpBoard()
        await b.type("83*")
        expect(await attempt(b, MASTER)).toBe("success")
    })
})
