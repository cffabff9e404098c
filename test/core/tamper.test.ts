/** Tampering in the pure core: the store alarm, foreign parts, and the companion channel while it stands. */
import { describe, expect, it } from "vitest"
import { audits, kinds, logs, MASTER, Rig } from "./rig"
import {
    auditEntryName,
    AuditKind,
    Effect,
    LockPart,
    RemoteAction,
    STATUS_OK,
    STATUS_REFUSED,
    TAMPER_KIND,
    TAMPER_PART,
    TAMPER_REFUSAL,
    TAMPER_STORE,
} from "../../src/core/index"

/** An authentic companion command, as the adapter reports it: its one answer's status and text. */
function remote(r: Rig, action: RemoteAction, args: number[] = []): { status: number; text: string; effects: Effect[] } {
    const effects = [...r.send({ type: "remoteAttempt" }), ...r.send({ type: "remoteResult", ok: true, action, keyId: 1, args })]
    const replies = effects.filter(e => e.type === "remoteReply" || e.type === "remoteAudit")
    expect(replies.length, "exactly one answer").toBe(1)
    const reply = replies[0]
    if (reply.type !== "remoteReply") return { status: STATUS_OK, text: "", effects }
    const text = reply.detail ? String.fromCharCode(...Array.from(reply.detail as ArrayLike<number>)) : ""
    return { status: reply.status, text, effects }
}

function booted(): Rig {
    const r = new Rig()
    r.boot()
    return r
}

describe("the store alarm", () => {
    it("is audited as a tamper entry and raised as StoreTampered", () => {
        const r = booted()
        const out = r.send({ type: "storeTampered" })
        expect(kinds(out)).toEqual(["alarm StoreTampered"])
        expect(out.filter(e => e.type === "audit")).toEqual([expect.objectContaining({ kind: TAMPER_KIND, slot: TAMPER_STORE })])
        expect(audits(out)).toEqual(["audit StoreTampered 1"])
        expect(r.state.tampered).toBe(true)
    })

    it("refuses companion commands that open or change who opens, until the program button is pressed", () => {
        const r = booted()
        r.send({ type: "storeTampered" })
        for (const action of ["unlock", "clearLockout", "mode", "clock", "userRemove", "userEnable", "userDisable"] as RemoteAction[]) {
            const a = remote(r, action, action === "mode" ? [4] : action === "clock" ? [0, 0, 0, 0] : [2])
            expect([action, a.status, a.text]).toEqual([action, STATUS_REFUSED, TAMPER_REFUSAL])
            expect(r.opened(a.effects), action).toBe(false)
        }
        // an authentic command still takes back its own count: the refusal costs no attempt
        expect(r.status().failures).toBe(0)
        const ack = r.send({ type: "buttonDown" })
        expect(logs(ack).some(l => /tamper acknowledged/.test(l))).toBe(true)
        r.send({ type: "buttonUp" })
        const after = remote(r, "unlock")
        expect(after.status).toBe(STATUS_OK)
        expect(r.opened(after.effects)).toBe(true)
    })

    it("still lets a companion lock, revoke and read", () => {
        const r = booted()
        r.send({ type: "storeTampered" })
        expect(remote(r, "lock").status).toBe(STATUS_OK)
        expect(remote(r, "revoked", [2]).status).toBe(STATUS_OK)
        expect(remote(r, "auditRead", [0]).status).toBe(STATUS_OK)
        expect(remote(r, "userList", [0]).status).toBe(STATUS_OK)
    })

    it("leaves the keypad as it was", () => {
        const r = booted()
        r.send({ type: "storeTampered" })
        expect(r.opened(r.enter(MASTER))).toBe(true)
    })
})

describe("a foreign part", () => {
    it("is audited with the part and raised as ForeignPart, and does not stop the companion channel", () => {
        const r = booted()
        const out = r.send({ type: "foreignPart", part: LockPart.Program })
        expect(kinds(out)).toEqual(["alarm ForeignPart"])
        expect(out.filter(e => e.type === "audit")).toEqual([expect.objectContaining({ kind: TAMPER_KIND, slot: TAMPER_PART + LockPart.Program })])
        expect(audits(out)).toEqual(["audit ForeignPart program 3"])
        expect(r.state.tampered).toBe(false)
        expect(remote(r, "unlock").status).toBe(STATUS_OK)
    })
})

describe("tamper entries in the audit log", () => {
    it("share DoorForcedOpen's kind, told apart by the slot byte", () => {
        expect(TAMPER_KIND).toBe(AuditKind.DoorForcedOpen)
        expect(auditEntryName(AuditKind.DoorForcedOpen, 0)).toBe("DoorForcedOpen")
        expect(auditEntryName(AuditKind.DoorForcedOpen, TAMPER_STORE)).toBe("StoreTampered")
        expect(auditEntryName(AuditKind.DoorForcedOpen, TAMPER_PART + LockPart.Keypad)).toBe("ForeignPart keypad")
        expect(auditEntryName(AuditKind.DoorForcedOpen, TAMPER_PART + LockPart.Door)).toBe("ForeignPart door")
        expect(auditEntryName(AuditKind.Unlock, TAMPER_STORE)).toBe("Unlock")
    })
})
