/**
 * Users whose right code may not open (disabled, a type that may not use the keypad, a schedule
 * while the clock is unset). What the lock shows for them is written here once, in REFUSALS:
 * change a column here when what a refused user sees changes.
 */
import { UserStatus, UserType, userTypeName } from "../../src/core/index"
import { Suite } from "./check"
import { contains, list, swap } from "./compare"
import { audits, kinds, logs, USER, withUser } from "./rig"

export interface Refusal {
    type: UserType
    status: UserStatus
    /** Text the log must hold for the refused entry. */
    log: string
    /** The audit entry's kind (its slot is the user's). */
    audit: string
}

export const REFUSALS: Refusal[] = [
    { type: UserType.Unrestricted, status: UserStatus.OccupiedDisabled, log: "refused: disabled user (slot 2)", audit: "DisabledUserDenied" },
    { type: UserType.NonAccess, status: UserStatus.OccupiedEnabled, log: "refused: user type may not open from the keypad (slot 2)", audit: "RestrictedUserType" },
    { type: UserType.RemoteOnly, status: UserStatus.OccupiedEnabled, log: "refused: user type may not open from the keypad (slot 2)", audit: "RestrictedUserType" },
    { type: UserType.WeekDaySchedule, status: UserStatus.OccupiedEnabled, log: "refused: clock not set (slot 2)", audit: "RestrictedClock" },
    { type: UserType.YearDaySchedule, status: UserStatus.OccupiedEnabled, log: "refused: clock not set (slot 2)", audit: "RestrictedClock" },
    { type: UserType.Expiring, status: UserStatus.OccupiedEnabled, log: "refused: clock not set (slot 2)", audit: "RestrictedClock" },
]

/** A code nobody has. */
const WRONG = "8402"

export function refusedSuite(): Suite {
    return {
        name: "users who may not open",
        cases: [
            {
                name: "a refusal looks exactly like a wrong code; only the log and the audit say why",
                run: async check => {
                    const wrong = await (await withUser(check)).enter(WRONG)
                    check.eq(list(audits(wrong)), "audit InvalidCredential 0", "a wrong code's audit")
                    for (const r of REFUSALS) {
                        const what = `${userTypeName(r.type)} status ${r.status}`
                        const out = await (await withUser(check, r.type, r.status)).enter(USER)
                        check.eq(list(kinds(out)), swap(list(kinds(wrong)), WRONG, USER), `${what}: the effects of a wrong code`)
                        const logged = logs(out).join("\n")
                        check.eq(contains(logged, r.log) === "yes" ? r.log : logged, r.log, `${what}: the log`)
                        check.eq(list(audits(out)), `audit ${r.audit} 2`, `${what}: the audit`)
                    }
                },
            },
        ],
    }
}
