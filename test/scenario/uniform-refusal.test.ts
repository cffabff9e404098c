/**
 * On the real firmware in the VM, read from the bus: a disabled user's right code and a wrong code
 * give the same answer at the door and on the bus: the same tune, the same
 * LockOperationError (InvalidCredential, no user), the same console line, and the latch stays
 * locked. Only the audit log (which a companion reads sealed) says which user and why.
 */
import { describe, expect, it } from "vitest"
import { LatchkeyClient } from "../../host/lock-client"
import { attempt, boardWithDisabledUser, logSince, waitForEvent } from "./helpers"
import type { SimulatedBoard } from "../../sim/board"

const DISABLED = "5820"
const WRONG = "8402"

/** What the door and the bus show for one code: tune, error event (failure count aside), console lines. */
async function answerTo(b: SimulatedBoard, c: LatchkeyClient, code: string) {
    const from = c.events.length
    const mark = b.logs.length
    const moves = b.latchMoves.length
    const tune = await attempt(b, code)
    const err = await waitForEvent(c, from, e => e.name === "LockOperationError", "LockOperationError")
    await logSince(b, /wrong code \(failures \d+\)/, mark)
    const { failureCount, ...event } = err.fields as Record<string, unknown>
    const lines = b.logs.slice(mark).map(l => l.replace(/failures \d+/, "failures N"))
    return { tune, event, failureCount, lines, opened: b.openedSince(moves) }
}

describe("a refused code on the bus", () => {
    it("a disabled user's code and a wrong code give the same tune, bus event and console line", async () => {
        const { b, slot } = await boardWithDisabledUser(DISABLED)
        const c = new LatchkeyClient(b.bus)

        const wrong = await answerTo(b, c, WRONG)
        const disabled = await answerTo(b, c, DISABLED)
        expect(wrong.tune).toBe("failure")
        expect(wrong.event).toMatchObject({ error: "InvalidCredential", source: "Keypad" })
        expect(disabled).toEqual({ ...wrong, failureCount: (wrong.failureCount as number) + 1 })
        expect(disabled.opened).toBe(false)
        // nothing on the bus names the slot
        for (const line of disabled.lines) expect(line).not.toMatch(/slot|disabled/)
    })
})
