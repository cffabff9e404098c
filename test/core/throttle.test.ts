/** The companion channel's own throttle: a token bucket and a back-off on failures (pure, time as argument). */
import { describe, expect, it } from "vitest"
import {
    backoffMs,
    newRemoteThrottle,
    THROTTLE_BURST,
    THROTTLE_FREE_FAILURES,
    THROTTLE_MAX_BACKOFF_MS,
    THROTTLE_REFILL_MS,
    throttleAllows,
    throttleFailed,
    throttleSucceeded,
} from "../../src/core/index"

describe("remote throttle", () => {
    it("checks a burst at once, then one frame per refill interval", () => {
        const t = newRemoteThrottle()
        let now = 1000
        for (let i = 0; i < THROTTLE_BURST; i++) expect(throttleAllows(t, now)).toBe(true)
        expect(throttleAllows(t, now)).toBe(false)
        now += THROTTLE_REFILL_MS - 1
        expect(throttleAllows(t, now)).toBe(false)
        now += 1
        expect(throttleAllows(t, now)).toBe(true)
        expect(throttleAllows(t, now)).toBe(false)
        // a long quiet refills the whole burst, no more
        now += 1000 * THROTTLE_REFILL_MS
        for (let i = 0; i < THROTTLE_BURST; i++) expect(throttleAllows(t, now)).toBe(true)
        expect(throttleAllows(t, now)).toBe(false)
    })

    it("backs off after the free failures, doubling up to its cap", () => {
        expect(backoffMs(THROTTLE_FREE_FAILURES - 1)).toBe(0)
        expect(backoffMs(THROTTLE_FREE_FAILURES)).toBe(500)
        expect(backoffMs(THROTTLE_FREE_FAILURES + 1)).toBe(1000)
        expect(backoffMs(THROTTLE_FREE_FAILURES + 3)).toBe(4000)
        expect(backoffMs(THROTTLE_FREE_FAILURES + 50)).toBe(THROTTLE_MAX_BACKOFF_MS)
        expect(backoffMs(1e6)).toBe(THROTTLE_MAX_BACKOFF_MS)
    })

    it("refuses every frame during a back-off, and an authentic frame ends it", () => {
        const t = newRemoteThrottle()
        let now = 5000
        for (let i = 0; i < THROTTLE_FREE_FAILURES - 1; i++) {
            expect(throttleAllows(t, now)).toBe(true)
            throttleFailed(t, now)
        }
        expect(throttleAllows(t, now)).toBe(true)
        throttleFailed(t, now) // the first failure past the free ones
        expect(throttleAllows(t, now + 499)).toBe(false)
        now += 500
        expect(throttleAllows(t, now)).toBe(true)
        throttleFailed(t, now)
        expect(throttleAllows(t, now + 999)).toBe(false)
        now += 1000
        expect(throttleAllows(t, now)).toBe(true)
        throttleSucceeded(t)
        expect(t.failures).toBe(0)
        throttleFailed(t, now)
        expect(throttleAllows(t, now)).toBe(true)
    })

    it("holds a flood of 1000 failures to a bounded number of checks", () => {
        const t = newRemoteThrottle()
        let checked = 0
        // one frame every 10 ms for 10 s
        for (let now = 0; now < 10000; now += 10)
            if (throttleAllows(t, now)) {
                checked++
                throttleFailed(t, now)
            }
        // the free failures, then back-offs of 0.5, 1, 2, 4 s (7.5 s) leave room for a few more
        expect(checked).toBeLessThanOrEqual(THROTTLE_FREE_FAILURES + 5)
    })
})
