/**
 * The heap budget: the shipping firmware with 250 users' code digests held must fit the device's
 * 64 KB GC heap with at least a quarter to spare (measured by the runtime's own heap report, in
 * the VM, whose GC heap is the device's size). `npm run budget` prints the numbers.
 */
import { describe, expect, it } from "vitest"
import { DEVICE_HEAP, probeHeap } from "../../scripts/budget"

describe("heap budget", () => {
    it("250 users fit the 64 KB heap with a quarter to spare", async () => {
        const probe = await probeHeap(250)
        expect(probe.heapBytes).toBeLessThanOrEqual(DEVICE_HEAP)
        expect(probe.heapBytes).toBeGreaterThan(DEVICE_HEAP - 1024) // the VM's heap is the device's
        expect(probe.usedBytes).toBeGreaterThan(250 * 32) // the digests are really held
        expect(DEVICE_HEAP - probe.usedBytes).toBeGreaterThanOrEqual(DEVICE_HEAP / 4)
    })
})
