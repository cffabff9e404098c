/**
 * Runs build/core-tests.devs (test/firmware/core.devs.ts compiled by the DeviceScript compiler)
 * in the real VM: every case of test/cases/ proven inside the DeviceScript subset and runtime
 * (its numbers, strings and Buffers, its opcode budget, its 64 KB heap), as well as in Node.
 */
import { describe, expect, it } from "vitest"
import { caseCount } from "../cases/all"
import { runDevsTests } from "./run-in-vm"

describe("the pure core inside the DeviceScript VM", () => {
    it("passes every case of test/cases/", async () => {
        const r = await runDevsTests("core-tests")
        expect(r.error, r.log).toBe(0)
        expect(r.pass, r.log).toBe(r.total)
        expect(r.total, "every case ran").toBe(caseCount())
    })
})
