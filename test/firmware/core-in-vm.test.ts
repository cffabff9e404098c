/**
 * Runs the core's cases (test/cases/) in the real VM, as the DeviceScript compiler built them
 * (build/core-door-tests.devs and build/core-admin-tests.devs): every case proven inside the
 * DeviceScript subset and runtime (its numbers, strings and Buffers, its opcode budget, its 64 KB
 * heap) as well as in Node.
 */
import { describe, expect, it } from "vitest"
import { caseCount, vmParts } from "../cases/all"
import { runDevsTests } from "./run-in-vm"

describe("the pure core inside the DeviceScript VM", () => {
    for (const part of vmParts())
        it(`${part.program}: passes every case of its suites`, async () => {
            const r = await runDevsTests(part.program)
            expect(r.error, r.log).toBe(0)
            expect(r.pass, r.log).toBe(r.total)
            const ran = r.log.split("\n").filter(l => l.startsWith("> suite: ")).map(l => l.slice("> suite: ".length))
            expect(ran, "suites run").toEqual(part.suites.map(make => make().name))
            expect(r.total, "every case ran").toBe(caseCount(part.suites))
        })
})
