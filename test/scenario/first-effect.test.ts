/**
 * On the real firmware in the VM, in the order the host receives them: the first effect at the
 * door of every answer comes before the rest of it. A wrong code's failure tune, and a refused
 * (disabled) user's, reaches the buzzer before the "wrong code" console line and the
 * LockOperationError event, as an opening code's latch moves before its "unlocked" line and its
 * LockOperation event. (No timing: what the console and the client had received when the first
 * door effect arrived.)
 */
import { describe, expect } from "vitest"
import { BuzzerServer, REPORT_RECEIVE } from "jacdac-ts"
import { LatchkeyClient } from "../../host/lock-client"
import { boardWithDisabledUser, itNeeds, MASTER } from "./helpers"
import type { SimulatedBoard } from "../../sim/board"

const DISABLED = "5820"
const WRONG = "8402"

/** What had arrived (console lines, lock events) when the first door effect of `code` did. */
interface Seen {
    door: string
    logs: number
    events: number
}

/** Types `code` + '#' and returns what the host had received when the first door effect came, and the lines and events since. */
async function firstEffect(b: SimulatedBoard, c: LatchkeyClient, code: string) {
    const mark = b.logs.length
    const from = c.events.length
    let seen: Seen | null = null
    const note = (door: string) => {
        if (!seen) seen = { door, logs: b.logs.length - mark, events: c.events.length - from }
    }
    // the board's own listener (registered first) has named the tune when this one runs
    const onTone = () => {
        const h = b.heard[b.heard.length - 1]
        if (h && h.sound !== "key") note(h.sound)
    }
    const onAngle = () => {
        if (b.isUnlocked()) note("latch")
    }
    b.buzzer.on(BuzzerServer.PLAY_TONE, onTone)
    b.latch.angle.on(REPORT_RECEIVE, onAngle)
    try {
        await b.type(code + "#")
        await b.waitUntil(() => seen !== null, "a first effect at the door")
        await b.waitUntil(() => c.events.length > from && b.logs.slice(mark).some(l => /wrong code|unlocked/.test(l)), "the console line and the event")
    } finally {
        b.buzzer.off(BuzzerServer.PLAY_TONE, onTone)
        b.latch.angle.off(REPORT_RECEIVE, onAngle)
    }
    const s = seen as unknown as Seen
    const line = b.logs.slice(mark).findIndex(l => /wrong code|unlocked/.test(l))
    return { door: s.door, linesBefore: s.logs, line, eventsBefore: s.events, event: c.events[from].name }
}

describe("the first effect at the door", () => {
    // the order of console lines and bus packets is the firmware's only where both reach the test
    // down one path (the in-process VM); through the devtools hub the console comes by its own
    itNeeds("consoleInOrder")("a wrong code's and a refused code's tune come before their console line and event, like an opening code's latch", async () => {
        const { b } = await boardWithDisabledUser(DISABLED)
        const c = new LatchkeyClient(b.bus)

        for (const code of [WRONG, DISABLED]) {
            const a = await firstEffect(b, c, code)
            expect(a.door, code).toBe("failure")
            expect(a.event, code).toBe("LockOperationError")
            // when the tune's first note arrived, neither the console line nor the event had
            expect(a.linesBefore, code).toBeLessThanOrEqual(a.line)
            expect(a.eventsBefore, code).toBe(0)
        }
        const o = await firstEffect(b, c, MASTER)
        expect(o.door).toBe("latch")
        expect(o.event).toBe("LockOperation")
        expect(o.linesBefore).toBeLessThanOrEqual(o.line)
        expect(o.eventsBefore).toBe(0)
    })
})
