/**
 * The door contact with the real firmware in the VM: a forced door and a door left open raise
 * Matter's alarms on the lock's service, and the auto-relock waits for the door to shut.
 */
import { describe, expect, it } from "vitest"
import { LatchkeyClient } from "../../host/lock-client"
import { attempt, CAPABILITIES, FAST_PROFILE, MASTER, savedAudit, setUpBoard, sleep } from "./helpers"

describe("the door contact", () => {
    it("raises DoorForcedOpen when the door opens while locked", async () => {
        const b = await setUpBoard()
        const client = new LatchkeyClient(b.bus)
        await sleep(2100) // the latch has long settled
        const from = client.events.length
        b.setDoor(true)
        await b.waitUntil(() => client.alarmSeen("DoorForcedOpen", from), "a DoorForcedOpen alarm")
        await b.waitForLog(/lock: door forced open while locked/, 3000, 0)
        expect(b.isLocked()).toBe(true)
        b.setDoor(false)
        // the audit entry is read from the saved flash image: only where the test holds it (not on a board)
        if (CAPABILITIES.flashImage) await b.waitUntil(() => savedAudit(b).some(e => e.kind === "DoorForcedOpen"), "the audit entry on flash")
    })

    it("relocks only once the door is shut, and says when it is left open", async () => {
        const b = await setUpBoard()
        const client = new LatchkeyClient(b.bus)
        expect(await attempt(b, MASTER)).toBe("success")
        await b.waitUntil(() => b.isUnlocked(), "the latch open")
        const from = client.events.length
        b.setDoor(true)
        // past the auto-relock (1.5 s) and the ajar time (2 s): still open, DoorAjar raised
        await b.waitUntil(() => client.alarmSeen("DoorAjar", from), "a DoorAjar alarm", 5000)
        expect(FAST_PROFILE.timing.autoRelockSeconds).toBeLessThan(FAST_PROFILE.timing.doorAjarSeconds)
        expect(b.isUnlocked()).toBe(true)
        expect(client.alarmSeen("DoorForcedOpen", from)).toBe(false)
        b.setDoor(false)
        await b.waitUntil(() => b.isLocked(), "the relock once the door shut")
        await b.waitForLog(/locked \(auto-relock, door closed\)/, 3000, 0)
    })
})
