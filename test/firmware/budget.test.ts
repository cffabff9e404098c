/**
 * The heap budget: the shipping firmware booted on a full lock (250 named users and a full audit
 * ring in its flash, as the store keeps them) must fit the device's 64 KB GC heap with at least a
 * quarter to spare; the idle firmware with 250 separate code digests held (a harsher model) with
 * an eighth
 * (measured by the runtime's own heap report, in the VM, whose GC heap is the device's size).
 * `npm run budget` prints the numbers.
 */
import { describe, expect, it } from "vitest"
import { DEVICE_HEAP, probeHeap } from "../../bench/lib/budget"

describe("heap budget", () => {
    it("a full lock (250 named users, full audit ring) fits the 64 KB heap with a quarter to spare", async () => {
        const probe = await probeHeap(0, { fullLock: true })
        expect(probe.heapBytes).toBeLessThanOrEqual(DEVICE_HEAP)
        expect(DEVICE_HEAP - probe.usedBytes).toBeGreaterThanOrEqual(DEVICE_HEAP / 4)
    })

    // A stress model, harsher than the store: 250 separate 32-byte buffers (each with its own
    // allocation header) on top of the idle firmware, where the store keeps 250 8-byte digests in
    // one table (the test above). Measured 43.3 KB before the companion administration and door
    // work, 48.6 KB after; it must still leave an eighth of the heap.
    it("250 separate 32-byte digests on top of the idle firmware fit the 64 KB heap with an eighth to spare", async () => {
        const probe = await probeHeap(250)
        expect(probe.heapBytes).toBeLessThanOrEqual(DEVICE_HEAP)
        expect(probe.heapBytes).toBeGreaterThan(DEVICE_HEAP - 1024) // the VM's heap is the device's
        expect(probe.usedBytes).toBeGreaterThan(250 * 32) // the digests are really held
        expect(DEVICE_HEAP - probe.usedBytes).toBeGreaterThanOrEqual(DEVICE_HEAP / 8)
    })
})
