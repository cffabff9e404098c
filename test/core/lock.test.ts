import { describe, expect, it } from "vitest"
import { hmac, kinds, logs, Rig as CoreRig, show } from "./rig"
import {
    Bytes,
    createLock,
    createUserTable,
    DEFAULT_POLICY,
    Effect,
    lockStatus,
    Policy,
    setUser,
    UserStatus,
    UserType,
} from "../../src/core/index"

const CODE = "7391"
const OTHER = "5820"

/** A user table with code i in slot i+1: slot 1 the Programming user, the others Unrestricted. */
function tableOf(codes: (Bytes | null)[]): Bytes {
    const t = createUserTable()
    codes.forEach((c, i) => {
        if (c) setUser(t, i + 1, i === 0 ? UserType.Programming : UserType.Unrestricted, UserStatus.OccupiedEnabled, null, c)
    })
    return t
}

/** The core rig, booted from a plain list of digests: slot i+1 holds codes[i] (null: empty). */
class Rig extends CoreRig {
    bootCodes(codes: (Bytes | null)[], failures = 0, served = true): Effect[] {
        return this.bootTable(tableOf(codes), { failures, served })
    }

    /** The program button pressed for 100 ms. */
    button(): Effect[] {
        const out = this.send({ type: "buttonDown" })
        this.advance(100)
        return [...out, ...this.send({ type: "buttonUp" })]
    }
}

function ready(policy: Policy = DEFAULT_POLICY): Rig {
    const rig = new Rig(policy)
    rig.bootCodes([null, hmac(CODE), null])
    return rig
}

function failN(rig: Rig, n: number) {
    for (let i = 0; i < n; i++) rig.enter(OTHER)
}

describe("createLock", () => {
    it("starts locked, in setup mode, idle", () => {
        const st = createLock(DEFAULT_POLICY, 0)
        expect(lockStatus(st, 0)).toEqual({
            setup: true,
            setupStage: "idle",
            locked: true,
            failures: 0,
            lockoutRemainingMs: 0,
            entryLength: 0,
            busy: false,
            mode: 0,
            users: 0,
            menu: "",
            clockSet: false,
            door: "unknown",
            wallSeconds: 0,
            hasRecovery: false,
        })
    })
})

describe("boot", () => {
    it("locks the latch first, then restores codes", () => {
        const rig = new Rig()
        const out = rig.bootCodes([hmac(CODE)])
        expect(out[0]).toEqual({ type: "latch", locked: true })
        expect(rig.status()).toMatchObject({ setup: false, locked: true, failures: 0 })
    })

    it("locks first even when the state was unlocked", () => {
        const rig = ready()
        rig.enter(CODE)
        expect(rig.status().locked).toBe(false)
        const out = rig.bootCodes([hmac(CODE)])
        expect(out[0]).toEqual({ type: "latch", locked: true })
        expect(rig.status().locked).toBe(true)
    })

    it("stays in setup mode without codes (empty list or all null)", () => {
        for (const codes of [[], [null, null]]) {
            const rig = new Rig()
            rig.bootCodes(codes)
            expect(rig.status().setup).toBe(true)
        }
    })

    it("reads a user table of the wrong size as empty (setup mode)", () => {
        const rig = new Rig()
        rig.send({ type: "boot", users: new Uint8Array(100), names: null, failures: 0, served: true, mode: 0, recovery: null })
        expect(rig.status().setup).toBe(true)
    })

    it("restores the failure counter", () => {
        const rig = new Rig()
        rig.bootCodes([hmac(CODE)], 3, false)
        expect(rig.status()).toMatchObject({ failures: 3, lockoutRemainingMs: 0 })
        expect(kinds(rig.enter(OTHER))).toEqual(["sound key", "sound key", "sound key", "sound key", "saveCounter 4 false", "hash 5820", "sound failure"])
    })

    it("restarts an unserved lockout in full from boot time", () => {
        const rig = new Rig()
        rig.advance(5_000_000)
        rig.bootCodes([hmac(CODE)], 7, false)
        expect(rig.status()).toMatchObject({ failures: 7, lockoutRemainingMs: 60000 })
        expect(kinds(rig.press("1"))).toEqual(["sound lockout"])
        rig.wait(59_800)
        expect(rig.status().lockoutRemainingMs).toBeGreaterThan(0)
        expect(kinds(rig.wait(200))).toEqual(["saveCounter 7 true"])
        expect(rig.status().lockoutRemainingMs).toBe(0)
    })

    it("does not restart a served lockout", () => {
        const rig = new Rig()
        rig.bootCodes([hmac(CODE)], 7, true)
        expect(rig.status().lockoutRemainingMs).toBe(0)
        expect(kinds(rig.enter(CODE))).toContain("latch unlocked")
    })

    it("never starts a lockout within the free failures", () => {
        const rig = new Rig()
        rig.bootCodes([hmac(CODE)], 5, false)
        expect(rig.status().lockoutRemainingMs).toBe(0)
    })

    it("treats a nonsense counter as zero", () => {
        const rig = new Rig()
        rig.bootCodes([hmac(CODE)], NaN, false)
        expect(rig.status().failures).toBe(0)
        rig.bootCodes([hmac(CODE)], -4, false)
        expect(rig.status().failures).toBe(0)
    })

    it("drops a partial entry and a pending hash", () => {
        const rig = ready()
        rig.autoDigest = false
        rig.press("73")
        rig.bootCodes([hmac(CODE)])
        expect(rig.status()).toMatchObject({ entryLength: 0, busy: false })
        rig.enter(CODE)
        expect(rig.status().busy).toBe(true)
        rig.bootCodes([hmac(CODE)])
        expect(rig.status().busy).toBe(false)
        expect(logs(rig.send({ type: "digest", digest: hmac(CODE) }))).toEqual(["unexpected digest ignored"])
        expect(rig.status().locked).toBe(true)
    })
})

describe("entry", () => {
    it("accumulates digits with a key tone", () => {
        const rig = ready()
        expect(kinds(rig.press("739"))).toEqual(["sound key", "sound key", "sound key"])
        expect(rig.status().entryLength).toBe(3)
    })

    it("clears on '*'", () => {
        const rig = ready()
        rig.press("739")
        expect(kinds(rig.press("*"))).toEqual(["sound key"])
        expect(rig.status().entryLength).toBe(0)
        expect(kinds(rig.enter(CODE))).toContain("latch unlocked")
    })

    it("times out after 10 s without a key", () => {
        const rig = ready()
        rig.press("73")
        const keyAt = rig.now - 100 // last keyDown
        rig.advance(keyAt + 9999 - rig.now)
        expect(rig.tick()).toEqual([])
        expect(rig.status().entryLength).toBe(2)
        rig.advance(1)
        expect(kinds(rig.tick())).toEqual(["sound timeout"])
        expect(rig.status().entryLength).toBe(0)
        expect(rig.tick()).toEqual([])
    })

    it("each key restarts the idle timer", () => {
        const rig = ready()
        for (let i = 0; i < 5; i++) {
            rig.press("1")
            rig.wait(9000)
        }
        expect(rig.status().entryLength).toBe(5)
    })

    it("starts afresh when a key comes after the timeout but before the tick", () => {
        const rig = ready()
        rig.press("55")
        rig.advance(20_000)
        expect(kinds(rig.press("7"))).toEqual(["sound timeout", "sound key"])
        expect(rig.status().entryLength).toBe(1)
        expect(kinds(rig.press("391#"))).toContain("latch unlocked")
    })

    it("ignores '#' on an empty entry while locked", () => {
        const rig = ready()
        expect(rig.press("#")).toEqual([])
        rig.wait(5000)
        expect(rig.status()).toMatchObject({ failures: 0, locked: true })
    })

    it("ignores unknown keys", () => {
        const rig = ready()
        expect(rig.send({ type: "keyDown", key: "A" })).toEqual([])
        expect(rig.send({ type: "keyDown", key: "12" })).toEqual([])
        expect(rig.send({ type: "keyDown", key: "" })).toEqual([])
        expect(rig.status().entryLength).toBe(0)
    })

    it("keeps at most max+1 digits of an over-long entry", () => {
        const rig = ready()
        rig.press("1".repeat(100))
        expect(rig.status().entryLength).toBe(9)
        expect(rig.state.entry.length).toBe(9)
        expect(rig.state.overlong).toBe(true)
    })
})

describe("submitting a code", () => {
    it("saves the incremented counter first, then asks for the hash, and clears the entry", () => {
        const rig = ready()
        rig.autoDigest = false
        rig.press(CODE)
        const out = rig.press("#")
        expect(out.slice(0, 2)).toEqual([
            { type: "saveCounter", failures: 1, served: false },
            { type: "hash", code: CODE },
        ])
        expect(rig.status()).toMatchObject({ entryLength: 0, busy: true, failures: 1 })
        expect(rig.state.entry).toBe("")
    })

    it("ignores keys while the hash is pending", () => {
        const rig = ready()
        rig.autoDigest = false
        rig.enter(CODE)
        expect(rig.press("123*#")).toEqual([])
        expect(rig.send({ type: "buttonDown" })).toEqual([])
        expect(rig.status()).toMatchObject({ entryLength: 0, busy: true })
        rig.send({ type: "digest", digest: hmac(CODE) })
        expect(rig.status()).toMatchObject({ busy: false, locked: false })
    })

    it("opens on the right code: latch, counter reset, success tone", () => {
        const rig = ready()
        rig.enter(OTHER)
        rig.press(CODE)
        const out = rig.press("#")
        expect(kinds(out)).toEqual(["saveCounter 2 false", `hash ${CODE}`, "latch unlocked", "saveCounter 0 false", "sound success"])
        expect(logs(out).length).toBeGreaterThan(0)
        expect(rig.status()).toMatchObject({ locked: false, failures: 0 })
    })

    it("finds the code in any slot", () => {
        const rig = new Rig()
        rig.bootCodes([hmac("1111"), null, hmac(OTHER), null, hmac(CODE)])
        expect(kinds(rig.enter(CODE))).toContain("latch unlocked")
        expect(logs(rig.history)).toContain("unlocked (slot 5, Unrestricted)")
        rig.bootCodes([hmac("1111"), null, hmac(OTHER), null, hmac(CODE)])
        expect(kinds(rig.enter(OTHER))).toContain("latch unlocked")
    })

    it("refuses a wrong code: failure tone, counter stays up, failures logged", () => {
        const rig = ready()
        const out = rig.enter(OTHER)
        expect(kinds(out).slice(-3)).toEqual(["saveCounter 1 false", `hash ${OTHER}`, "sound failure"])
        expect(logs(out).join(" ")).toContain("failures 1")
        expect(rig.status()).toMatchObject({ locked: true, failures: 1 })
    })

    it("counts too-short entries as failures without hashing", () => {
        const rig = ready()
        const out = rig.enter("739")
        expect(kinds(out).slice(-2)).toEqual(["saveCounter 1 false", "sound failure"])
        expect(out.some((e) => e.type === "hash")).toBe(false)
        expect(rig.status()).toMatchObject({ failures: 1, entryLength: 0, busy: false })
    })

    it("counts over-long entries as failures, never truncating them to a valid code", () => {
        const rig = ready()
        const out = rig.enter(CODE + "00000") // 9 digits: its first 8 are not the code either way
        expect(kinds(out).slice(-2)).toEqual(["saveCounter 1 false", "sound failure"])
        expect(out.some((e) => e.type === "hash")).toBe(false)
        const rig2 = new Rig()
        rig2.bootCodes([hmac("12345670")])
        expect(kinds(rig2.enter("123456709"))).not.toContain("latch unlocked")
        expect(kinds(rig2.enter("1234567012345670"))).not.toContain("latch unlocked")
        expect(rig2.status().failures).toBe(2)
    })

    it("accepts codes of every allowed length", () => {
        for (const code of ["7391", "73915", "739152", "7391520", "73915204"]) {
            const rig = new Rig()
            rig.bootCodes([hmac(code)])
            expect(kinds(rig.enter(code)), code).toContain("latch unlocked")
        }
    })
})

describe("latch", () => {
    it("relocks automatically after 30 s", () => {
        const rig = ready()
        rig.enter(CODE)
        const openedAt = rig.now - 100 // the '#' keyDown
        rig.advance(openedAt + 29_999 - rig.now)
        expect(rig.tick()).toEqual([])
        rig.advance(1)
        const out = rig.tick()
        expect(kinds(out)).toEqual(["latch locked", "sound locked"])
        expect(rig.status().locked).toBe(true)
        expect(rig.wait(60_000)).toEqual([])
    })

    it("never relocks by itself when auto-relock is off", () => {
        const rig = ready({ ...DEFAULT_POLICY, autoRelockMs: 0 })
        rig.enter(CODE)
        expect(rig.wait(600_000)).toEqual([])
        expect(rig.status().locked).toBe(false)
    })

    it("a right code while open restarts the relock timer", () => {
        const rig = ready()
        rig.enter(CODE)
        rig.wait(20_000)
        expect(kinds(rig.enter(CODE))).toContain("latch unlocked")
        expect(kinds(rig.wait(25_000))).toEqual([])
        expect(kinds(rig.wait(5_000))).toEqual(["latch locked", "sound locked"])
    })

    it("holding '#' for 1 s while open locks at once (seen on tick)", () => {
        const rig = ready()
        rig.enter(CODE)
        rig.wait(1000)
        expect(rig.send({ type: "keyDown", key: "#" })).toEqual([])
        expect(rig.wait(900)).toEqual([])
        expect(kinds(rig.wait(100))).toEqual(["latch locked", "sound locked"])
        expect(rig.send({ type: "keyUp", key: "#" })).toEqual([])
        expect(rig.wait(60_000)).toEqual([])
    })

    it("holding '#' is also seen on its release", () => {
        const rig = ready()
        rig.enter(CODE)
        rig.send({ type: "keyDown", key: "#" })
        rig.advance(1500)
        expect(kinds(rig.send({ type: "keyUp", key: "#" }))).toEqual(["latch locked", "sound locked"])
    })

    it("a short '#' does nothing", () => {
        const rig = ready()
        rig.enter(CODE)
        rig.send({ type: "keyDown", key: "#" })
        rig.advance(999)
        expect(rig.send({ type: "keyUp", key: "#" })).toEqual([])
        expect(rig.wait(2000)).toEqual([])
        expect(rig.status().locked).toBe(false)
    })

    it("pressing a digit while holding '#' cancels the long press", () => {
        const rig = ready()
        rig.enter(CODE)
        rig.send({ type: "keyDown", key: "#" })
        rig.advance(100)
        rig.press("5")
        expect(kinds(rig.wait(2000))).toEqual([])
        expect(rig.status().locked).toBe(false)
    })

    it("holding '#' with digits typed submits instead", () => {
        const rig = ready()
        rig.enter(CODE)
        rig.press("58")
        const out = rig.send({ type: "keyDown", key: "#" })
        expect(kinds(out)).toEqual(["saveCounter 1 false", "sound failure"])
        expect(kinds(rig.wait(2000))).toEqual([])
        expect(rig.status().locked).toBe(false)
    })
})

describe("setup", () => {
    function inSetup(): Rig {
        const rig = new Rig()
        rig.bootCodes([null, null])
        return rig
    }

    function setUp(rig: Rig, code: string): Effect[] {
        return [...rig.button(), ...rig.enter(code), ...rig.enter(code)]
    }

    it("refuses digits before the program button and keeps nothing", () => {
        const rig = inSetup()
        expect(kinds(rig.press("73"))).toEqual(["sound failure", "sound failure"])
        expect(rig.status()).toMatchObject({ setup: true, setupStage: "idle", entryLength: 0 })
        expect(kinds(rig.enter(CODE))).toEqual(Array(5).fill("sound failure"))
        expect(rig.history.some((e) => e.type === "hash" || e.type === "latch" && !e.locked)).toBe(false)
    })

    it("opens stage 'new' on the program button", () => {
        const rig = inSetup()
        expect(kinds(rig.button())).toEqual(["sound step"])
        expect(rig.status().setupStage).toBe("new")
    })

    it("stores a code entered twice, and stays locked", () => {
        const rig = inSetup()
        rig.button()
        const first = rig.enter(CODE)
        expect(kinds(first).slice(-2)).toEqual([`hash ${CODE}`, "sound step"])
        expect(rig.status().setupStage).toBe("confirm")
        const second = rig.enter(CODE)
        expect(kinds(second).slice(-6)).toEqual([
            `hash ${CODE}`,
            "saveUsers 0",
            "saveCounter 0 true",
            "issueRecovery",
            "sound success",
            "saveRecovery set",
        ])
        const saved = second.find((e) => e.type === "saveUsers")
        expect(saved && saved.type === "saveUsers" && Array.from((saved.data as Uint8Array).slice(9, 17))).toEqual(Array.from(hmac(CODE).slice(0, 8)))
        expect(rig.status()).toMatchObject({ setup: false, setupStage: "idle", locked: true })
        expect(rig.history.some((e) => e.type === "latch" && !e.locked)).toBe(false)
        expect(kinds(rig.enter(CODE))).toContain("latch unlocked")
    })

    it("refuses weak codes and stays in stage 'new'", () => {
        const rig = inSetup()
        rig.button()
        for (const weak of ["1234", "0000", "7890", "1212", "2000", "123456"]) {
            const out = rig.enter(weak)
            expect(kinds(out).slice(-1)).toEqual(["sound failure"])
            expect(out.some((e) => e.type === "hash")).toBe(false)
            expect(logs(out).join(" ")).toContain("refused")
            expect(logs(out).join(" ")).not.toContain(weak)
            expect(rig.status().setupStage).toBe("new")
        }
    })

    it("refuses codes of the wrong length", () => {
        const rig = inSetup()
        rig.button()
        for (const bad of ["739", "739152048"]) {
            const out = rig.enter(bad)
            expect(kinds(out).slice(-1)).toEqual(["sound failure"])
            expect(logs(out).join(" ")).toMatch(/too (short|long)/)
        }
        expect(rig.status().setupStage).toBe("new")
    })

    it("goes back to 'new' when the confirmation differs", () => {
        const rig = inSetup()
        rig.button()
        rig.enter(CODE)
        const out = rig.enter(OTHER)
        expect(kinds(out).slice(-2)).toEqual([`hash ${OTHER}`, "sound failure"])
        expect(rig.status()).toMatchObject({ setup: true, setupStage: "new" })
        expect(rig.state.setupFirst).toBeNull()
        // the first code is forgotten: entering it once more starts over
        expect(kinds(rig.enter(CODE)).slice(-1)).toEqual(["sound step"])
        expect(kinds(rig.enter(CODE)).slice(-4)).toEqual(["saveCounter 0 true", "issueRecovery", "sound success", "saveRecovery set"])
    })

    it("a confirmation of another length is a mismatch", () => {
        const rig = inSetup()
        rig.button()
        rig.enter(CODE)
        expect(kinds(rig.enter("73")).slice(-1)).toEqual(["sound failure"])
        expect(rig.status().setupStage).toBe("new")
    })

    it("times out after 2 minutes idle and forgets the first code", () => {
        const rig = inSetup()
        rig.button()
        rig.enter(CODE)
        expect(rig.status().setupStage).toBe("confirm")
        const out = rig.wait(120_000)
        expect(kinds(out)).toEqual(["sound timeout"])
        expect(rig.status().setupStage).toBe("idle")
        expect(rig.state.setupFirst).toBeNull()
        expect(kinds(rig.press("7"))).toEqual(["sound failure"])
    })

    it("keys keep the setup open", () => {
        const rig = inSetup()
        rig.button()
        for (let i = 0; i < 5; i++) {
            rig.wait(100_000)
            rig.press("*")
        }
        expect(rig.status().setupStage).toBe("new")
    })

    it("a partial entry times out in setup too", () => {
        const rig = inSetup()
        rig.button()
        rig.press("73")
        expect(kinds(rig.wait(10_000))).toEqual(["sound timeout"])
        expect(rig.status()).toMatchObject({ setupStage: "new", entryLength: 0 })
    })

    it("does not count toward the lockout counter", () => {
        const rig = inSetup()
        rig.button()
        for (let i = 0; i < 10; i++) rig.enter("1234")
        for (let i = 0; i < 10; i++) {
            rig.enter(CODE)
            rig.enter(OTHER)
        }
        expect(rig.status()).toMatchObject({ failures: 0, lockoutRemainingMs: 0 })
        expect(rig.history.some((e) => e.type === "saveCounter")).toBe(false)
    })

    it("never opens, whatever is typed", () => {
        const rig = inSetup()
        rig.button()
        for (const code of ["7391", "0000", "1234", "", "5820"]) {
            rig.enter(code)
            rig.press("#")
        }
        expect(rig.history.some((e) => e.type === "latch" && !e.locked)).toBe(false)
        expect(rig.status().locked).toBe(true)
    })

    it("the program button restarts the flow", () => {
        const rig = inSetup()
        rig.button()
        rig.enter(CODE)
        expect(kinds(rig.button())).toEqual(["sound step"])
        expect(rig.status().setupStage).toBe("new")
        expect(rig.state.setupFirst).toBeNull()
    })

    it("the program button does nothing once a code is stored", () => {
        const rig = ready()
        expect(kinds(rig.button())).toEqual([])
        expect(rig.status()).toMatchObject({ setup: false, setupStage: "idle" })
    })

    it("works before the boot event too", () => {
        const rig = new Rig()
        expect(kinds(setUp(rig, CODE)).slice(-5)).toEqual(["saveUsers 0", "saveCounter 0 true", "issueRecovery", "sound success", "saveRecovery set"])
    })
})

describe("secrecy", () => {
    it("no effect but 'hash' ever carries the code, no log carries a digest", () => {
        const rig = new Rig()
        rig.bootCodes([])
        rig.button()
        rig.enter("1234")
        rig.enter(CODE)
        rig.enter(OTHER)
        rig.enter(CODE)
        rig.enter(CODE)
        rig.enter(OTHER)
        rig.enter("739")
        rig.enter(CODE + "12345")
        failN(rig, 8)
        rig.wait(100_000)
        rig.enter(CODE)
        rig.wait(40_000)
        const hexes = [CODE, OTHER].map((c) => Buffer.from(hmac(c)).toString("hex"))
        for (const e of rig.history) {
            if (e.type === "hash") continue
            const text = JSON.stringify(e)
            for (const secret of [CODE, OTHER, "739", "1234", ...hexes]) expect(text, text).not.toContain(secret)
            if (e.type === "log") for (const h of hexes) expect(e.message).not.toContain(h.slice(0, 8))
        }
        expect(rig.history.filter((e) => e.type === "log").length).toBeGreaterThan(10)
    })

    it("ignores an unexpected digest", () => {
        const rig = ready()
        expect(kinds(rig.send({ type: "digest", digest: hmac(CODE) }))).toEqual([])
        expect(rig.status().locked).toBe(true)
    })
})
