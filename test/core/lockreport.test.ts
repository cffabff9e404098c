/** What a lock tells a broker: topics, the state document, alarms, and the reconnect backoff. */
import { describe, expect, it } from "vitest"
import { alarmEventJson, alarmPublished, LOCKOUT_REFRESH_MS, lockStateName, stateDoc, stateDue, stateJson } from "../../src/core/lockreport"
import { LatchState } from "../../src/core/latch"
import { LockStatus } from "../../src/core/state"
import { OperatingMode } from "../../src/core/modes"
import { lockTopics, topicLockId } from "../../src/core/topics"
import { reconnectDelayMs, RECONNECT_FIRST_MS, RECONNECT_MAX_MS } from "../../src/core/backoff"
import { validPublishTopic, validSubscribeTopic } from "../support/ha-schema"

const status = (s: Partial<LockStatus> = {}): LockStatus => ({
    setup: false,
    setupStage: "idle",
    locked: true,
    failures: 0,
    lockoutRemainingMs: 0,
    entryLength: 0,
    busy: false,
    mode: OperatingMode.Normal,
    users: 1,
    menu: "",
    clockSet: false,
    door: "closed",
    wallSeconds: 0,
    hasRecovery: false,
    ...s,
})

describe("a lock's topics", () => {
    it("are exact, per lock, under the prefix", () => {
        const t = lockTopics("home/latchkey", "1a7c4b3e9d2f0a55")
        expect(t).toEqual({
            req: "home/latchkey/1a7c4b3e9d2f0a55/req",
            ans: "home/latchkey/1a7c4b3e9d2f0a55/ans",
            state: "home/latchkey/1a7c4b3e9d2f0a55/state",
            events: "home/latchkey/1a7c4b3e9d2f0a55/events",
            availability: "home/latchkey/1a7c4b3e9d2f0a55/availability",
            command: "home/latchkey/1a7c4b3e9d2f0a55/command",
        })
        for (const topic of Object.values(t)) {
            expect(validPublishTopic(topic)).toBeNull()
            expect(validSubscribeTopic(topic)).toBeNull()
        }
    })

    it("use the device id as the lock id, and refuse anything that is not 16 hex digits", () => {
        expect(topicLockId("1A7C4B3E9D2F0A55")).toBe("1a7c4b3e9d2f0a55")
        expect(topicLockId("1a7c4b3e9d2f0a55")).toBe("1a7c4b3e9d2f0a55")
        for (const bad of ["", "1a7c", "1a7c4b3e9d2f0a5g", "1a7c4b3e9d2f0a5+", "1a7c4b3e9d2f0a5/", "1a7c4b3e9d2f0a55a"]) expect(topicLockId(bad), bad).toBeNull()
    })
})

describe("the state document", () => {
    it("names the lock's state as Home Assistant does; a latch not fully locked is UNLOCKED", () => {
        expect(lockStateName(LatchState.Locked)).toBe("LOCKED")
        expect(lockStateName(LatchState.Unlocked)).toBe("UNLOCKED")
        expect(lockStateName(LatchState.Locking)).toBe("LOCKING")
        expect(lockStateName(LatchState.Unlocking)).toBe("UNLOCKING")
        expect(lockStateName(LatchState.Jammed)).toBe("JAMMED")
        expect(lockStateName(LatchState.NotFullyLocked)).toBe("UNLOCKED")
    })

    it("holds the lock, failures, lockout seconds (rounded up), mode and door, and nothing secret", () => {
        const d = stateDoc(status({ failures: 6, lockoutRemainingMs: 29001, mode: OperatingMode.Privacy, door: "open" }), LatchState.Locked)
        expect(JSON.parse(stateJson(d))).toEqual({ lock: "LOCKED", failures: 6, lockout_s: 30, mode: "Privacy", door: "open" })
        expect(stateDoc(status({ door: "unknown" }), LatchState.Unlocked).door).toBe("unknown")
    })

    it("is published on every change, on a lockout's start and end, and every 30 s while one runs (not every second)", () => {
        const a = stateDoc(status(), LatchState.Locked)
        expect(stateDue(null, 0, a, 0)).toBe(true)
        expect(stateDue(a, 0, stateDoc(status(), LatchState.Locked), 100000)).toBe(false)
        expect(stateDue(a, 0, stateDoc(status(), LatchState.Unlocking), 1)).toBe(true)
        expect(stateDue(a, 0, stateDoc(status({ failures: 1 }), LatchState.Locked), 1)).toBe(true)
        expect(stateDue(a, 0, stateDoc(status({ door: "open" }), LatchState.Locked), 1)).toBe(true)
        expect(stateDue(a, 0, stateDoc(status({ mode: OperatingMode.Vacation }), LatchState.Locked), 1)).toBe(true)
        const out = stateDoc(status({ failures: 6, lockoutRemainingMs: 60000 }), LatchState.Locked)
        const outLater = stateDoc(status({ failures: 6, lockoutRemainingMs: 59000 }), LatchState.Locked)
        expect(stateDue(stateDoc(status({ failures: 6 }), LatchState.Locked), 0, out, 1)).toBe(true)
        expect(stateDue(out, 1000, outLater, 2000)).toBe(false)
        expect(stateDue(out, 1000, outLater, 1000 + LOCKOUT_REFRESH_MS)).toBe(true)
        expect(stateDue(out, 1000, stateDoc(status({ failures: 6 }), LatchState.Locked), 2000)).toBe(true)
    })
})

describe("alarms on the broker", () => {
    it("are published with their age; ForcedUser and the power-cycle alarm never are", () => {
        expect(JSON.parse(alarmEventJson("LockJammed", 2500)!)).toEqual({ event_type: "LockJammed", age_s: 2 })
        expect(JSON.parse(alarmEventJson("DoorAjar", -5)!)).toEqual({ event_type: "DoorAjar", age_s: 0 })
        expect(alarmEventJson("ForcedUser", 0)).toBeNull()
        expect(alarmPublished("ForcedUser")).toBe(false)
        expect(alarmPublished("LockRadioPowerCycled")).toBe(false)
    })
})

describe("the reconnect backoff", () => {
    it("doubles from 1 s to 8 s, with at most a quarter more at random", () => {
        expect([1, 2, 3, 4, 5, 50].map(n => reconnectDelayMs(n, 0))).toEqual([1000, 2000, 4000, 8000, 8000, 8000])
        expect(reconnectDelayMs(1, 0.999)).toBe(RECONNECT_FIRST_MS + 249)
        expect(reconnectDelayMs(9, 0.999)).toBe(RECONNECT_MAX_MS + 1998)
        expect(reconnectDelayMs(1, NaN)).toBe(1000)
        expect(reconnectDelayMs(0, 0)).toBe(1000)
    })
})
