/**
 * Runs build/board-tests.devs (test/firmware/board.devs.ts compiled by the DeviceScript compiler)
 * in the real VM: the keypad scanner's fake-matrix cases and the latch monitor's cases, proven
 * inside the DeviceScript subset and runtime as well as in Node.
 */
import { describe, expect, it } from "vitest"
import { LATCH_CASES, SCANNER_CASES } from "../fixtures/board-cases"
import { runDevsTests } from "./run-in-vm"

describe("the board-side core inside the DeviceScript VM", () => {
    it("passes every scanner and latch case of board-cases.ts, and the keypad server test", async () => {
        const r = await runDevsTests("board-tests")
        expect(r.error, r.log).toBe(0)
        expect(r.pass).toBe(r.total)
        expect(r.total).toBe(SCANNER_CASES.length + LATCH_CASES.length + 1) // + the keypad server
    })
})
