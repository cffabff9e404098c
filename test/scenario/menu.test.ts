/**
 * Keypad programming on the real firmware in the VM: master code, `*`, `#` opens the menu; each
 * step answers with its own tune; a wrong master code counts toward the lockout; the menu closes
 * by itself.
 */
import { describe, expect, it } from "vitest"
import {
    addUser,
    answer,
    attempt,
    closeMenu,
    FAST_PROFILE,
    logSince,
    MASTER,
    menuStep,
    openMenu,
    setUpBoard,
} from "./helpers"

const MENU_TIMEOUT_MS = FAST_PROFILE.timing.menuTimeoutSeconds * 1000
const FREE = FAST_PROFILE.lockout.freeFailures

describe("keypad programming", () => {
    it("happy path: tunes guide each step; add, then change the master code", async () => {
        const b = await setUpBoard()
        const moves = b.latchMoves.length
        await openMenu(b)
        // opening the menu never opens the door
        expect(b.openedSince(moves)).toBe(false)
        const slot = await addUser(b, 0, [], "5820")
        expect(slot).toBe(2)
        // change the master code: option 5, new code twice
        const mark = b.logs.length
        expect(await menuStep(b, "5")).toBe("step")
        expect(await menuStep(b, "3917")).toBe("step")
        expect(await menuStep(b, "3917")).toBe("success")
        await logSince(b, /menu: master code changed/, mark)
        await closeMenu(b)
        expect(await attempt(b, MASTER)).toBe("failure")
        expect(await attempt(b, "3917")).toBe("success")
        expect(await attempt(b, "5820")).toBe("success")
        // the new master opens the menu, the old one does not
        await openMenu(b, "3917")
        await closeMenu(b)
        expect(await answer(b, MASTER + "*#", ["menu", "failure"])).toBe("failure")
        // all of it survives a power cut
        await b.restart()
        expect(await attempt(b, "3917")).toBe("success")
        expect(await attempt(b, "5820")).toBe("success")
    })

    it("refuses unknown options and bad slots, and '*' goes back to the top", async () => {
        const b = await setUpBoard()
        await openMenu(b)
        expect(await menuStep(b, "8")).toBe("failure")
        expect(await menuStep(b, "2")).toBe("step")
        expect(await menuStep(b, "1")).toBe("failure") // slot 1 is the master: not deleted
        expect(await menuStep(b, "77")).toBe("failure") // nobody there
        expect(await answer(b, "*", ["menu", "exit"])).toBe("menu")
        await closeMenu(b)
        expect(await attempt(b, MASTER)).toBe("success")
    })

    it("a wrong master code counts toward the lockout", async () => {
        const b = await setUpBoard()
        for (let i = 1; i <= FREE; i++) {
            const mark = b.logs.length
            expect(await answer(b, "8402*#", ["menu", "failure", "lockout"])).toBe("failure")
            await logSince(b, new RegExp(`menu refused: not the master code \\(failures ${i}\\)`), mark)
        }
        expect(await answer(b, "8402*#", ["menu", "failure", "lockout"])).toBe("lockout")
        // even the right master is refused during the lockout
        expect(await answer(b, MASTER + "*#", ["menu", "failure", "lockout"])).toBe("lockout")
        // and the lockout survives a restart
        await b.restart()
        expect(b.logs.some(l => new RegExp(`boot: 1 user\\(s\\), failures ${FREE + 1}`).test(l))).toBe(true)
        expect(await answer(b, MASTER + "*#", ["menu", "failure", "lockout"])).toBe("lockout")
    })

    it("another user's code does not open the menu, and counts as a failure", async () => {
        const b = await setUpBoard()
        await openMenu(b)
        await addUser(b, 0, [], "5820")
        await closeMenu(b)
        const mark = b.logs.length
        expect(await answer(b, "5820*#", ["menu", "failure"])).toBe("failure")
        await logSince(b, /menu refused: not the master code \(failures 1\)/, mark)
    })

    it("times out: the menu closes by itself and what follows is an ordinary entry", async () => {
        const b = await setUpBoard()
        await openMenu(b)
        expect(await menuStep(b, "1")).toBe("step")
        const from = b.heard.length
        const mark = b.logs.length
        await b.waitForSound("timeout", from, MENU_TIMEOUT_MS + 5000)
        await logSince(b, /menu: timed out/, mark)
        // "6#" is no longer a menu option: it is a too-short code, a failed attempt
        expect(await attempt(b, "6")).toBe("failure")
        await logSince(b, /invalid entry length \(failures 1\)/, mark)
        expect(await attempt(b, MASTER)).toBe("success")
    })
})
