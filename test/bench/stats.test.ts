/** The benchmarks' statistics and option parsing (bench/lib). */
import { describe, expect, it } from "vitest"
import { parseOptions, UsageError } from "../../bench/lib/cli"
import { Moments, percentile, Rng, welchT, welchTOf } from "../../bench/lib/stats"

describe("bench statistics", () => {
    it("Welch t matches a hand computation and sees a shift", () => {
        // a: mean 2, var 1 (n 3); b: mean 5, var 1 (n 3): t = -3 / sqrt(2/3)
        expect(welchTOf([1, 2, 3], [4, 5, 6])).toBeCloseTo(-3 / Math.sqrt(2 / 3), 10)
        const rng = new Rng(1)
        const a = new Moments()
        const b = new Moments()
        for (let i = 0; i < 20000; i++) {
            a.push(rng.next())
            b.push(rng.next() + 0.05)
        }
        expect(Math.abs(welchT(a, b))).toBeGreaterThan(10)
        const c = new Moments()
        for (let i = 0; i < 20000; i++) c.push(rng.next())
        expect(Math.abs(welchT(a, c))).toBeLessThan(4.5)
    })

    it("percentile is nearest-rank and the RNG is deterministic", () => {
        expect(percentile([1, 2, 3, 4], 50)).toBe(2)
        expect(percentile([1, 2, 3, 4], 100)).toBe(4)
        expect(new Rng(9).digits(12)).toBe(new Rng(9).digits(12))
    })

    it("options: clear errors for unknown, missing and malformed values", () => {
        const spec = { n: { type: "int" as const, default: 5, min: 1, help: "" }, q: { type: "flag" as const, help: "" } }
        expect(parseOptions(["--n", "7", "--q"], spec)).toEqual({ n: 7, q: true })
        expect(() => parseOptions(["--m"], spec)).toThrow(UsageError)
        expect(() => parseOptions(["--n"], spec)).toThrow(/needs a value/)
        expect(() => parseOptions(["--n", "x"], spec)).toThrow(/integer/)
        expect(() => parseOptions(["--n", "0"], spec)).toThrow(/at least 1/)
    })
})
