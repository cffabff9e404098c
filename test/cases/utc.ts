/**
 * Seconds since 1970 of a UTC wall time, worked out by counting days (independent of the core's
 * calendar, which the cases check against it; Node also checks this one against Date.UTC).
 */
export function utc(year: number, month: number, day: number, hour: number, minute: number): number {
    const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    let days = 0
    for (let y = 1970; y < year; y++) days += leap(y) ? 366 : 365
    for (let m = 1; m < month; m++) days += m === 2 && leap(year) ? 29 : monthDays[m - 1]
    days += day - 1
    return days * 86400 + hour * 3600 + minute * 60
}

function leap(y: number): boolean {
    return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
}
