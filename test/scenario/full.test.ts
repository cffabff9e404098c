/**
 * A full lock on the real firmware in the VM: 250 users (all named) and a full audit log,
 * written in the firmware's own flash formats (sim/provision.ts). The firmware must load all of
 * it, find the last slot, keep the chain, and keep working as it writes more.
 */
import { describe, expect, it } from "vitest"
import { readFstor } from "../../sim/fstor"
import { provision } from "../../sim/provision"
import { attempt, itNeeds, logSince, MASTER, savedAudit, setUpBoard, sleep } from "./helpers"

const codeOf = (slot: number) => String(10000000 + slot * 7919).slice(-8)

describe("a full lock", () => {
    itNeeds("flashImage")("loads 250 named users and a full audit ring, opens for slot 250, refuses a disabled one and a wrong code, keeps the chain", async () => {
        const b = await setUpBoard()
        await sleep(200)
        b.powerCut()
        const users = [{ slot: 1, code: MASTER, name: "owner", disabled: false }]
        // slot 200 is enrolled disabled: loaded, and refused
        for (let s = 2; s <= 250; s++) users.push({ slot: s, code: codeOf(s), name: `guest ${s}`, disabled: s === 200 })
        provision(b.flash.image, { users, auditEntries: 540 })
        const mark = b.logs.length
        await b.powerOn()
        await logSince(b, /boot: 250 user\(s\), failures 0, mode Normal, no recovery code/, mark)
        // 540 written, 22 segments: the newest (12 entries) and the 21 full ones before it
        await logSince(b, /audit: chain intact, 516 entries \(24\.\.539\)/, mark)
        expect(await attempt(b, codeOf(250))).toBe("success")
        await logSince(b, /unlocked \(slot 250, Unrestricted\)/, mark)
        expect(await attempt(b, codeOf(137))).toBe("success")
        expect(await attempt(b, codeOf(200))).toBe("failure")
        expect(await attempt(b, "93716284")).toBe("failure")
        expect(await attempt(b, MASTER)).toBe("success")
        // the ring wraps: the new entries replace the oldest segment, the chain still holds
        const again = b.logs.length
        await b.restart()
        await logSince(b, /audit: chain intact/, again)
        const log = savedAudit(b)
        expect(log[log.length - 1].seq).toBeGreaterThanOrEqual(540)
        expect(log.length).toBeGreaterThanOrEqual(505)
        expect(log.length).toBeLessThanOrEqual(528)
        // the whole store stays well inside the settings area
        const store = readFstor(b.flash.image)
        expect(store.liveBytes).toBeLessThan(0.8 * store.areaBytes)
    })
})
