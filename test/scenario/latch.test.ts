/** Jammed latch: the latch switch must confirm each move; the real firmware in the VM. */
import { describe, expect, it } from "vitest"
import { LatchkeyClient } from "../../host/lock-client"
import { attempt, FAST_PROFILE, itNeeds, MASTER, savedAudit, setUpBoard, sleep } from "./helpers"


const JAM_MS = FAST_PROFILE.latch.jamTimeoutMs
/** First try + one retry, then the alarm; plenty of margin for a busy machine. */
const ALARM_MS = 2 * JAM_MS + 5000

describe("jammed latch (latch switch fitted)", () => {
    it("a latch that follows the servo raises nothing", async () => {
        const b = await setUpBoard()
        expect(await attempt(b, MASTER)).toBe("success")
        await b.waitUntil(() => b.isUnlocked(), "the latch to open")
        await b.press("#", FAST_PROFILE.timing.longPressMs + 200)
        await b.waitUntil(() => b.isLocked(), "the latch to lock")
        await sleep(2 * JAM_MS + 300)
        expect(b.logs.filter(l => /LockJammed|retrying/.test(l))).toEqual([])
    })

    itNeeds("jamLatch")("a bolt stuck in locked: retried once, LockJammed with its tune, and driven back to locked", async () => {
        const b = await setUpBoard()
        const client = new LatchkeyClient(b.bus)
        await b.jamLatch("locked")
        const heard = b.heard.length
        const mark = b.logs.length
        const from = client.events.length
        expect(await attempt(b, MASTER)).toBe("success")
        await b.waitForLog(/latch: not unlocked after \d+ ms, retrying/, ALARM_MS, mark)
        await b.waitForLog(/latch: LockJammed: not unlocked after 2 attempts/, ALARM_MS, mark)
        await b.waitForSound("jammed", heard, 5000)
        // on the lock's service and in its log: the alarm, and the lock locked again
        await b.waitUntil(() => client.alarmSeen("LockJammed", from), "a LockJammed alarm on the lock's service", 5000)
        await b.waitForLog(/lock: latch jammed: it would not open, sent back to locked/, 5000, mark)
        // fail secure: the servo is sent back to locked, and stays there
        await b.waitUntil(() => b.isLocked(), "the latch to be driven back to locked", 5000)
        await sleep(300)
        expect(b.isLocked()).toBe(true)
        expect((await client.status()).lockState).toBe("Locked")
    })

    itNeeds("jamLatch")("a bolt that will not throw: LockJammed, and the latch stays commanded locked", async () => {
        const b = await setUpBoard()
        expect(await attempt(b, MASTER)).toBe("success")
        await b.waitUntil(() => b.isUnlocked(), "the latch to open")
        const client = new LatchkeyClient(b.bus)
        await b.jamLatch("unlocked")
        const mark = b.logs.length
        const from = client.events.length
        await b.press("#", FAST_PROFILE.timing.longPressMs + 200)
        await b.waitForLog(/latch: LockJammed: not locked after 2 attempts/, ALARM_MS, mark)
        expect(b.isLocked()).toBe(true)
        await b.waitUntil(() => client.alarmSeen("LockJammed", from), "a LockJammed alarm on the lock's service", 5000)
        // the bolt is not home: the service says so
        expect((await client.status()).lockState).toBe("Jammed")
        // freed, the next move is confirmed and the jam is cleared
        await b.jamLatch(null)
        expect(await attempt(b, MASTER)).toBe("success")
        await b.waitForLog(/latch: jam cleared/, ALARM_MS, mark)
        expect((await client.status()).lockState).not.toBe("Jammed")
    })

    // a device that holds the flash image also hosts the latch switch (see sim/devices/device.ts)
    itNeeds("flashImage")("LockJammed is kept in the audit log", async () => {
        const b = await setUpBoard()
        await b.jamLatch("locked")
        const mark = b.logs.length
        expect(await attempt(b, MASTER)).toBe("success")
        await b.waitForLog(/latch: LockJammed/, ALARM_MS, mark)
        await b.waitUntil(() => savedAudit(b).some(e => e.kind === "LockJammed"), "the LockJammed entry on flash", 5000)
    })
})
