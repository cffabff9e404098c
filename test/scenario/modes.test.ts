/**
 * Operating modes (Matter OperatingMode), set from the keypad menu (option 6) and kept across
 * power cuts, on the real firmware in the VM.
 */
import { describe, expect, it } from "vitest"
import { SimulatedBoard } from "../../sim/board"
import { addUser, attempt, closeMenu, FAST_PROFILE, logSince, MASTER, menuStep, openMenu, setUpBoard, sleep } from "./helpers"

const RELOCK_MS = FAST_PROFILE.timing.autoRelockSeconds * 1000

/** Opens the menu, sets `mode`, closes the menu. */
async function setMode(b: SimulatedBoard, mode: number, master = MASTER) {
    await openMenu(b, master)
    expect(await menuStep(b, "6")).toBe("step")
    expect(await menuStep(b, String(mode))).toBe("success")
    await closeMenu(b)
}

/** A set-up board with a second, Unrestricted user "5820" in slot 2. */
async function withUser(): Promise<SimulatedBoard> {
    const b = await setUpBoard()
    await openMenu(b)
    await addUser(b, 0, [], "5820")
    await closeMenu(b)
    return b
}

describe("operating modes", () => {
    it("Normal: every enabled user opens (the default)", async () => {
        const b = await withUser()
        expect(b.logs.some(l => /lock: ready \(.*mode Normal\)/.test(l))).toBe(true)
        expect(await attempt(b, "5820")).toBe("success")
        expect(await attempt(b, MASTER)).toBe("success")
    })

    it("Vacation: the keypad opens only for the master code; kept across a power cut", async () => {
        const b = await withUser()
        await setMode(b, 1)
        let mark = b.logs.length
        expect(await attempt(b, "5820")).toBe("failure")
        await logSince(b, /wrong code \(failures \d+\)/, mark)
        expect(await attempt(b, MASTER)).toBe("success")
        await b.restart()
        expect(b.logs.some(l => /boot: 2 user\(s\), failures \d+, mode Vacation/.test(l))).toBe(true)
        mark = b.logs.length
        expect(await attempt(b, "5820")).toBe("failure")
        await logSince(b, /wrong code \(failures \d+\)/, mark)
        await setMode(b, 0)
        expect(await attempt(b, "5820")).toBe("success")
    })

    it("Privacy: while locked the keypad opens for no one; the master still reaches the menu", async () => {
        const b = await withUser()
        await setMode(b, 2)
        const moves = b.latchMoves.length
        const mark = b.logs.length
        expect(await attempt(b, MASTER)).toBe("failure")
        await logSince(b, /wrong code \(failures \d+\)/, mark)
        expect(await attempt(b, "5820")).toBe("failure")
        expect(b.openedSince(moves)).toBe(false)
        await b.restart()
        expect(await attempt(b, "5820")).toBe("failure")
        await setMode(b, 0)
        expect(await attempt(b, MASTER)).toBe("success")
    })

    it("NoRemoteLockUnlock: the keypad works as in Normal; kept across a power cut", async () => {
        const b = await withUser()
        await setMode(b, 3)
        expect(await attempt(b, "5820")).toBe("success")
        await b.restart()
        expect(b.logs.some(l => /mode NoRemoteLockUnlock/.test(l))).toBe(true)
        expect(await attempt(b, MASTER)).toBe("success")
        // (remote lock/unlock arrive with the companion; the core refuses them in this mode:
        // see test/cases/modes.ts)
    })

    it("Passage: the latch opens and stays open, even across a power cut; leaving it locks", async () => {
        const b = await withUser()
        const moves = b.latchMoves.length
        await setMode(b, 4)
        await b.waitUntil(() => b.openedSince(moves), "the latch to open")
        await sleep(RELOCK_MS + 1000)
        expect(b.isUnlocked()).toBe(true)
        // a long press of # does not lock in Passage
        await b.press("#", FAST_PROFILE.timing.longPressMs + 200)
        await sleep(300)
        expect(b.isUnlocked()).toBe(true)
        // power cut: locked first (fail secure), then open again as the mode says
        const mark = b.logs.length
        await b.restart()
        await logSince(b, /passage mode: latch open/, mark)
        await b.waitUntil(() => b.isUnlocked(), "the latch to open after boot")
        await setMode(b, 0)
        await b.waitUntil(() => b.isLocked(), "the latch to lock when Passage ends")
        expect(await attempt(b, "5820")).toBe("success")
        await b.waitUntil(() => b.isLocked(), "the auto-relock", RELOCK_MS + 5000)
    })
})
