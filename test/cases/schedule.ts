/**
 * Schedules and the wall clock: civil time (parsing and formatting; Node also checks every day
 * against the JavaScript calendar), week-day, year-day and expiring windows (scheduleRefusal),
 * and the clock the lock keeps once it is set.
 */
import {
    AuditKind,
    auditKindName,
    Bytes,
    civilToSeconds,
    createUserTable,
    formatWallTime,
    minuteOfDay,
    parseDateTime,
    parseDays,
    parseTimeOfDay,
    scheduleRefusal,
    setUser,
    setUserParam,
    UserStatus,
    UserType,
} from "../../src/core/index"
import { Suite } from "./check"
import { list, str } from "./compare"
import { utc } from "./utc"
import { audits, auditsFull, logs, Rig } from "./rig"

const USER = "5820"

/** Slot 2 Fridays 09:00-17:00, 3 from 2025-03-01 10:00 to 03-03 10:00, 4 Expiring 30 min, 5 Unrestricted. */
function table(): Bytes {
    const t = createUserTable()
    setUser(t, 2, UserType.WeekDaySchedule, UserStatus.OccupiedEnabled, null, Buffer.alloc(8))
    setUserParam(t, 2, 0, 1, parseDays("5")) // Fridays
    setUserParam(t, 2, 1, 2, 9 * 60)
    setUserParam(t, 2, 3, 2, 17 * 60)
    setUser(t, 3, UserType.YearDaySchedule, UserStatus.OccupiedEnabled, null, Buffer.alloc(8))
    setUserParam(t, 3, 0, 4, utc(2025, 3, 1, 10, 0))
    setUserParam(t, 3, 4, 4, utc(2025, 3, 3, 10, 0))
    setUser(t, 4, UserType.Expiring, UserStatus.OccupiedEnabled, null, Buffer.alloc(8))
    setUserParam(t, 4, 0, 2, 30)
    setUser(t, 5, UserType.Unrestricted, UserStatus.OccupiedEnabled, null, Buffer.alloc(8))
    return t
}

/** Midnight starting Friday 2025-02-28. */
const FRIDAY = utc(2025, 2, 28, 0, 0)

function refusal(t: Bytes, slot: number, clockSet: boolean, seconds: number): string {
    return auditKindName(scheduleRefusal(t, slot, clockSet, seconds))
}

export function scheduleSuite(): Suite {
    return {
        name: "schedules and the wall clock",
        cases: [
            {
                name: "formats and parses wall times",
                run: async check => {
                    check.eq(str(utc(2025, 2, 28, 12, 30)), "1740745800", "the cases' own calendar")
                    check.eq(str(parseDateTime("202502281230")), str(utc(2025, 2, 28, 12, 30)), "parse")
                    check.eq(formatWallTime(utc(2025, 2, 28, 12, 30)), "2025-02-28 12:30", "format")
                    check.eq(formatWallTime(1740745800), "2025-02-28 12:30", "format a known second")
                    check.eq(formatWallTime(utc(2096, 2, 29, 23, 59)), "2096-02-29 23:59", "a leap day")
                    check.eq(str(civilToSeconds(2024, 2, 29, 1, 2, 3)), str(utc(2024, 2, 29, 1, 2) + 3), "civilToSeconds")
                    check.eq(str(minuteOfDay(utc(2025, 1, 1, 17, 45))), str(17 * 60 + 45), "minuteOfDay")
                    check.eq(str(minuteOfDay(utc(2099, 12, 31, 23, 59))), str(23 * 60 + 59), "minuteOfDay past 2038")
                    check.eq(formatWallTime(4102444799), "2099-12-31 23:59", "the latest wall time")
                },
            },
            {
                name: "refuses impossible or out-of-range dates and times",
                run: async check => {
                    for (const bad of ["202502291230", "202513011200", "202500011200", "201912311200", "210001010000", "202501012400", "20250101120", "2025010112a0"])
                        check.eq(str(parseDateTime(bad)), "-1", bad)
                    check.eq(str(parseDateTime("202402291230")), str(utc(2024, 2, 29, 12, 30)), "a leap day")
                    check.eq(str(parseTimeOfDay("0000", false)), "0", "0000")
                    check.eq(str(parseTimeOfDay("2359", false)), "1439", "2359")
                    check.eq(str(parseTimeOfDay("2400", false)), "-1", "2400 as a start")
                    check.eq(str(parseTimeOfDay("2400", true)), "1440", "2400 as an end")
                    check.eq(str(parseTimeOfDay("1260", true)), "-1", "minute 60")
                    check.eq(str(parseTimeOfDay("930", false)), "-1", "three digits")
                },
            },
            {
                name: "reads week days as 1 Monday .. 7 Sunday into Matter's mask (bit 0 Sunday)",
                run: async check => {
                    check.eq(str(parseDays("7")), "1", "Sunday")
                    check.eq(str(parseDays("1")), "2", "Monday")
                    check.eq(str(parseDays("17")), "3", "Monday and Sunday")
                    check.eq(str(parseDays("12345")), str(0x3e), "weekdays")
                    check.eq(str(parseDays("67")), str(0x41), "weekend")
                    check.eq(str(parseDays("11")), "2", "a day twice")
                    for (const bad of ["", "0", "8", "12345678", "1a"]) check.eq(str(parseDays(bad)), "-1", `"${bad}"`)
                },
            },
            {
                name: "week days: inside the hours of a listed day only; end exclusive",
                run: async check => {
                    const t = table()
                    check.eq(refusal(t, 2, true, FRIDAY + 9 * 3600), "None", "09:00")
                    check.eq(refusal(t, 2, true, FRIDAY + 12 * 3600 + 30 * 60), "None", "12:30")
                    check.eq(refusal(t, 2, true, FRIDAY + 17 * 3600 - 1), "None", "16:59:59")
                    check.eq(refusal(t, 2, true, FRIDAY + 17 * 3600), "RestrictedSchedule", "17:00")
                    check.eq(refusal(t, 2, true, FRIDAY + 12 * 3600 + 30 * 60 + 6 * 3600), "RestrictedSchedule", "18:30")
                    check.eq(refusal(t, 2, true, FRIDAY + 9 * 3600 - 1), "RestrictedSchedule", "08:59:59")
                    check.eq(refusal(t, 2, true, FRIDAY + 86400 + 12 * 3600), "RestrictedSchedule", "Saturday noon")
                    check.eq(refusal(t, 2, true, FRIDAY - 6 * 86400 + 12 * 3600), "RestrictedSchedule", "the Saturday before")
                    check.eq(refusal(t, 2, true, FRIDAY + 7 * 86400 + 12 * 3600), "None", "next Friday")
                    check.eq(refusal(t, 2, false, FRIDAY + 12 * 3600), "RestrictedClock", "clock not set")
                    // past 2^31 seconds (2038-01-19): wall times up to 2099 are numbers, never int32
                    const late = utc(2099, 12, 25, 0, 0) // a Friday
                    check.eq(refusal(t, 2, true, late + 12 * 3600), "None", "a Friday noon in 2099")
                    check.eq(refusal(t, 2, true, late + 17 * 3600 + 60), "RestrictedSchedule", "a Friday 17:01 in 2099")
                    check.eq(refusal(t, 2, true, late - 12 * 3600), "RestrictedSchedule", "a Thursday noon in 2099")
                },
            },
            {
                name: "year days: between start (included) and end (excluded)",
                run: async check => {
                    const t = table()
                    check.eq(refusal(t, 3, true, utc(2025, 3, 1, 10, 0)), "None", "start")
                    check.eq(refusal(t, 3, true, utc(2025, 3, 1, 10, 0) - 1), "RestrictedSchedule", "before")
                    check.eq(refusal(t, 3, true, utc(2025, 3, 3, 10, 0)), "RestrictedSchedule", "end")
                },
            },
            {
                name: "expiring: open before first use, then N minutes from it",
                run: async check => {
                    const t = table()
                    check.eq(refusal(t, 4, true, FRIDAY), "None", "unused")
                    setUserParam(t, 4, 2, 4, FRIDAY)
                    check.eq(refusal(t, 4, true, FRIDAY + 30 * 60 - 1), "None", "within 30 minutes")
                    check.eq(refusal(t, 4, true, FRIDAY + 30 * 60), "RestrictedSchedule", "after 30 minutes")
                    check.eq(refusal(t, 4, true, FRIDAY - 60), "RestrictedSchedule", "before its first use")
                },
            },
            {
                name: "without the clock every schedule type is refused, the others are not concerned",
                run: async check => {
                    const t = table()
                    for (const slot of [2, 3, 4]) check.eq(refusal(t, slot, false, 0), "RestrictedClock", `slot ${slot}`)
                    check.eq(refusal(t, 5, false, 0), "None", "Unrestricted")
                    check.eq(str(scheduleRefusal(t, 5, false, 0)), str(AuditKind.None), "None is 0")
                },
            },
            {
                name: "the clock accepts 2020..2099 and stamps audit entries with wall-clock seconds",
                run: async check => {
                    const rig = new Rig(check)
                    await rig.boot([{ slot: 2, code: USER }])
                    check.eq(list(logs(rig.send({ type: "setClock", epochMs: 1000 }))), "clock refused: out of range", "1970")
                    check.eq(list(logs(rig.send({ type: "setClock", epochMs: NaN }))), "clock refused: out of range", "NaN")
                    check.eq(rig.st("clockSet"), "clockSet=false", "not set")
                    check.eq(list(audits(rig.clock(2025, 2, 28, 12, 30))), "audit ClockSet 0", "set")
                    await rig.wait(60000)
                    check.eq(rig.st("wallSeconds"), `wallSeconds=${utc(2025, 2, 28, 12, 31)}`, "a minute later")
                    const unlock = auditsFull(await rig.enter(USER))
                    check.eq(unlock[0], `audit Unlock 2 source 3 time ${utc(2025, 2, 28, 12, 31)}`, "the unlock's time")
                },
            },
        ],
    }
}
