/**
 * Wall-clock rules for schedule users, and the keypad's date and time entries. Pure arithmetic:
 * the lock has no battery clock, so "now" is only known once the clock was set (see lock.ts);
 * every check here takes it as seconds since 1970-01-01 00:00 local time.
 *
 * Schedule parameters inside a user record (8 bytes, little-endian):
 *   WeekDaySchedule   [0] days (Matter DaysMaskMap: bit 0 Sunday .. bit 6 Saturday)
 *                     [1..2] start minute of the day, [3..4] end minute (exclusive, up to 1440)
 *   YearDaySchedule   [0..3] start, [4..7] end (exclusive), seconds since 1970
 *   Expiring          [0..1] minutes of validity after first use (1..2880)
 *                     [2..5] first use, seconds since 1970 (0 = not used yet)
 */
import { AuditKind } from "./audit"
import { below, Bytes, pick, same } from "./ct"
import { getUint, PARAMS_BYTES, UserType, userParam, userType } from "./users"

export const SECONDS_PER_DAY = 86400
/** Longest validity of an Expiring user, in minutes (Matter: 1..2880). */
export const MAX_EXPIRING_MINUTES = 2880
/** Earliest wall time the lock accepts: 2020-01-01 00:00. */
export const MIN_WALL_SECONDS = 1577836800
/** Latest: 2099-12-31 23:59:59. */
export const MAX_WALL_SECONDS = 4102444799


/** Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's algorithm). */
export function daysFromCivil(year: number, month: number, day: number): number {
    const y = month <= 2 ? year - 1 : year
    const era = Math.floor(y / 400)
    const yoe = y - era * 400
    const mp = (month + 9) % 12
    const doy = Math.floor((153 * mp + 2) / 5) + day - 1
    const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
    return era * 146097 + doe - 719468
}

export function daysInMonth(year: number, month: number): number {
    if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
    return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** Seconds since 1970 of a civil date and time (no validation). */
export function civilToSeconds(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
    return daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second
}

/** Day of the week of a wall time: 0 Sunday .. 6 Saturday (1970-01-01 was a Thursday). */
export function weekdayOf(seconds: number): number {
    return (Math.floor(seconds / SECONDS_PER_DAY) + 4) % 7
}

/**
 * Minute of the day (0..1439) of a wall time. No `%` here: DeviceScript's `%` works on 32-bit
 * integers, and wall times pass 2^31 seconds in 2038.
 */
export function minuteOfDay(seconds: number): number {
    return Math.floor((seconds - Math.floor(seconds / SECONDS_PER_DAY) * SECONDS_PER_DAY) / 60)
}

/** The number written by `count` digits of `s` from `from`, or -1 if any is not a digit. */
function digitsAt(s: string, from: number, count: number): number {
    let v = 0
    for (let i = from; i < from + count; i++) {
        const d = s.charCodeAt(i) - 48
        if (!(d >= 0 && d <= 9)) return -1
        v = v * 10 + d
    }
    return v
}

/** "hhmm" as a minute of the day: 0..1439, or up to 1440 ("2400") when `endOfDay`; -1 if invalid. */
export function parseTimeOfDay(s: string, endOfDay: boolean): number {
    if (s.length !== 4) return -1
    const h = digitsAt(s, 0, 2)
    const m = digitsAt(s, 2, 2)
    if (h < 0 || m < 0 || m > 59) return -1
    const minutes = h * 60 + m
    return minutes < 1440 || (endOfDay && minutes === 1440) ? minutes : -1
}

/** "YYYYMMDDhhmm" as seconds since 1970 (2020..2099), or -1 if invalid. */
export function parseDateTime(s: string): number {
    if (s.length !== 12) return -1
    const y = digitsAt(s, 0, 4)
    const mo = digitsAt(s, 4, 2)
    const d = digitsAt(s, 6, 2)
    const h = digitsAt(s, 8, 2)
    const mi = digitsAt(s, 10, 2)
    if (y < 2020 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return -1
    if (h < 0 || h > 23 || mi < 0 || mi > 59) return -1
    return civilToSeconds(y, mo, d, h, mi, 0)
}

/**
 * Week days typed as digits 1 (Monday) .. 7 (Sunday), e.g. "12345" for working days, as a
 * Matter DaysMaskMap (bit 0 Sunday .. bit 6 Saturday); -1 if invalid or empty.
 */
export function parseDays(s: string): number {
    if (s.length === 0 || s.length > 7) return -1
    let mask = 0
    for (let i = 0; i < s.length; i++) {
        const d = s.charCodeAt(i) - 48
        if (!(d >= 1 && d <= 7)) return -1
        mask = mask | (1 << (d % 7)) // 7 (Sunday) -> bit 0
    }
    return mask
}

/**
 * Why 8 schedule bytes (the layout above) do not suit a new user of `type`, or null. Types
 * without a schedule must have all zeros; an Expiring user starts unused.
 */
export function scheduleParamsError(type: number, p: Bytes): string | null {
    if (!p || p.length !== PARAMS_BYTES) return "schedule: 8 bytes expected"
    if (type === UserType.WeekDaySchedule) {
        const start = getUint(p, 1, 2)
        const end = getUint(p, 3, 2)
        if (p[0] < 1 || p[0] > 127) return "schedule: no days (or unknown ones)"
        if (start >= 1440 || end > 1440 || end <= start) return "schedule: the end must come after the start, within the day"
        if (getUint(p, 5, 3) !== 0) return "schedule: unused bytes must be 0"
        return null
    }
    if (type === UserType.YearDaySchedule) {
        const start = getUint(p, 0, 4)
        const end = getUint(p, 4, 4)
        if (start < MIN_WALL_SECONDS || end > MAX_WALL_SECONDS || end <= start) return "schedule: the end must come after the start (2020..2099)"
        return null
    }
    if (type === UserType.Expiring) {
        const minutes = getUint(p, 0, 2)
        if (minutes < 1 || minutes > MAX_EXPIRING_MINUTES) return "schedule: minutes from 1 to 2880"
        if (getUint(p, 2, 4) !== 0 || getUint(p, 6, 2) !== 0) return "schedule: a new Expiring user is unused"
        return null
    }
    for (let i = 0; i < PARAMS_BYTES; i++) if (p[i] !== 0) return "schedule: this user type has none"
    return null
}

/** Whether a user's type needs the wall clock to decide. */
export function needsClock(type: number): boolean {
    return type === UserType.WeekDaySchedule || type === UserType.YearDaySchedule || type === UserType.Expiring
}

/**
 * Whether the time rules of a slot's user type let it open now: AuditKind.None when they do,
 * RestrictedClock when the type depends on the clock and the clock is not set,
 * RestrictedSchedule outside its window (or when an Expiring user's validity is over).
 */
export function scheduleRefusal(t: Bytes, slot: number, clockSet: boolean, nowSeconds: number): number {
    // every window is worked out whatever the type, and the answer picked arithmetically: the
    // same work for every user (a refused code must cost what a wrong one costs)
    const type = userType(t, slot)
    const week = same(type, UserType.WeekDaySchedule)
    const year = same(type, UserType.YearDaySchedule)
    const expiring = same(type, UserType.Expiring)
    const minute = minuteOfDay(nowSeconds)
    const today = (userParam(t, slot, 0, 1) >> weekdayOf(nowSeconds)) & 1
    const inWeek = today & (1 - below(minute, userParam(t, slot, 1, 2))) & below(minute, userParam(t, slot, 3, 2))
    const inYear = (1 - below(nowSeconds, userParam(t, slot, 0, 4))) & below(nowSeconds, userParam(t, slot, 4, 4))
    const firstUse = userParam(t, slot, 2, 4)
    const valid = (1 - below(nowSeconds, firstUse)) & below(nowSeconds, firstUse + userParam(t, slot, 0, 2) * 60)
    const inTime = (week & inWeek) | (year & inYear) | (expiring & (same(firstUse, 0) | valid))
    const timed = week | year | expiring
    const clock = clockSet ? 1 : 0
    return pick(timed & (1 - clock), AuditKind.RestrictedClock, pick(timed & (1 - inTime), AuditKind.RestrictedSchedule, AuditKind.None))
}

/** Two-digit text of 0..99. */
function two(n: number): string {
    return n < 10 ? "0" + n : "" + n
}

/** "YYYY-MM-DD hh:mm" of a wall time (for logs). */
export function formatWallTime(seconds: number): string {
    const days = Math.floor(seconds / SECONDS_PER_DAY)
    // civil from days (H. Hinnant)
    const z = days + 719468
    const era = Math.floor(z / 146097)
    const doe = z - era * 146097
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
    const mp = Math.floor((5 * doy + 2) / 153)
    const d = doy - Math.floor((153 * mp + 2) / 5) + 1
    const m = mp < 10 ? mp + 3 : mp - 9
    const y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    const minute = minuteOfDay(seconds)
    return `${y}-${two(m)}-${two(d)} ${two(Math.floor(minute / 60))}:${two(minute % 60)}`
}
