import { describe, expect, it } from "vitest"
import {
    AuditKind,
    civilToSeconds,
    createUserTable,
    daysFromCivil,
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
    weekdayOf,
} from "../../src/core/index"

const utc = (y: number, m: number, d: number, h = 0, mi = 0) => Date.UTC(y, m - 1, d, h, mi) / 1000

describe("civil time", () => {
    it("matches the JavaScript calendar for every day from 2019 to 2101", () => {
        for (let t = Date.UTC(2019, 0, 1); t < Date.UTC(2101, 0, 1); t += 86400000) {
            const d = new Date(t)
            const days = daysFromCivil(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())
            expect(days).toBe(t / 86400000)
            expect(weekdayOf(days * 86400 + 3600)).toBe(d.getUTCDay())
        }
    })

    it("formats and parses wall times", () => {
        expect(parseDateTime("202502281230")).toBe(utc(2025, 2, 28, 12, 30))
        expect(formatWallTime(utc(2025, 2, 28, 12, 30))).toBe("2025-02-28 12:30")
        expect(formatWallTime(utc(2096, 2, 29, 23, 59))).toBe("2096-02-29 23:59")
        expect(civilToSeconds(2024, 2, 29, 1, 2, 3)).toBe(utc(2024, 2, 29, 1, 2) + 3)
        expect(minuteOfDay(utc(2025, 1, 1, 17, 45))).toBe(17 * 60 + 45)
    })

    it("refuses impossible or out-of-range dates and times", () => {
        for (const bad of ["202502291230", "202513011200", "202500011200", "201912311200", "210001010000", "202501012400", "20250101120", "2025010112a0"])
            expect(parseDateTime(bad), bad).toBe(-1)
        expect(parseDateTime("202402291230")).toBe(utc(2024, 2, 29, 12, 30))
        expect(parseTimeOfDay("0000", false)).toBe(0)
        expect(parseTimeOfDay("2359", false)).toBe(1439)
        expect(parseTimeOfDay("2400", false)).toBe(-1)
        expect(parseTimeOfDay("2400", true)).toBe(1440)
        expect(parseTimeOfDay("1260", true)).toBe(-1)
        expect(parseTimeOfDay("930", false)).toBe(-1)
    })

    it("reads week days as 1 Monday .. 7 Sunday into Matter's mask (bit 0 Sunday)", () => {
        expect(parseDays("7")).toBe(1)
        expect(parseDays("1")).toBe(2)
        expect(parseDays("12345")).toBe(0b0111110)
        expect(parseDays("67")).toBe(0b1000001)
        expect(parseDays("11")).toBe(2)
        for (const bad of ["", "0", "8", "12345678", "1a"]) expect(parseDays(bad), bad).toBe(-1)
    })
})

describe("scheduleRefusal", () => {
    function table() {
        const t = createUserTable()
        setUser(t, 2, UserType.WeekDaySchedule, UserStatus.OccupiedEnabled, null, new Uint8Array(8))
        setUserParam(t, 2, 0, 1, parseDays("5")) // Fridays
        setUserParam(t, 2, 1, 2, 9 * 60)
        setUserParam(t, 2, 3, 2, 17 * 60)
        setUser(t, 3, UserType.YearDaySchedule, UserStatus.OccupiedEnabled, null, new Uint8Array(8))
        setUserParam(t, 3, 0, 4, utc(2025, 3, 1, 10))
        setUserParam(t, 3, 4, 4, utc(2025, 3, 3, 10))
        setUser(t, 4, UserType.Expiring, UserStatus.OccupiedEnabled, null, new Uint8Array(8))
        setUserParam(t, 4, 0, 2, 30)
        setUser(t, 5, UserType.Unrestricted, UserStatus.OccupiedEnabled, null, new Uint8Array(8))
        return t
    }
    const friday = utc(2025, 2, 28)

    it("week days: inside the hours of a listed day only; end exclusive", () => {
        const t = table()
        expect(scheduleRefusal(t, 2, true, friday + 9 * 3600)).toBe(AuditKind.None)
        expect(scheduleRefusal(t, 2, true, friday + 17 * 3600 - 1)).toBe(AuditKind.None)
        expect(scheduleRefusal(t, 2, true, friday + 17 * 3600)).toBe(AuditKind.RestrictedSchedule)
        expect(scheduleRefusal(t, 2, true, friday + 9 * 3600 - 1)).toBe(AuditKind.RestrictedSchedule)
        expect(scheduleRefusal(t, 2, true, friday + 86400 + 12 * 3600)).toBe(AuditKind.RestrictedSchedule)
        expect(scheduleRefusal(t, 2, true, friday - 6 * 86400 + 12 * 3600)).toBe(AuditKind.RestrictedSchedule)
        expect(scheduleRefusal(t, 2, true, friday + 7 * 86400 + 12 * 3600)).toBe(AuditKind.None)
    })

    it("year days: between start (included) and end (excluded)", () => {
        const t = table()
        expect(scheduleRefusal(t, 3, true, utc(2025, 3, 1, 10))).toBe(AuditKind.None)
        expect(scheduleRefusal(t, 3, true, utc(2025, 3, 1, 10) - 1)).toBe(AuditKind.RestrictedSchedule)
        expect(scheduleRefusal(t, 3, true, utc(2025, 3, 3, 10))).toBe(AuditKind.RestrictedSchedule)
    })

    it("expiring: open before first use, then N minutes from it", () => {
        const t = table()
        expect(scheduleRefusal(t, 4, true, friday)).toBe(AuditKind.None)
        setUserParam(t, 4, 2, 4, friday)
        expect(scheduleRefusal(t, 4, true, friday + 30 * 60 - 1)).toBe(AuditKind.None)
        expect(scheduleRefusal(t, 4, true, friday + 30 * 60)).toBe(AuditKind.RestrictedSchedule)
        expect(scheduleRefusal(t, 4, true, friday - 60)).toBe(AuditKind.RestrictedSchedule)
    })

    it("without the clock every schedule type is refused, the others are not concerned", () => {
        const t = table()
        for (const slot of [2, 3, 4]) expect(scheduleRefusal(t, slot, false, 0)).toBe(AuditKind.RestrictedClock)
        expect(scheduleRefusal(t, 5, false, 0)).toBe(AuditKind.None)
    })
})
