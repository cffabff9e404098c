/**
 * User types (Matter UserType) added at the keypad, on the real firmware in the VM: each opens
 * or is refused as its type says, and a refusal is answered exactly like a wrong code (tune and
 * console line); only the audit log records the reason.
 */
import { describe, expect, it } from "vitest"
import { addUser, attempt, closeMenu, itNeeds, logSince, MASTER, menuStep, openMenu, setUpBoard, sleep } from "./helpers"

const T = { Unrestricted: 0, NonAccess: 4, Forced: 5, Disposable: 6, RemoteOnly: 9 }

describe("user types", () => {
    it("an Unrestricted user opens; the master (Programming, slot 1) too", async () => {
        const b = await setUpBoard()
        await openMenu(b)
        const slot = await addUser(b, T.Unrestricted, [], "5820")
        expect(slot).toBe(2)
        await closeMenu(b)
        const mark = b.logs.length
        expect(await attempt(b, "5820")).toBe("success")
        await logSince(b, /unlocked \(slot 2, Unrestricted\)/, mark)
        expect(await attempt(b, MASTER)).toBe("success")
        await logSince(b, /unlocked \(slot 1, Programming\)/, mark)
    })

    it("a Disposable code opens once, then is refused like a wrong code", async () => {
        const b = await setUpBoard()
        await openMenu(b)
        await addUser(b, T.Disposable, [], "6813")
        await closeMenu(b)
        const mark = b.logs.length
        expect(await attempt(b, "6813")).toBe("success")
        await logSince(b, /slot 2: disposable code used up/, mark)
        expect(await attempt(b, "6813")).toBe("failure")
        await logSince(b, /wrong code \(failures \d+\)/, mark)
        // survives a power cut: still used up
        await b.restart()
        expect(await attempt(b, "6813")).toBe("failure")
    })

    itNeeds("flashImage")("a power cut as a Disposable code opens does not give the code back", async () => {
        const b = await setUpBoard()
        await openMenu(b)
        await addUser(b, T.Disposable, [], "6813")
        await closeMenu(b)
        await sleep(300)
        // writes after '#': the counter (before the check), the meta (a user change raises the
        // store's generation), then the used-up user; cut right there
        let writes = 0
        b.flash.onSave = () => {
            if (++writes === 3) {
                b.flash.onSave = undefined
                b.powerCut()
            }
        }
        await b.type("6813")
        await b.keyDown("#")
        await b.waitUntil(() => !b.running, "the power cut")
        await b.powerOn()
        expect(await attempt(b, "6813")).toBe("failure")
    })

    it("a Forced (duress) code opens with the usual tune and raises a silent ForcedUser alarm", async () => {
        const b = await setUpBoard()
        await openMenu(b)
        await addUser(b, T.Forced, [], "2947")
        await closeMenu(b)
        const mark = b.logs.length
        const heard = b.heard.length
        const moves = b.latchMoves.length
        expect(await attempt(b, "2947")).toBe("success")
        await b.waitUntil(() => b.openedSince(moves), "the latch to open")
        await logSince(b, /alarm ForcedUser \(slot 2\)/, mark)
        // nothing but key tones and the success tune: the alarm is silent
        expect(new Set(b.heard.slice(heard).map(h => h.sound))).toEqual(new Set(["key", "success"]))
    })

    it("a NonAccess user is refused with the reason recorded, not revealed", async () => {
        const b = await setUpBoard()
        await openMenu(b)
        await addUser(b, T.NonAccess, [], "3068")
        await closeMenu(b)
        const mark = b.logs.length
        const moves = b.latchMoves.length
        expect(await attempt(b, "3068")).toBe("failure")
        await logSince(b, /wrong code \(failures \d+\)/, mark)
        expect(b.openedSince(moves)).toBe(false)
    })

    it("a RemoteOnly user is refused at the keypad", async () => {
        const b = await setUpBoard()
        await openMenu(b)
        await addUser(b, T.RemoteOnly, [], "4186")
        await closeMenu(b)
        const mark = b.logs.length
        expect(await attempt(b, "4186")).toBe("failure")
        await logSince(b, /wrong code \(failures \d+\)/, mark)
    })

    it("new codes follow the policy: no weak code, no code another user has, right length", async () => {
        const b = await setUpBoard()
        await openMenu(b)
        const mark = b.logs.length
        expect(await menuStep(b, "1")).toBe("step")
        expect(await menuStep(b, "0")).toBe("step")
        expect(await menuStep(b, "2580")).toBe("failure")
        await logSince(b, /menu: refused: code: common code/, mark)
        expect(await menuStep(b, MASTER)).toBe("failure")
        await logSince(b, /menu: refused: code already in use/, mark)
        expect(await menuStep(b, "482")).toBe("failure")
        await logSince(b, /menu: refused: code: too short/, mark)
        // a mismatched confirmation starts the code over
        expect(await menuStep(b, "5820")).toBe("step")
        expect(await menuStep(b, "5821")).toBe("failure")
        expect(await menuStep(b, "5820")).toBe("step")
        expect(await menuStep(b, "5820")).toBe("success")
        await closeMenu(b)
        expect(await attempt(b, "5820")).toBe("success")
        // no code in any log line (the recovery code, shown once, is the only code ever printed)
        const lines = b.logs.filter(l => l.startsWith("> ") && !/RECOVERY CODE/.test(l))
        expect(lines.join("\n")).not.toMatch(/2580|5820|5821|4719|482/)
    })

    it("a disabled user is refused; enabled again it opens; deleted it is refused for good", async () => {
        const b = await setUpBoard()
        await openMenu(b)
        const slot = await addUser(b, T.Unrestricted, [], "5820")
        expect(await menuStep(b, "3")).toBe("step")
        expect(await menuStep(b, String(slot))).toBe("success")
        await closeMenu(b)
        let mark = b.logs.length
        expect(await attempt(b, "5820")).toBe("failure")
        await logSince(b, /wrong code \(failures \d+\)/, mark)
        await openMenu(b)
        expect(await menuStep(b, "4")).toBe("step")
        expect(await menuStep(b, String(slot))).toBe("success")
        await closeMenu(b)
        expect(await attempt(b, "5820")).toBe("success")
        await openMenu(b)
        expect(await menuStep(b, "2")).toBe("step")
        expect(await menuStep(b, String(slot))).toBe("success")
        await closeMenu(b)
        mark = b.logs.length
        expect(await attempt(b, "5820")).toBe("failure")
        await logSince(b, /wrong code \(failures 1\)/, mark)
        // the slot is free again: the next user gets it
        await openMenu(b)
        expect(await addUser(b, T.Unrestricted, [], "6813")).toBe(slot)
    })
})
