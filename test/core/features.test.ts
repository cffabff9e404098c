/** The core's users, menu, modes, reset ritual, recovery code, clock and audit effects (Node). */
import { describe, expect, it } from "vitest"
import {
    AuditKind,
    DEFAULT_POLICY,
    OperatingMode,
    parseDays,
    userName,
    userParam,
    UserStatus,
    userStatus,
    UserType,
    userType,
} from "../../src/core/index"
import { audits, hmac, kinds, logs, MASTER, RIG_RECOVERY, Rig, sounds } from "./rig"

const USER = "5820"

function withUser(type = UserType.Unrestricted, extra: Partial<{ status: UserStatus; params: [number, number, number][] }> = {}) {
    const rig = new Rig()
    rig.boot([{ slot: 2, code: USER, type, ...extra }])
    return rig
}

describe("user types at the keypad", () => {
    it("Unrestricted and Programming users open; the audit names the slot and the keypad", () => {
        const rig = withUser()
        const out = rig.enter(USER)
        expect(rig.opened(out)).toBe(true)
        expect(audits(out)).toEqual(["audit Unlock 2"])
        expect(out.find(e => e.type === "audit")).toMatchObject({ source: 3, time: 0 })
        expect(rig.opened(rig.enter(MASTER))).toBe(true)
    })

    it("a refusal looks exactly like a wrong code; only the log and the audit say why", () => {
        const refusals: [UserType, Partial<{ status: UserStatus }>, string, string][] = [
            [UserType.Unrestricted, { status: UserStatus.OccupiedDisabled }, "refused: disabled user (slot 2)", "DisabledUserDenied"],
            [UserType.NonAccess, {}, "refused: user type may not open from the keypad (slot 2)", "RestrictedUserType"],
            [UserType.RemoteOnly, {}, "refused: user type may not open from the keypad (slot 2)", "RestrictedUserType"],
            [UserType.WeekDaySchedule, {}, "refused: clock not set (slot 2)", "RestrictedClock"],
            [UserType.YearDaySchedule, {}, "refused: clock not set (slot 2)", "RestrictedClock"],
            [UserType.Expiring, {}, "refused: clock not set (slot 2)", "RestrictedClock"],
        ]
        const wrong = withUser().enter("8402")
        for (const [type, extra, log, kind] of refusals) {
            const rig = withUser(type, extra)
            const out = rig.enter(USER)
            expect(kinds(out), UserType[type]).toEqual(kinds(wrong).map(k => k.replace("8402", USER)))
            expect(logs(out).join("\n")).toContain(log)
            expect(audits(out)).toEqual([`audit ${kind} 2`])
        }
        expect(audits(wrong)).toEqual(["audit InvalidCredential 0"])
    })

    it("Forced opens like any code and raises a silent ForcedUser alarm", () => {
        const rig = withUser(UserType.Forced)
        const out = rig.enter(USER)
        expect(rig.opened(out)).toBe(true)
        expect(kinds(out)).toContain("alarm ForcedUser")
        expect(audits(out)).toEqual(["audit Unlock 2", "audit ForcedUser 2"])
        expect(sounds(out)).toEqual(sounds(withUser().enter(USER)))
    })

    it("Disposable opens once, then is disabled (saved before the latch moves)", () => {
        const rig = withUser(UserType.Disposable)
        const out = rig.enter(USER)
        expect(rig.opened(out)).toBe(true)
        const k = kinds(out)
        expect(k.indexOf("saveUsers 0")).toBeGreaterThanOrEqual(0)
        expect(k.indexOf("saveUsers 0")).toBeLessThan(k.indexOf("latch unlocked"))
        expect(userStatus(rig.state.users, 2)).toBe(UserStatus.OccupiedDisabled)
        rig.wait(40_000)
        expect(rig.opened(rig.enter(USER))).toBe(false)
    })

    it("Expiring starts its validity at the first use (saved), then expires", () => {
        const rig = withUser(UserType.Expiring, { params: [[0, 2, 10]] })
        rig.clock("2025-06-10T08:00")
        const out = rig.enter(USER)
        expect(rig.opened(out)).toBe(true)
        expect(kinds(out)).toContain("saveUsers 0")
        expect(kinds(out).indexOf("saveUsers 0")).toBeLessThan(kinds(out).indexOf("latch unlocked"))
        expect(userParam(rig.state.users, 2, 2, 4)).toBe(Date.UTC(2025, 5, 10, 8) / 1000)
        expect(logs(out).join()).toContain("valid until 2025-06-10 08:10")
        rig.wait(9 * 60_000)
        expect(rig.opened(rig.enter(USER))).toBe(true)
        rig.wait(60_000)
        expect(rig.opened(rig.enter(USER))).toBe(false)
    })

    it("schedule users follow the clock; a reboot forgets it", () => {
        const rig = withUser(UserType.WeekDaySchedule, { params: [[0, 1, parseDays("5")], [1, 2, 540], [3, 2, 1020]] })
        rig.clock("2025-02-28T12:00")
        expect(rig.opened(rig.enter(USER))).toBe(true)
        rig.clock("2025-02-28T17:00")
        expect(audits(rig.enter(USER))).toEqual(["audit RestrictedSchedule 2"])
        rig.clock("2025-02-28T12:00")
        rig.boot([{ slot: 2, code: USER, type: UserType.WeekDaySchedule, params: [[0, 1, parseDays("5")], [1, 2, 540], [3, 2, 1020]] }])
        expect(rig.status().clockSet).toBe(false)
        expect(audits(rig.enter(USER))).toEqual(["audit RestrictedClock 2"])
    })
})

describe("programming menu", () => {
    it("opens with the master code and *#: counter cleared, menu tune, audit, latch untouched", () => {
        const rig = withUser()
        rig.enter("8402")
        const out = rig.menu()
        expect(kinds(out).slice(-3)).toEqual(["hash 7391", "saveCounter 0 false", "sound menu"])
        expect(audits(out)).toEqual(["audit MenuOpened 1"])
        expect(rig.status()).toMatchObject({ menu: "top", failures: 0, locked: true })
    })

    it("a wrong master, or another user's code, counts and is refused", () => {
        const rig = withUser()
        expect(sounds(rig.menu("8402")).pop()).toBe("sound failure")
        const out = rig.menu(USER)
        expect(sounds(out).pop()).toBe("sound failure")
        expect(audits(out)).toEqual(["audit InvalidCredential 2"])
        expect(rig.status()).toMatchObject({ menu: "", failures: 2 })
        for (let i = 0; i < 3; i++) rig.menu("8402")
        expect(sounds(rig.menu("8402")).pop()).toBe("sound lockout")
    })

    it("adds every keypad type with its schedule into the lowest free slot", () => {
        const cases: [number, string[], (rig: Rig, slot: number) => void][] = [
            [0, [], () => {}],
            [2, ["135", "0830", "2400"], (r, s) => {
                expect(userParam(r.state.users, s, 0, 1)).toBe(parseDays("135"))
                expect(userParam(r.state.users, s, 1, 2)).toBe(510)
                expect(userParam(r.state.users, s, 3, 2)).toBe(1440)
            }],
            [1, ["202503011000", "202503031000"], (r, s) => {
                expect(userParam(r.state.users, s, 0, 4)).toBe(Date.UTC(2025, 2, 1, 10) / 1000)
                expect(userParam(r.state.users, s, 4, 4)).toBe(Date.UTC(2025, 2, 3, 10) / 1000)
            }],
            [7, ["2880"], (r, s) => expect(userParam(r.state.users, s, 0, 2)).toBe(2880)],
            [4, [], () => {}],
            [5, [], () => {}],
            [6, [], () => {}],
            [9, [], () => {}],
        ]
        const rig = withUser()
        rig.menu()
        let code = 2468
        for (const [type, values, check] of cases) {
            const slot = rig.state.users && (() => { for (let s = 2; s <= 250; s++) if (userStatus(rig.state.users, s) === 0) return s; return 0 })()
            expect(sounds(rig.enter("1")).pop()).toBe("sound step")
            expect(sounds(rig.enter(String(type))).pop()).toBe("sound step")
            for (const v of values) expect(sounds(rig.enter(v)).pop(), `${type}: ${v}`).toBe("sound step")
            const c = String(code++ * 3 + 1000)
            expect(sounds(rig.enter(c)).pop()).toBe("sound step")
            const out = rig.enter(c)
            expect(kinds(out).slice(-2)).toEqual([`saveUsers ${Math.floor((slot - 1) / 12)}`, "sound success"])
            expect(audits(out)).toEqual([`audit UserAdded ${slot}`])
            expect(userType(rig.state.users, slot)).toBe(type)
            check(rig, slot)
        }
        expect(rig.status().users).toBe(10)
    })

    it("refuses bad types, values, duplicate and weak codes, and starts the code over on a mismatch", () => {
        const rig = withUser()
        rig.menu()
        rig.enter("1")
        for (const t of ["3", "8", "12"]) expect(sounds(rig.enter(t)).pop(), t).toBe("sound failure")
        rig.enter("7")
        for (const m of ["0", "2881", "99999"]) expect(sounds(rig.enter(m)).pop(), m).toBe("sound failure")
        rig.enter("60")
        expect(logs(rig.enter(USER)).join()).toContain("code already in use")
        expect(logs(rig.enter(MASTER)).join()).toContain("code already in use")
        expect(logs(rig.enter("1111")).join()).toContain("all same digit")
        expect(logs(rig.enter("123456789")).join()).toContain("too long")
        rig.enter("2468")
        expect(sounds(rig.enter("2469")).pop()).toBe("sound failure")
        expect(rig.status().menu).toBe("code")
        rig.enter("2468")
        expect(sounds(rig.enter("2468")).pop()).toBe("sound success")
    })

    it("deletes, disables and enables slots, never the master's; delete forgets the name", () => {
        const rig = withUser()
        rig.send({ type: "setUserName", slot: 2, name: "Guest" })
        rig.menu()
        for (const [opt, slot] of [["2", "1"], ["3", "1"], ["2", "9"], ["4", "251"]]) {
            rig.enter(opt)
            expect(sounds(rig.enter(slot)).pop(), `${opt} ${slot}`).toBe("sound failure")
            rig.press("*")
        }
        rig.enter("3")
        expect(audits(rig.enter("2"))).toEqual(["audit UserDisabled 2"])
        expect(userStatus(rig.state.users, 2)).toBe(UserStatus.OccupiedDisabled)
        rig.enter("4")
        expect(audits(rig.enter("2"))).toEqual(["audit UserEnabled 2"])
        rig.enter("2")
        const out = rig.enter("2")
        expect(kinds(out).slice(-3)).toEqual(["saveUsers 0", "saveNames 0", "sound success"])
        expect(userName(rig.state.names, 2)).toBe("")
        expect(rig.status().users).toBe(1)
    })

    it("changes the master code; the old one stops working", () => {
        const rig = withUser()
        rig.menu()
        rig.enter("5")
        rig.enter("3917")
        expect(audits(rig.enter("3917"))).toEqual(["audit MasterChanged 1"])
        rig.press("*")
        expect(rig.opened(rig.enter(MASTER))).toBe(false)
        expect(rig.opened(rig.enter("3917"))).toBe(true)
        expect(userType(rig.state.users, 1)).toBe(UserType.Programming)
    })

    it("sets each operating mode, saved and audited", () => {
        for (let mode = 0; mode <= 4; mode++) {
            const rig = withUser()
            rig.menu()
            rig.enter("6")
            const out = rig.enter(String(mode))
            expect(kinds(out)).toContain(`saveMode ${mode}`)
            expect(audits(out)[0]).toBe(`audit ModeChanged ${mode}`)
            expect(rig.status().mode).toBe(mode)
        }
        const rig = withUser()
        rig.menu()
        rig.enter("6")
        expect(sounds(rig.enter("5")).pop()).toBe("sound failure")
    })

    it("issues a new recovery code on option 7", () => {
        const rig = withUser()
        rig.menu()
        rig.recovery = "111122223333"
        expect(kinds(rig.enter("7"))).toEqual(["sound key", "issueRecovery", "sound success", "saveRecovery set"])
        rig.press("*")
        expect(rig.opened(rig.enter("*" + RIG_RECOVERY))).toBe(false)
        rig.wait(60_000)
        expect(rig.opened(rig.enter("*111122223333"))).toBe(true)
    })

    it("* clears a value, goes back to the top, closes at the top; it times out", () => {
        const rig = withUser()
        rig.menu()
        rig.enter("1")
        rig.press("12")
        expect(sounds(rig.press("*"))).toEqual(["sound key"])
        expect(rig.status().menu).toBe("type")
        expect(sounds(rig.press("*"))).toEqual(["sound menu"])
        expect(sounds(rig.press("*"))).toEqual(["sound exit"])
        expect(rig.status().menu).toBe("")
        rig.menu()
        rig.enter("2")
        expect(rig.wait(DEFAULT_POLICY.menuTimeoutMs - 200)).toEqual([])
        expect(sounds(rig.wait(200))).toEqual(["sound timeout"])
        expect(rig.status().menu).toBe("")
    })

    it("the README's example adds a Monday and Thursday 09:00-12:00 user", () => {
        const rig = withUser()
        for (const step of ["7391*#", "1#", "2#", "14#", "0900#", "1200#", "6813#", "6813#", "*"]) rig.press(step)
        expect(rig.status().menu).toBe("")
        expect(userType(rig.state.users, 3)).toBe(UserType.WeekDaySchedule)
        rig.clock("2025-03-03T11:59") // a Monday
        expect(rig.opened(rig.enter("6813"))).toBe(true)
        rig.clock("2025-03-04T10:00") // Tuesday
        expect(rig.opened(rig.enter("6813"))).toBe(false)
    })

    it("refuses to add when all 250 slots are taken", () => {
        const rig = new Rig()
        const users = []
        for (let s = 2; s <= 250; s++) users.push({ slot: s, code: String(100000 + s * 7) })
        rig.boot(users)
        rig.menu()
        expect(logs(rig.enter("1")).join()).toContain("no free slot")
    })
})

describe("operating modes", () => {
    it("Vacation: only the Programming user opens", () => {
        const rig = new Rig()
        rig.boot([{ slot: 2, code: USER }], { mode: OperatingMode.Vacation })
        expect(audits(rig.enter(USER))).toEqual(["audit RestrictedMode 2"])
        expect(rig.opened(rig.enter(MASTER))).toBe(true)
    })

    it("Privacy: nobody opens while locked, the menu still opens", () => {
        const rig = new Rig()
        rig.boot([{ slot: 2, code: USER }], { mode: OperatingMode.Privacy })
        expect(audits(rig.enter(MASTER))).toEqual(["audit RestrictedMode 1"])
        expect(rig.opened(rig.enter("*" + RIG_RECOVERY))).toBe(false)
        expect(rig.status().menu).toBe("")
        rig.menu()
        expect(rig.status().menu).toBe("top")
    })

    it("Passage: opens at once and stays open; leaving it locks; a reboot opens again after locking", () => {
        const rig = withUser()
        rig.menu()
        rig.enter("6")
        expect(kinds(rig.enter("4"))).toContain("latch unlocked")
        rig.press("*")
        expect(kinds(rig.wait(120_000))).toEqual([])
        rig.send({ type: "keyDown", key: "#" })
        expect(kinds(rig.wait(5000))).toEqual([])
        rig.send({ type: "keyUp", key: "#" })
        expect(rig.status().locked).toBe(false)
        const boot = rig.boot([{ slot: 2, code: USER }], { mode: OperatingMode.Passage })
        expect(kinds(boot)).toEqual(["latch locked", "latch unlocked"])
        rig.menu()
        rig.enter("6")
        expect(kinds(rig.enter("0"))).toContain("latch locked")
        expect(rig.status().locked).toBe(true)
    })

    it("NoRemoteLockUnlock refuses remote operations, the keypad works", () => {
        const rig = new Rig()
        rig.boot([{ slot: 2, code: USER }], { mode: OperatingMode.NoRemoteLockUnlock })
        const out = rig.send({ type: "remote", op: "unlock", slot: 2 })
        expect(rig.opened(out)).toBe(false)
        expect(audits(out)).toEqual(["audit RemoteRefused 2"])
        expect(rig.opened(rig.enter(USER))).toBe(true)
    })

    it("remote unlock and lock in Normal; refused in setup mode; an unknown mode reads as Normal", () => {
        const rig = withUser()
        const out = rig.send({ type: "remote", op: "unlock", slot: 2 })
        expect(rig.opened(out)).toBe(true)
        expect(audits(out)).toEqual(["audit Unlock 2"])
        expect(out.find(e => e.type === "audit")).toMatchObject({ source: 7 })
        expect(kinds(rig.send({ type: "remote", op: "lock", slot: 2 }))).toEqual(["latch locked", "sound locked"])
        const fresh = new Rig()
        expect(fresh.opened(fresh.send({ type: "remote", op: "unlock", slot: 0 }))).toBe(false)
        const odd = new Rig()
        odd.boot([], { mode: 9 })
        expect(odd.status().mode).toBe(0)
    })
})

describe("reset ritual", () => {
    it("10 s of the program button wipe everything; 9.9 s do nothing", () => {
        const rig = withUser()
        expect(kinds(rig.hold(9900))).toEqual([])
        expect(logs(rig.history).join()).toContain("program button released after 9900 ms")
        const out = rig.hold(10_000)
        expect(kinds(out)).toEqual(["latch locked", "factoryReset", "alarm LockFactoryReset", "sound reset"])
        expect(audits(out)).toEqual(["audit LockFactoryReset 0"])
        expect(out.find(e => e.type === "audit")).toMatchObject({ source: 5 })
        expect(rig.status()).toMatchObject({ setup: true, users: 0, mode: 0, failures: 0, hasRecovery: false, locked: true })
        expect(rig.opened(rig.enter(MASTER))).toBe(false)
        expect(rig.opened(rig.enter(USER))).toBe(false)
    })

    it("resets once per hold, also during a lockout, a menu or in setup mode", () => {
        const rig = withUser()
        for (let i = 0; i < 6; i++) rig.enter("8402")
        expect(rig.status().lockoutRemainingMs).toBeGreaterThan(0)
        const out = rig.hold(25_000)
        expect(out.filter(e => e.type === "factoryReset").length).toBe(1)
        expect(rig.status().lockoutRemainingMs).toBe(0)
        const menu = withUser()
        menu.menu()
        menu.hold(10_000)
        expect(menu.status().menu).toBe("")
        const setup = new Rig()
        setup.boot([{ slot: 1, code: MASTER }])
        setup.hold(10_000)
        expect(kinds(setup.hold(10_000))).toEqual(["sound step", "latch locked", "factoryReset", "alarm LockFactoryReset", "sound reset"])
    })
})

describe("recovery code", () => {
    it("opens once, is used up, and asks for a new master code (other users stay)", () => {
        const rig = withUser()
        const out = rig.enter("*" + RIG_RECOVERY)
        expect(rig.opened(out)).toBe(true)
        expect(kinds(out).indexOf("saveRecovery none")).toBeLessThan(kinds(out).indexOf("latch unlocked"))
        expect(kinds(out)).toContain("saveRecovery none")
        expect(audits(out)).toEqual(["audit RecoveryUsed 0"])
        expect(rig.status()).toMatchObject({ setupStage: "new", hasRecovery: false, failures: 0 })
        rig.recovery = "222233334444"
        expect(sounds(rig.enter(USER)).pop()).toBe("sound step") // a typed code goes to the new master flow
        expect(sounds(rig.enter("3917")).pop()).toBe("sound failure") // mismatch
        rig.enter("3917")
        const saved = rig.enter("3917")
        expect(kinds(saved)).toEqual(expect.arrayContaining(["saveUsers 0", "issueRecovery", "saveRecovery set"]))
        expect(logs(saved).join()).toContain("new master code saved")
        expect(rig.opened(rig.enter(MASTER))).toBe(false)
        expect(rig.opened(rig.enter("3917"))).toBe(true)
        expect(rig.opened(rig.enter(USER))).toBe(true)
        expect(rig.opened(rig.enter("*" + RIG_RECOVERY))).toBe(false)
        expect(rig.opened(rig.enter("*222233334444"))).toBe(true)
    })

    it("the new master may not be another user's code", () => {
        const rig = withUser()
        rig.enter("*" + RIG_RECOVERY)
        rig.enter(USER)
        const out = rig.enter(USER)
        expect(logs(out).join()).toContain("already in use")
        expect(rig.status().setupStage).toBe("new")
    })

    it("never opens a lock without users, nor one whose code was used", () => {
        const rig = new Rig()
        rig.send({ type: "boot", users: null, names: null, failures: 0, served: true, mode: 0, recovery: hmac("*" + RIG_RECOVERY) })
        expect(rig.opened(rig.enter("*" + RIG_RECOVERY))).toBe(false)
        const used = new Rig()
        used.boot([], { recovery: false })
        expect(used.opened(used.enter("*" + RIG_RECOVERY))).toBe(false)
        expect(used.status().failures).toBe(1)
    })
})
