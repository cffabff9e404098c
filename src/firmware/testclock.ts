/**
 * TEST BUILDS ONLY (build/firmware-fast.devs, entry src/main-test.ts): sets the lock's wall
 * clock from the bus with the standard Jacdac Real Time Clock service's `set_time` command,
 * unauthenticated. The shipping firmware (src/main.ts) does not contain it: there the clock
 * comes from the companion's sealed command, through the same seam the handlers here call
 * (`setClock()` in ./lock.ts).
 *
 * The service's `reading` register reports the lock's wall clock (all zeros while unset).
 */
import * as ds from "@devicescript/core"
import { SensorServer, startServer } from "@devicescript/server"
import { civilToSeconds, daysFromCivil, formatWallTime } from "../core/index"

/** What the clock service needs from the lock. */
export interface TestClockHandlers {
    /** The lock's wall clock in seconds since 1970 (local time), 0 while not set. */
    wallSeconds: () => number
    /** Sets the lock's wall clock (local time, ms since 1970). */
    setClock: (epochMs: number) => void
}

class TestClockServer extends SensorServer implements ds.RealTimeClockServerSpec {
    constructor(private readonly handlers: TestClockHandlers) {
        super(ds.RealTimeClock.spec)
    }

    reading(): [number, number, number, number, number, number, number] {
        const s = this.handlers.wallSeconds()
        if (s === 0) return [0, 0, 0, 0, 0, 0, 0]
        const text = formatWallTime(s) // "YYYY-MM-DD hh:mm"
        const y = parseInt(text.slice(0, 4))
        const mo = parseInt(text.slice(5, 7))
        const d = parseInt(text.slice(8, 10))
        const dow = (Math.floor(s / 86400) + 3) % 7 + 1 // 1 Monday .. 7 Sunday
        // DeviceScript's % works on 32-bit integers: wrong past 2038, so the day's seconds are taken by subtraction
        const inDay = s - Math.floor(s / 86400) * 86400
        return [y, mo, d, dow, Math.floor(inDay / 3600), Math.floor((inDay % 3600) / 60), inDay % 60]
    }

    async setTime(args: any) {
        // actions arrive as one decoded array: [year, month, day, day_of_week, hour, min, sec]
        const v: number[] = args
        const seconds = civilToSeconds(v[0], v[1], v[2], v[4], v[5], v[6])
        if (!(daysFromCivil(v[0], v[1], v[2]) >= 0)) return
        this.handlers.setClock(seconds * 1000)
    }
}

/** Starts the test-only clock service. */
export function startTestClock(handlers: TestClockHandlers) {
    startServer(new TestClockServer(handlers), { roleName: "testclock" })
}
