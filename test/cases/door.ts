/** The door contact (forced-open and ajar alarms, a relock that waits for the door) and a jammed latch. */
import { DEFAULT_POLICY, Effect, LATCH_SETTLE_MS, Policy } from "../../src/core/index"
import { Check, Suite } from "./check"
import { contains, list, str } from "./compare"
import { alarms, latches, MASTER, Rig } from "./rig"

/** A lock with the master code, a 5 s auto-relock and a 20 s door-ajar time. */
function doorLock(check: Check): Rig {
    const policy: Policy = { ...DEFAULT_POLICY, autoRelockMs: 5000, doorAjarMs: 20000 }
    const rig = new Rig(check, policy)
    rig.bootCodes([rig.hmac(MASTER)])
    return rig
}

/** The master code typed (key downs only). */
function open(rig: Rig) {
    for (const k of ["7", "3", "9", "1", "#"]) rig.send({ type: "keyDown", key: k })
}

/** The audit kinds among the effects. */
function auditKinds(effects: Effect[]): string {
    const out: string[] = []
    for (const e of effects) if (e.type === "audit") out.push(str(e.kind))
    return list(out)
}

export function doorSuite(): Suite {
    return {
        name: "the door contact and the latch",
        cases: [
            {
                name: "reports nothing for the first reading, and a forced door once the latch has settled",
                run: async check => {
                    const r = doorLock(check)
                    check.eq(list(alarms(r.send({ type: "door", open: false }))), "", "the first reading")
                    check.eq(r.st("door"), "door=closed", "door")
                    r.advance(LATCH_SETTLE_MS)
                    const out = r.send({ type: "door", open: true })
                    check.eq(list(alarms(out)), "DoorForcedOpen", "forced")
                    check.eq(contains(auditKinds(out), "27"), "yes", "DoorForcedOpen audited")
                    check.eq(list(alarms(r.send({ type: "door", open: true }))), "", "no change, no new alarm")
                },
            },
            {
                name: "a door opened after a right code is no alarm; the relock waits until it shuts",
                run: async check => {
                    const r = doorLock(check)
                    r.send({ type: "door", open: false })
                    r.advance(LATCH_SETTLE_MS)
                    open(r)
                    check.eq(str(r.state.locked), "false", "opened")
                    check.eq(list(alarms(r.send({ type: "door", open: true }))), "", "the door opens")
                    r.advance(6000)
                    check.eq(list(latches(r.send({ type: "tick" }))), "", "relock due, but the door is open")
                    check.eq(list(latches(r.send({ type: "door", open: false }))), "locked", "the door shuts")
                    check.eq(str(r.state.locked), "true", "locked")
                },
            },
            {
                name: "raises DoorAjar once per opening, after the policy's time",
                run: async check => {
                    const r = doorLock(check)
                    r.send({ type: "door", open: false })
                    open(r)
                    r.send({ type: "door", open: true })
                    r.advance(19999)
                    check.eq(list(alarms(r.send({ type: "tick" }))), "", "19,999 ms")
                    r.advance(1)
                    check.eq(list(alarms(r.send({ type: "tick" }))), "DoorAjar", "20 s")
                    r.advance(60000)
                    check.eq(list(alarms(r.send({ type: "tick" }))), "", "once")
                    r.send({ type: "door", open: false })
                    open(r)
                    r.send({ type: "door", open: true })
                    r.advance(20000)
                    check.eq(list(alarms(r.send({ type: "tick" }))), "DoorAjar", "the next opening")
                },
            },
            {
                name: "without a sensor the relock runs on time and the door is unknown",
                run: async check => {
                    const r = doorLock(check)
                    open(r)
                    r.advance(5000)
                    check.eq(list(latches(r.send({ type: "tick" }))), "locked", "relocked")
                    check.eq(r.st("door"), "door=unknown", "door")
                },
            },
            {
                name: "a latch that would not open: LockJammed audited and alarmed, the lock is locked again and no relock is pending",
                run: async check => {
                    const r = doorLock(check)
                    open(r)
                    check.eq(str(r.state.locked), "false", "opened")
                    const out = r.send({ type: "latchJammed", locked: false })
                    check.eq(list(alarms(out)), "LockJammed", "alarm")
                    check.eq(contains(auditKinds(out), "29"), "yes", "LockJammed audited")
                    check.eq(list(latches(out)), "", "the monitor drives the latch back itself")
                    check.eq(str(r.state.locked), "true", "locked")
                    check.eq(str(r.state.relockActive), "false", "relock pending")
                },
            },
            {
                name: "a latch that would not lock: LockJammed, and the lock stays commanded locked",
                run: async check => {
                    const r = doorLock(check)
                    const out = r.send({ type: "latchJammed", locked: true })
                    check.eq(list(alarms(out)), "LockJammed", "alarm")
                    check.eq(str(r.state.locked), "true", "locked")
                },
            },
        ],
    }
}
