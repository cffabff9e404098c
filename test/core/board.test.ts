/** The board-side pure core (keypad scanner with a fake pin matrix, latch monitor) in Node. */
import { describe, expect, it } from "vitest"
import { Check, LATCH_CASES, SCANNER_CASES } from "../fixtures/board-cases"

const check: Check = {
    eq: (actual, expected, what) => expect(actual, what).toBe(expected),
    breathe: async () => {},
}

describe("keypad matrix scanner (fake pin matrix)", () => {
    for (const c of SCANNER_CASES) it(c.name, async () => await c.run(check))
})

describe("jammed-latch monitor", () => {
    for (const c of LATCH_CASES) it(c.name, async () => await c.run(check))
})
