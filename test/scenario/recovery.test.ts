/**
 * The recovery code on the real firmware in the VM: issued once at setup (shown on the console
 * only), typed as `*` code `#` it opens once and forces a new master code; it counts toward the
 * lockout like any code; it is kept only as a digest.
 */
import { describe, expect, it } from "vitest"
import { readFstor } from "../../sim/fstor"
import { answer, attempt, FAST_PROFILE, freshBoard, itNeeds, logSince, MASTER, setUpBoard } from "./helpers"

const FREE = FAST_PROFILE.lockout.freeFailures

describe("recovery code", () => {
    it("is shown once at setup, opens once, forces a new master code, then never works again", async () => {
        const b = await setUpBoard()
        const shown = b.logs.filter(l => /RECOVERY CODE/.test(l))
        expect(shown.length).toBe(1)
        const code = b.recoveryCode()!
        expect(code).toMatch(/^\d{12}$/)

        const mark = b.logs.length
        const moves = b.latchMoves.length
        expect(await attempt(b, "*" + code)).toBe("success")
        await b.waitUntil(() => b.openedSince(moves), "the latch to open")
        await logSince(b, /recovery code, now used up/, mark)
        // the lock now asks for a new master code, twice
        expect(await answer(b, "3917#", ["step", "failure"])).toBe("step")
        expect(await answer(b, "3917#", ["success", "failure"])).toBe("success")
        await logSince(b, /setup: new master code saved/, mark)
        // a new recovery code replaces the used one
        const next = b.recoveryCode()!
        expect(next).not.toBe(code)

        expect(await attempt(b, MASTER)).toBe("failure")
        expect(await attempt(b, "3917")).toBe("success")
        const again = b.logs.length
        expect(await attempt(b, "*" + code)).toBe("failure")
        await logSince(b, /wrong code/, again)
        await b.restart()
        expect(await attempt(b, "*" + code)).toBe("failure")
        expect(await attempt(b, "*" + next)).toBe("success")
    })

    it("counts toward the lockout like any code, and is refused during one", async () => {
        const b = await setUpBoard()
        const code = b.recoveryCode()!
        const wrong = (code.slice(0, 11) + ((Number(code[11]) + 1) % 10)).toString()
        for (let i = 0; i < FREE; i++) expect(await attempt(b, "*" + wrong)).toBe("failure")
        const mark = b.logs.length
        expect(await attempt(b, "*" + wrong)).toBe("lockout")
        expect(await attempt(b, "*" + code)).toBe("lockout")
        expect(b.logs.some(l => /recovery code, now used up/.test(l))).toBe(false)
        // a short one is a failed attempt too
        await b.waitForLog(/lockout over/, 5000, mark)
        expect(await attempt(b, "*123")).toBe("lockout")
    })

    itNeeds("flashImage")("is stored only as a digest, never printed again, and a lock in setup mode has none", async () => {
        const b = await setUpBoard()
        const code = b.recoveryCode()!
        await b.restart()
        expect(b.logs.filter(l => l.includes(code.slice(0, 4) + " " + code.slice(4, 8))).length).toBe(1)
        const text = Buffer.from(b.flash.image).toString("latin1")
        expect(text.includes(code)).toBe(false)
        const store = readFstor(b.flash.image)
        for (const v of store.values.values()) {
            const bytes = Buffer.from(b.flash.image.slice(v.offset, v.offset + v.size))
            expect(bytes.toString("latin1").includes(code.slice(0, 6))).toBe(false)
        }
        // a wiped lock: no recovery code works
        b.powerCut()
        b.wipeFlash()
        await b.powerOn()
        expect(await attempt(b, "*" + code)).toBe("failure")
    })

    it("a lock that was never set up has no recovery code", async () => {
        const b = await freshBoard()
        expect(b.recoveryCode()).toBeUndefined()
        expect(await attempt(b, "*123456789012")).toBe("failure")
    })
})
