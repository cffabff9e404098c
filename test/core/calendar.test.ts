/**
 * The core's calendar against JavaScript's Date, which only Node has (DeviceScript has no Date).
 * The schedule cases in test/cases/schedule.ts run in Node and in the VM with wall times from the
 * cases' own utc(); both calendars are checked here against Date for every day they can meet.
 */
import { describe, expect, it } from "vitest"
import { daysFromCivil, weekdayOf } from "../../src/core/index"
import { utc } from "../cases/utc"

describe("civil time", () => {
    it("matches the JavaScript calendar for every day from 2019 to 2101", () => {
        for (let t = Date.UTC(2019, 0, 1); t < Date.UTC(2101, 0, 1); t += 86400000) {
            const d = new Date(t)
            const days = daysFromCivil(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())
            expect(days).toBe(t / 86400000)
            expect(weekdayOf(days * 86400 + 3600)).toBe(d.getUTCDay())
        }
    })

    it("the cases' utc() agrees with Date.UTC for every day from 2019 to 2101", () => {
        for (let t = Date.UTC(2019, 0, 1, 13, 7); t < Date.UTC(2101, 0, 1); t += 86400000) {
            const d = new Date(t)
            expect(utc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), 13, 7)).toBe(t / 1000)
        }
    })
})
