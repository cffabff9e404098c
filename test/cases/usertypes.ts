/** User types at the keypad: who opens, Forced (duress), Disposable, Expiring and schedule users with the clock. */
import { parseDays, userParam, UserStatus, userStatus, UserType } from "../../src/core/index"
import { Suite } from "./check"
import { has, list, str } from "./compare"
import { utc } from "./utc"
import { audits, auditsFull, kinds, logs, MASTER, opened, sounds, USER, withUser } from "./rig"

/** Fridays 09:00-17:00. */
const FRIDAYS = [
    [0, 1, parseDays("5")],
    [1, 2, 540],
    [3, 2, 1020],
]

export function userTypesSuite(): Suite {
    return {
        name: "user types at the keypad",
        cases: [
            {
                name: "Unrestricted and Programming users open; the audit names the slot and the keypad",
                run: async check => {
                    const rig = await withUser(check)
                    const out = await rig.enter(USER)
                    check.eq(str(opened(out)), "true", "the user opens")
                    check.eq(list(audits(out)), "audit Unlock 2", "audit")
                    check.eq(list(auditsFull(out)), "audit Unlock 2 source 3 time 0", "from the keypad, clock unset")
                    check.eq(str(opened(await rig.enter(MASTER))), "true", "the master opens")
                },
            },
            {
                name: "Forced opens like any code and raises a silent ForcedUser alarm",
                run: async check => {
                    const rig = await withUser(check, UserType.Forced)
                    const out = await rig.enter(USER)
                    check.eq(str(opened(out)), "true", "opens")
                    check.eq(has(kinds(out), "alarm ForcedUser"), "yes", "alarm")
                    check.eq(list(audits(out)), "audit Unlock 2, audit ForcedUser 2", "audit")
                    const plain = await (await withUser(check)).enter(USER)
                    check.eq(list(sounds(out)), list(sounds(plain)), "sounds like any code")
                },
            },
            {
                name: "Disposable opens once, then is disabled (saved before the latch moves)",
                run: async check => {
                    const rig = await withUser(check, UserType.Disposable)
                    const out = await rig.enter(USER)
                    check.eq(str(opened(out)), "true", "opens")
                    const k = kinds(out)
                    check.eq(k.indexOf("saveUsers 0") >= 0 ? "saved" : "not saved", "saved", "the user table saved")
                    check.eq(k.indexOf("saveUsers 0") < k.indexOf("latch unlocked") ? "before" : "after", "before", "saved before the latch moves")
                    check.eq(str(userStatus(rig.state.users, 2)), str(UserStatus.OccupiedDisabled), "disabled")
                    await rig.wait(40000)
                    check.eq(str(opened(await rig.enter(USER))), "false", "a second time")
                },
            },
            {
                name: "Expiring starts its validity at the first use (saved), then expires",
                run: async check => {
                    const rig = await withUser(check, UserType.Expiring, UserStatus.OccupiedEnabled, [[0, 2, 10]])
                    rig.clock(2025, 6, 10, 8, 0)
                    const out = await rig.enter(USER)
                    check.eq(str(opened(out)), "true", "opens")
                    const k = kinds(out)
                    check.eq(k.indexOf("saveUsers 0") >= 0 ? "saved" : "not saved", "saved", "the user table saved")
                    check.eq(k.indexOf("saveUsers 0") < k.indexOf("latch unlocked") ? "before" : "after", "before", "saved before the latch moves")
                    check.eq(str(userParam(rig.state.users, 2, 2, 4)), str(utc(2025, 6, 10, 8, 0)), "first use")
                    check.eq(logs(out).join(",").indexOf("valid until 2025-06-10 08:10") >= 0 ? "logged" : logs(out).join(","), "logged", "valid until")
                    await rig.wait(9 * 60000)
                    check.eq(str(opened(await rig.enter(USER))), "true", "9 minutes later")
                    await rig.wait(60000)
                    check.eq(str(opened(await rig.enter(USER))), "false", "10 minutes later")
                },
            },
            {
                name: "schedule users follow the clock; a reboot forgets it",
                run: async check => {
                    const rig = await withUser(check, UserType.WeekDaySchedule, UserStatus.OccupiedEnabled, FRIDAYS)
                    rig.clock(2025, 2, 28, 12, 0)
                    check.eq(str(opened(await rig.enter(USER))), "true", "Friday noon")
                    rig.clock(2025, 2, 28, 17, 0)
                    check.eq(list(audits(await rig.enter(USER))), "audit RestrictedSchedule 2", "Friday 17:00")
                    rig.clock(2025, 2, 28, 12, 0)
                    await rig.boot([{ slot: 2, code: USER, type: UserType.WeekDaySchedule, params: FRIDAYS }])
                    check.eq(rig.st("clockSet"), "clockSet=false", "the clock after a reboot")
                    check.eq(list(audits(await rig.enter(USER))), "audit RestrictedClock 2", "Friday noon, clock forgotten")
                },
            },
        ],
    }
}
