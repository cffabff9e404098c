/**
 * Runs build/core-tests.devs (test/firmware/core.devs.ts compiled by the DeviceScript compiler)
 * in the real VM: the pure core proven inside the DeviceScript subset and runtime, not just Node.
 */
import { describe, expect, it } from "vitest"
import { runDevsTests } from "./run-in-vm"

describe("the pure core inside the DeviceScript VM", () => {
    it("passes every @devicescript/test test in core.devs.ts", async () => {
        const r = await runDevsTests("core-tests")
        expect(r.error, r.log).toBe(0)
        expect(r.pass).toBe(r.total)
        expect(r.total).toBeGreaterThanOrEqual(40)
    })
})
