/** The keypad programming menu: opened with the master code, it adds, deletes, disables and enables users, sets the mode and issues recovery codes. */
import { DEFAULT_POLICY, parseDays, userName, userParam, UserStatus, userStatus, UserType, userType } from "../../src/core/index"
import { Suite } from "./check"
import { contains, has, lastOf, list, str, tail } from "./compare"
import { utc } from "./utc"
import { audits, kinds, logs, MASTER, opened, OTHER, Rig, RIG_RECOVERY, shown, sounds, USER, UserSpec, withUser } from "./rig"

/** A user the menu adds: its type, the values it asks for, and the parameters they become. */
interface Addition {
    type: number
    values: string[]
    /** [offset, bytes, value] the slot must then hold. */
    params: number[][]
}

const ADDITIONS: Addition[] = [
    { type: UserType.Unrestricted, values: [], params: [] },
    {
        type: UserType.WeekDaySchedule,
        values: ["135", "0830", "2400"],
        params: [
            [0, 1, parseDays("135")],
            [1, 2, 510],
            [3, 2, 1440],
        ],
    },
    {
        type: UserType.YearDaySchedule,
        values: ["202503011000", "202503031000"],
        params: [
            [0, 4, utc(2025, 3, 1, 10, 0)],
            [4, 4, utc(2025, 3, 3, 10, 0)],
        ],
    },
    { type: UserType.Expiring, values: ["2880"], params: [[0, 2, 2880]] },
    { type: UserType.NonAccess, values: [], params: [] },
    { type: UserType.Forced, values: [], params: [] },
    { type: UserType.Disposable, values: [], params: [] },
    { type: UserType.RemoteOnly, values: [], params: [] },
]

function lowestFreeSlot(rig: Rig): number {
    for (let s = 2; s <= 250; s++) if (userStatus(rig.state.users, s) === 0) return s
    return 0
}

export function menuSuite(): Suite {
    return {
        name: "the programming menu",
        cases: [
            {
                name: "opens with the master code and *#: counter cleared, menu tune, audit, latch untouched",
                run: async check => {
                    const rig = await withUser(check)
                    await rig.enter("8402")
                    const out = await rig.menu()
                    check.eq(tail(kinds(out), 3), "hash 7391, saveCounter 0 false, sound menu", "effects")
                    check.eq(list(audits(out)), "audit MenuOpened 1", "audit")
                    check.eq(rig.st("menu failures locked"), "menu=top failures=0 locked=true", "status")
                },
            },
            {
                name: "a user added in the menu opens",
                run: async check => {
                    const rig = new Rig(check)
                    rig.bootCodes([rig.hmac(MASTER)])
                    check.eq(tail(kinds(await rig.press(MASTER + "*#")), 1), "sound menu", "opened")
                    check.eq(rig.st("menu"), "menu=top", "menu")
                    await rig.enter("1")
                    await rig.enter("0")
                    await rig.enter(OTHER)
                    check.eq(tail(kinds(await rig.enter(OTHER)), 2), "saveUsers 0, sound success", "added")
                    await rig.press("*")
                    check.eq(rig.st("menu"), "menu=", "closed")
                    check.eq(has(kinds(await rig.enter(OTHER)), "latch unlocked"), "yes", "the new code opens")
                },
            },
            {
                name: "a wrong master, or another user's code, counts and is refused",
                run: async check => {
                    const rig = await withUser(check)
                    check.eq(lastOf(sounds(await rig.menu("8402"))), "sound failure", "a wrong master")
                    const out = await rig.menu(USER)
                    check.eq(lastOf(sounds(out)), "sound failure", "a user's code")
                    check.eq(list(audits(out)), "audit InvalidCredential 2", "audit")
                    check.eq(rig.st("menu failures"), "menu= failures=2", "status")
                    for (let i = 0; i < 3; i++) await rig.menu("8402")
                    check.eq(lastOf(sounds(await rig.menu("8402"))), "sound lockout", "the sixth failure")
                },
            },
            {
                name: "adds every keypad type with its schedule into the lowest free slot",
                run: async check => {
                    const rig = await withUser(check)
                    await rig.menu()
                    let code = 2468
                    for (const a of ADDITIONS) {
                        const what = `type ${a.type}`
                        const slot = lowestFreeSlot(rig)
                        check.eq(lastOf(sounds(await rig.enter("1"))), "sound step", `${what}: option 1`)
                        check.eq(lastOf(sounds(await rig.enter("" + a.type))), "sound step", `${what}: the type`)
                        for (const v of a.values) check.eq(lastOf(sounds(await rig.enter(v))), "sound step", `${what}: ${v}`)
                        const c = "" + (code++ * 3 + 1000)
                        check.eq(lastOf(sounds(await rig.enter(c))), "sound step", `${what}: the code`)
                        const out = await rig.enter(c)
                        check.eq(tail(kinds(out), 2), `saveUsers ${Math.floor((slot - 1) / 12)}, sound success`, `${what}: confirmed`)
                        check.eq(list(audits(out)), `audit UserAdded ${slot}`, `${what}: audit`)
                        check.eq(str(userType(rig.state.users, slot)), str(a.type), `${what}: slot ${slot}'s type`)
                        for (const p of a.params) check.eq(str(userParam(rig.state.users, slot, p[0], p[1])), str(p[2]), `${what}: parameter at ${p[0]}`)
                    }
                    check.eq(rig.st("users"), "users=10", "users")
                },
            },
            {
                name: "refuses bad types, values, duplicate and weak codes, and starts the code over on a mismatch",
                run: async check => {
                    const rig = await withUser(check)
                    await rig.menu()
                    await rig.enter("1")
                    for (const t of ["3", "8", "12"]) check.eq(lastOf(sounds(await rig.enter(t))), "sound failure", `type ${t}`)
                    await rig.enter("7")
                    for (const m of ["0", "2881", "99999"]) check.eq(lastOf(sounds(await rig.enter(m))), "sound failure", `${m} minutes`)
                    await rig.enter("60")
                    check.eq(contains(logs(await rig.enter(USER)).join(","), "code already in use"), "yes", "a user's code")
                    check.eq(contains(logs(await rig.enter(MASTER)).join(","), "code already in use"), "yes", "the master code")
                    check.eq(contains(logs(await rig.enter("1111")).join(","), "all same digit"), "yes", "a weak code")
                    check.eq(contains(logs(await rig.enter("123456789")).join(","), "too long"), "yes", "a long code")
                    await rig.enter("2468")
                    check.eq(lastOf(sounds(await rig.enter("2469"))), "sound failure", "a mismatch")
                    check.eq(rig.st("menu"), "menu=code", "the code again")
                    await rig.enter("2468")
                    check.eq(lastOf(sounds(await rig.enter("2468"))), "sound success", "confirmed")
                },
            },
            {
                name: "deletes, disables and enables slots, never the master's; delete forgets the name",
                run: async check => {
                    const rig = await withUser(check)
                    rig.send({ type: "setUserName", slot: 2, name: "Guest" })
                    await rig.menu()
                    const refused = [
                        ["2", "1"],
                        ["3", "1"],
                        ["2", "9"],
                        ["4", "251"],
                    ]
                    for (const r of refused) {
                        await rig.enter(r[0])
                        check.eq(lastOf(sounds(await rig.enter(r[1]))), "sound failure", `option ${r[0]}, slot ${r[1]}`)
                        await rig.press("*")
                    }
                    await rig.enter("3")
                    check.eq(list(audits(await rig.enter("2"))), "audit UserDisabled 2", "disabled")
                    check.eq(str(userStatus(rig.state.users, 2)), str(UserStatus.OccupiedDisabled), "status")
                    await rig.enter("4")
                    check.eq(list(audits(await rig.enter("2"))), "audit UserEnabled 2", "enabled")
                    await rig.enter("2")
                    const out = await rig.enter("2")
                    check.eq(tail(kinds(out), 3), "saveUsers 0, saveNames 0, sound success", "deleted")
                    check.eq(userName(rig.state.names, 2), "", "the name")
                    check.eq(rig.st("users"), "users=1", "users")
                },
            },
            {
                name: "changes the master code; the old one stops working",
                run: async check => {
                    const rig = await withUser(check)
                    await rig.menu()
                    await rig.enter("5")
                    await rig.enter("3917")
                    check.eq(list(audits(await rig.enter("3917"))), "audit MasterChanged 1", "changed")
                    await rig.press("*")
                    check.eq(str(opened(await rig.enter(MASTER))), "false", "the old master")
                    check.eq(str(opened(await rig.enter("3917"))), "true", "the new master")
                    check.eq(str(userType(rig.state.users, 1)), str(UserType.Programming), "slot 1's type")
                },
            },
            {
                name: "sets each operating mode, saved and audited",
                run: async check => {
                    for (let mode = 0; mode <= 4; mode++) {
                        const rig = await withUser(check)
                        await rig.menu()
                        await rig.enter("6")
                        const out = await rig.enter("" + mode)
                        check.eq(has(kinds(out), `saveMode ${mode}`), "yes", `mode ${mode}: saved`)
                        check.eq(audits(out)[0], `audit ModeChanged ${mode}`, `mode ${mode}: audit`)
                        check.eq(rig.st("mode"), `mode=${mode}`, `mode ${mode}: status`)
                    }
                    const rig = await withUser(check)
                    await rig.menu()
                    await rig.enter("6")
                    check.eq(lastOf(sounds(await rig.enter("5"))), "sound failure", "mode 5")
                },
            },
            {
                name: "issues a new recovery code on option 7",
                run: async check => {
                    const rig = await withUser(check)
                    await rig.menu()
                    rig.recovery = "111122223333"
                    check.eq(list(kinds(await rig.enter("7"))), "sound key, issueRecovery, sound success, saveRecovery set", "issued")
                    await rig.press("*")
                    check.eq(str(opened(await rig.enter("*" + RIG_RECOVERY))), "false", "the old recovery code")
                    await rig.wait(60000)
                    check.eq(str(opened(await rig.enter("*111122223333"))), "true", "the new one")
                },
            },
            {
                name: "* clears a value, goes back to the top, closes at the top; it times out",
                run: async check => {
                    const rig = await withUser(check)
                    await rig.menu()
                    await rig.enter("1")
                    await rig.press("12")
                    check.eq(list(sounds(await rig.press("*"))), "sound key", "clears the value")
                    check.eq(rig.st("menu"), "menu=type", "still asking for the type")
                    check.eq(list(sounds(await rig.press("*"))), "sound menu", "back to the top")
                    check.eq(list(sounds(await rig.press("*"))), "sound exit", "closed")
                    check.eq(rig.st("menu"), "menu=", "closed")
                    await rig.menu()
                    await rig.enter("2")
                    check.eq(list(shown(await rig.wait(DEFAULT_POLICY.menuTimeoutMs - 200))), "", "before the timeout")
                    check.eq(list(sounds(await rig.wait(200))), "sound timeout", "the timeout")
                    check.eq(rig.st("menu"), "menu=", "closed")
                },
            },
            {
                name: "the user guide's example adds a Monday and Thursday 09:00-12:00 user",
                run: async check => {
                    const rig = await withUser(check)
                    for (const step of ["7391*#", "1#", "2#", "14#", "0900#", "1200#", "6813#", "6813#", "*"]) await rig.press(step)
                    check.eq(rig.st("menu"), "menu=", "closed")
                    check.eq(str(userType(rig.state.users, 3)), str(UserType.WeekDaySchedule), "slot 3")
                    rig.clock(2025, 3, 3, 11, 59) // a Monday
                    check.eq(str(opened(await rig.enter("6813"))), "true", "Monday 11:59")
                    rig.clock(2025, 3, 4, 10, 0) // Tuesday
                    check.eq(str(opened(await rig.enter("6813"))), "false", "Tuesday 10:00")
                },
            },
            {
                name: "refuses to add when all 250 slots are taken",
                run: async check => {
                    const rig = new Rig(check)
                    const users: UserSpec[] = []
                    for (let s = 2; s <= 250; s++) users.push({ slot: s, code: "" + (100000 + s * 7) })
                    await rig.boot(users)
                    await rig.menu()
                    check.eq(contains(logs(await rig.enter("1")).join(","), "no free slot"), "yes", "option 1")
                },
            },
        ],
    }
}
