/**
 * The reset ritual on the real firmware in the VM: holding the inside program button for
 * timing.resetHoldSeconds (10 s as shipped, shortened by the fast test profile) erases everything
 * and leaves a LockFactoryReset record; a shorter press does nothing.
 */
import { describe, expect, it } from "vitest"
import { readFstor } from "../../sim/fstor"
import { provision } from "../../sim/provision"
import { addUser, attempt, closeMenu, FAST_PROFILE, freshBoard, itNeeds, logSince, MASTER, openMenu, savedAudit, setUpBoard, setUpMaster, sleep } from "./helpers"

const HOLD_MS = FAST_PROFILE.timing.resetHoldSeconds * 1000

describe("reset ritual", () => {
    it("a short press, or one held a little less than the time, does nothing", async () => {
        const b = await setUpBoard()
        const mark = b.logs.length
        await b.pressProgramButton(150)
        await logSince(b, /program button released after \d+ ms/, mark)
        await b.pressProgramButton(HOLD_MS - 700)
        await b.waitUntil(() => b.logs.slice(mark).filter(l => /program button released/.test(l)).length === 2, "the second release")
        expect(b.logs.slice(mark).some(l => /factory reset/.test(l))).toBe(false)
        expect(b.heard.some(h => h.sound === "reset")).toBe(false)
        expect(await attempt(b, MASTER)).toBe("success")
    })

    itNeeds("flashImage")("holding it erases users, codes, mode, counter and audit, records LockFactoryReset, and never opens after", async () => {
        const b = await setUpBoard()
        await openMenu(b)
        await addUser(b, 0, [], "5820")
        await closeMenu(b)
        expect(await attempt(b, "8402")).toBe("failure")
        const before = readFstor(b.flash.image)
        expect(before.values.has("$lk.u0")).toBe(true)
        const keyBefore = b.flash.image.slice(before.values.get("$lk.key")!.offset, before.values.get("$lk.key")!.offset + 32)

        const mark = b.logs.length
        const heard = b.heard.length
        await b.pressProgramButton(HOLD_MS + 500)
        await logSince(b, /factory reset: .* erased; setup mode/, mark)
        await logSince(b, /alarm LockFactoryReset/, mark)
        await b.waitForSound("reset", heard)
        expect(b.isLocked()).toBe(true)

        // a wiped lock never opens, whatever code
        const moves = b.latchMoves.length
        for (const code of [MASTER, "5820", "1234"]) expect(await attempt(b, code)).toBe("failure")
        expect(b.openedSince(moves)).toBe(false)

        // on flash: no users, no counter, no mode; a new device key; the log starts with the reset
        await b.restart()
        expect(b.logs.slice(mark).some(l => /boot: 0 user\(s\), failures 0, mode Normal, setup mode/.test(l))).toBe(true)
        const after = readFstor(b.flash.image)
        expect([...after.values.keys()].filter(k => k.startsWith("$lk.u") || k.startsWith("$lk.c"))).toEqual([])
        const keyAfter = b.flash.image.slice(after.values.get("$lk.key")!.offset, after.values.get("$lk.key")!.offset + 32)
        expect(Buffer.from(keyAfter).equals(Buffer.from(keyBefore))).toBe(false)
        const log = savedAudit(b)
        expect(log[0]).toMatchObject({ seq: 0, kind: "LockFactoryReset", source: 5 /* Button */ })
        expect(log.map(e => e.kind)).not.toContain("Unlock")
        await logSince(b, /audit: chain intact/, mark)

        // back in setup mode: the ritual of first boot works again
        await setUpMaster(b, "3917")
        expect(await attempt(b, MASTER)).toBe("failure")
        expect(await attempt(b, "3917")).toBe("success")
    })

    itNeeds("flashImage")("a power cut in the middle of the wipe still ends in a wiped lock", async () => {
        for (const cutAt of [1, 2, 4]) {
            // users in two chunks of the table: slot 1 (chunk 0) and slot 20 (chunk 1)
            const b = await setUpBoard()
            await sleep(300)
            b.powerCut()
            provision(b.flash.image, { users: [{ slot: 1, code: MASTER }, { slot: 20, code: "5820" }] })
            await b.powerOn()
            expect(await attempt(b, "5820")).toBe("success")
            await sleep(300)
            // hold the button; cut the power at the cutAt-th flash write of the wipe
            const mark = b.logs.length
            let writes = 0
            const holding = b.program.down()
            await sleep(HOLD_MS - 500)
            b.flash.onSave = () => {
                if (++writes === cutAt) {
                    b.flash.onSave = undefined
                    b.powerCut()
                }
            }
            await b.waitUntil(() => !b.running, `the power cut at write ${cutAt}`, HOLD_MS + 5000)
            await holding
            await b.program.up()
            await b.powerOn()
            expect(b.logs.slice(mark).some(l => /boot: 0 user\(s\).*setup mode/.test(l)), `cut at write ${cutAt}`).toBe(true)
            for (const code of [MASTER, "5820"]) expect(await attempt(b, code)).toBe("failure")
        }
    }, 120_000)

    it("the shipping firmware resets after a real 10 s hold", async () => {
        const b = await freshBoard("firmware")
        await setUpMaster(b)
        const mark = b.logs.length
        await b.pressProgramButton(10_500)
        await logSince(b, /factory reset/, mark)
        expect(await attempt(b, MASTER)).toBe("failure")
    }, 90_000)
})
