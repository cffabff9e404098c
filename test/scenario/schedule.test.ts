/**
 * Schedule users with the wall clock set and unset, on the real firmware in the VM. The lock has
 * no battery clock: until the clock is set (the test firmware's clock service stands in for the
 * companion), and again after every power cut, schedule users are refused and the reason logged.
 */
import { describe, expect, it } from "vitest"
import { addUser, answer, attempt, closeMenu, logSince, menuStep, openMenu, setUpBoard } from "./helpers"

const T = { YearDaySchedule: 1, WeekDaySchedule: 2, Expiring: 7 }

describe("schedules and the clock", () => {
    it("a WeekDaySchedule user opens only on its days and hours, and never while the clock is unset", async () => {
        const b = await setUpBoard()
        await openMenu(b)
        // Fridays (5), 09:00 to 17:00
        await addUser(b, T.WeekDaySchedule, ["5", "0900", "1700"], "5820")
        await closeMenu(b)
        let mark = b.logs.length
        expect(await attempt(b, "5820")).toBe("failure")
        await logSince(b, /wrong code \(failures \d+\)/, mark)

        await b.setClock("2025-02-28 12:30") // a Friday
        expect(await attempt(b, "5820")).toBe("success")
        await b.setClock("2025-02-28 17:00")
        mark = b.logs.length
        expect(await attempt(b, "5820")).toBe("failure")
        await logSince(b, /wrong code \(failures \d+\)/, mark)
        await b.setClock("2025-03-01 12:30") // Saturday
        expect(await attempt(b, "5820")).toBe("failure")

        // a power cut forgets the clock: refused again, with that reason
        await b.setClock("2025-02-28 12:30")
        await b.restart()
        mark = b.logs.length
        expect(await attempt(b, "5820")).toBe("failure")
        await logSince(b, /wrong code \(failures \d+\)/, mark)
        await b.setClock("2025-02-28 12:31")
        expect(await attempt(b, "5820")).toBe("success")
    })

    it("a YearDaySchedule user opens only between its two dates", async () => {
        const b = await setUpBoard()
        await openMenu(b)
        await addUser(b, T.YearDaySchedule, ["202503011000", "202503031000"], "6813")
        await closeMenu(b)
        await b.setClock("2025-03-01 09:59")
        expect(await attempt(b, "6813")).toBe("failure")
        await b.setClock("2025-03-01 10:00")
        expect(await attempt(b, "6813")).toBe("success")
        await b.setClock("2025-03-03 09:58")
        expect(await attempt(b, "6813")).toBe("success")
        await b.setClock("2025-03-03 10:00")
        const mark = b.logs.length
        expect(await attempt(b, "6813")).toBe("failure")
        await logSince(b, /wrong code \(failures \d+\)/, mark)
    })

    it("an Expiring user is valid N minutes after its first use, and that survives a power cut", async () => {
        const b = await setUpBoard()
        await openMenu(b)
        await addUser(b, T.Expiring, ["1"], "7305")
        await closeMenu(b)
        let mark = b.logs.length
        // no clock: its validity cannot start
        expect(await attempt(b, "7305")).toBe("failure")
        await logSince(b, /wrong code \(failures \d+\)/, mark)
        await b.setClock("2025-06-10 08:00")
        mark = b.logs.length
        expect(await attempt(b, "7305")).toBe("success")
        await logSince(b, /slot 2: first use, valid until 2025-06-10 08:01/, mark)
        await b.restart()
        await b.setClock("2025-06-10 08:00:40")
        expect(await attempt(b, "7305")).toBe("success")
        await b.setClock("2025-06-10 08:01:05")
        mark = b.logs.length
        expect(await attempt(b, "7305")).toBe("failure")
        await logSince(b, /wrong code \(failures \d+\)/, mark)
    })

    it("schedule values are checked when typed", async () => {
        const b = await setUpBoard()
        await openMenu(b)
        expect(await menuStep(b, "1")).toBe("step")
        expect(await menuStep(b, "2")).toBe("step")
        expect(await menuStep(b, "8")).toBe("failure") // no day 8
        expect(await menuStep(b, "15")).toBe("step")
        expect(await menuStep(b, "2460")).toBe("failure")
        expect(await menuStep(b, "0800")).toBe("step")
        expect(await menuStep(b, "0700")).toBe("failure") // ends before it starts
        expect(await menuStep(b, "1200")).toBe("step")
        expect(await answer(b, "*", ["menu", "exit"])).toBe("menu") // back to the top
        await closeMenu(b)
    })
})
