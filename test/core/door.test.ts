/** The door contact in the pure core: forced-open and ajar alarms, and a relock that waits for the door. */
import { describe, expect, it } from "vitest"
import { hmac } from "./rig"
import { createLock, createUserTable, DEFAULT_POLICY, Effect, LATCH_SETTLE_MS, LockEvent, lockStatus, setUser, step, UserStatus, UserType } from "../../src/core/index"

function rig() {
    const policy = { ...DEFAULT_POLICY, autoRelockMs: 5000, doorAjarMs: 20000 }
    let now = 1000
    const state = createLock(policy, now)
    const t = createUserTable()
    setUser(t, 1, UserType.Programming, UserStatus.OccupiedEnabled, null, hmac("7391"))
    const send = (e: LockEvent): Effect[] => {
        const out = step(state, e, now)
        const all = [...out]
        for (const x of out) if (x.type === "hash") all.push(...send({ type: "digest", digest: hmac(x.code) }))
        return all
    }
    send({ type: "boot", users: t, names: null, failures: 0, served: true, mode: 0, recovery: null })
    const alarms = (es: Effect[]) => es.filter(e => e.type === "alarm").map(e => (e.type === "alarm" ? e.alarm : ""))
    const latch = (es: Effect[]) => es.filter(e => e.type === "latch").map(e => (e.type === "latch" ? e.locked : null))
    const open = () => {
        for (const k of "7391#") send({ type: "keyDown", key: k })
    }
    return { state, send, alarms, latch, open, advance: (ms: number) => (now += ms) }
}

describe("the door contact", () => {
    it("reports nothing for the first reading, and a forced door once the latch has settled", () => {
        const r = rig()
        expect(r.alarms(r.send({ type: "door", open: false }))).toEqual([])
        expect(lockStatus(r.state, 0).door).toBe("closed")
        r.advance(LATCH_SETTLE_MS)
        const out = r.send({ type: "door", open: true })
        expect(r.alarms(out)).toEqual(["DoorForcedOpen"])
        expect(out.some(e => e.type === "audit" && e.kind === 27)).toBe(true)
        expect(r.alarms(r.send({ type: "door", open: true }))).toEqual([]) // no change, no new alarm
    })

    it("a door opened after a right code is no alarm; the relock waits until it shuts", () => {
        const r = rig()
        r.send({ type: "door", open: false })
        r.advance(LATCH_SETTLE_MS)
        r.open()
        expect(r.state.locked).toBe(false)
        expect(r.alarms(r.send({ type: "door", open: true }))).toEqual([])
        r.advance(6000)
        expect(r.latch(r.send({ type: "tick" }))).toEqual([]) // relock due, but the door is open
        expect(r.latch(r.send({ type: "door", open: false }))).toEqual([true])
        expect(r.state.locked).toBe(true)
    })

    it("raises DoorAjar once per opening, after the policy's time", () => {
        const r = rig()
        r.send({ type: "door", open: false })
        r.open()
        r.send({ type: "door", open: true })
        r.advance(19999)
        expect(r.alarms(r.send({ type: "tick" }))).toEqual([])
        r.advance(1)
        expect(r.alarms(r.send({ type: "tick" }))).toEqual(["DoorAjar"])
        r.advance(60000)
        expect(r.alarms(r.send({ type: "tick" }))).toEqual([])
        r.send({ type: "door", open: false })
        r.open()
        r.send({ type: "door", open: true })
        r.advance(20000)
        expect(r.alarms(r.send({ type: "tick" }))).toEqual(["DoorAjar"])
    })

    it("without a sensor the relock runs on time and the door is unknown", () => {
        const r = rig()
        r.open()
        r.advance(5000)
        expect(r.latch(r.send({ type: "tick" }))).toEqual([true])
        expect(lockStatus(r.state, 0).door).toBe("unknown")
    })
})

describe("a jammed latch (the monitor's LockJammed)", () => {
    it("would not open: LockJammed audited and alarmed, the lock is locked again and no relock is pending", () => {
        const r = rig()
        r.open()
        expect(r.state.locked).toBe(false)
        const out = r.send({ type: "latchJammed", locked: false })
        expect(r.alarms(out)).toEqual(["LockJammed"])
        expect(out.some(e => e.type === "audit" && e.kind === 29)).toBe(true)
        expect(r.latch(out)).toEqual([]) // the monitor drives the latch back itself
        expect(r.state.locked).toBe(true)
        expect(r.state.relockActive).toBe(false)
    })

    it("would not lock: LockJammed, and the lock stays commanded locked", () => {
        const r = rig()
        const out = r.send({ type: "latchJammed", locked: true })
        expect(r.alarms(out)).toEqual(["LockJammed"])
        expect(r.state.locked).toBe(true)
    })
})
