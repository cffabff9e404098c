/**
 * Users whose right code may not open now (disabled, NonAccess, RemoteOnly, outside a schedule,
 * clock not set, refused by the mode): their code is answered exactly like a wrong code (the same
 * effects in the same order, the same console line, counted as a failure); only the audit entry
 * holds the reason and the slot. One case per kind, each against a wrong code typed on a lock in
 * the same state. What the audit records per kind is written here once, in REFUSALS.
 */
import { OperatingMode, UserStatus, UserType } from "../../src/core/index"
import { Case, Check, Suite } from "./check"
import { list, swap } from "./compare"
import { audits, MASTER, Rig, show, USER } from "./rig"
import { Effect } from "../../src/core/index"

export interface Refusal {
    name: string
    type: UserType
    status: UserStatus
    /** [offset, bytes, value] schedule parameters of the user. */
    params: number[][]
    mode: number
    /** Set the wall clock (2026-01-01 12:00, a Thursday) before the code is typed. */
    clock: boolean
    /** The audit entry's kind (its slot is the user's, 2). */
    audit: string
}

/** 2020-01-01 00:00 and 2021-01-01 00:00, seconds since 1970. */
const Y2020 = 1577836800
const Y2021 = 1609459200

export const REFUSALS: Refusal[] = [
    { name: "a disabled user", type: UserType.Unrestricted, status: UserStatus.OccupiedDisabled, params: [], mode: OperatingMode.Normal, clock: false, audit: "DisabledUserDenied" },
    { name: "a NonAccess user", type: UserType.NonAccess, status: UserStatus.OccupiedEnabled, params: [], mode: OperatingMode.Normal, clock: false, audit: "RestrictedUserType" },
    { name: "a RemoteOnly user", type: UserType.RemoteOnly, status: UserStatus.OccupiedEnabled, params: [], mode: OperatingMode.Normal, clock: false, audit: "RestrictedUserType" },
    { name: "a week-day user while the clock is not set", type: UserType.WeekDaySchedule, status: UserStatus.OccupiedEnabled, params: [[0, 1, 127], [1, 2, 0], [3, 2, 1440]], mode: OperatingMode.Normal, clock: false, audit: "RestrictedClock" },
    { name: "a week-day user outside its hours", type: UserType.WeekDaySchedule, status: UserStatus.OccupiedEnabled, params: [[0, 1, 127], [1, 2, 0], [3, 2, 60]], mode: OperatingMode.Normal, clock: true, audit: "RestrictedSchedule" },
    { name: "a year-day user outside its dates", type: UserType.YearDaySchedule, status: UserStatus.OccupiedEnabled, params: [[0, 4, Y2020], [4, 4, Y2021]], mode: OperatingMode.Normal, clock: true, audit: "RestrictedSchedule" },
    { name: "an Expiring user whose time is over", type: UserType.Expiring, status: UserStatus.OccupiedEnabled, params: [[0, 2, 60], [2, 4, Y2020]], mode: OperatingMode.Normal, clock: true, audit: "RestrictedSchedule" },
    { name: "a user in Vacation mode", type: UserType.Unrestricted, status: UserStatus.OccupiedEnabled, params: [], mode: OperatingMode.Vacation, clock: false, audit: "RestrictedMode" },
    { name: "a user in Privacy mode, locked", type: UserType.Unrestricted, status: UserStatus.OccupiedEnabled, params: [], mode: OperatingMode.Privacy, clock: false, audit: "RestrictedMode" },
]

/** A code nobody has. */
const WRONG = "8402"

/** Every effect but the audit entries' contents, in order (an audit entry shows as "audit"). */
function answer(effects: Effect[]): string {
    const out: string[] = []
    for (const e of effects) out.push(e.type === "audit" ? "audit" : show(e))
    return list(out)
}

/**
 * The effect right after the code's check (the "hash" effect): the first one at the door, applied
 * before the console line, the audit entry and its event.
 */
function afterCheck(effects: Effect[]): string {
    for (let i = 0; i + 1 < effects.length; i++) if (effects[i].type === "hash") return show(effects[i + 1])
    return "no check"
}

async function lockFor(check: Check, r: Refusal): Promise<Rig> {
    const rig = new Rig(check)
    await rig.boot([{ slot: 2, code: USER, type: r.type, status: r.status, params: r.params }], { mode: r.mode })
    if (r.clock) rig.clock(2026, 1, 1, 12, 0)
    return rig
}

function refusalCase(r: Refusal): Case {
    return {
        name: `${r.name}: the code is answered as a wrong code; only the audit says why`,
        run: async check => {
            const wrong = await (await lockFor(check, r)).enter(WRONG)
            const rig = await lockFor(check, r)
            const out = await rig.enter(USER)
            check.eq(list(audits(wrong)), "audit InvalidCredential 0", "a wrong code's audit")
            check.eq(swap(answer(out), USER, WRONG), answer(wrong), "the same effects, console line included, in the same order")
            check.eq(list(audits(out)), `audit ${r.audit} 2`, "the audit holds the reason and the slot")
            check.eq(rig.st("failures locked"), "failures=1 locked=true", "counted as a failure, still locked")
        },
    }
}

export function refusedSuite(): Suite {
    const cases: Case[] = []
    for (const r of REFUSALS) cases.push(refusalCase(r))
    cases.push({
        name: "the lockout that a refused code starts looks like a wrong code's",
        run: async check => {
            const r = REFUSALS[0]
            const wrong = await lockFor(check, r)
            const rig = await lockFor(check, r)
            for (let i = 0; i < 5; i++) {
                await wrong.enter(WRONG)
                await rig.enter(WRONG)
            }
            const a = await wrong.enter(WRONG)
            const b = await rig.enter(USER)
            check.eq(swap(answer(b), USER, WRONG), answer(a), "the sixth failure")
            check.eq(list(audits(b)), "audit DisabledUserDenied 2, audit WrongCodeEntryLimit 0", "the audit")
        },
    })
    cases.push({
        name: "the master code still opens in Vacation mode",
        run: async check => {
            const rig = await lockFor(check, REFUSALS[7])
            check.eq(list(audits(await rig.enter(MASTER))), "audit Unlock 1", "the master")
        },
    })
    return { name: "users who may not open", cases: cases }
}

/**
 * Where the first effect at the door falls in the effect order. Run in the VM by the
 * administration part (test/cases/all.ts): the door part's heap has no room left for it.
 */
export function firstEffectSuite(): Suite {
    const cases: Case[] = [
        {
            name: "the first effect after the check is at the door: a refused or wrong code's tune, as an opening code's latch",
            // each refused kind's effects equal a wrong code's, in order (the cases above): a wrong code stands for them
            run: async check => {
                const rig = await lockFor(check, REFUSALS[0])
                check.eq(afterCheck(await rig.enter(WRONG)), "sound failure", "a wrong code")
                for (let i = 0; i < 4; i++) await rig.enter(WRONG)
                check.eq(afterCheck(await rig.enter(WRONG)), "sound lockout", "the wrong code that starts a lockout")
                const open = await lockFor(check, REFUSALS[0])
                check.eq(afterCheck(await open.enter(MASTER)), "latch unlocked", "the master code")
            },
        },
    ]
    return { name: "the first effect at the door", cases: cases }
}
