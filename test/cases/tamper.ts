/** Tampering the lock is told of: the store alarm (and the companion channel while it stands), foreign parts. */
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
import { Check, Suite } from "./check"
import { contains, list, str, textOf } from "./compare"
import { alarms, kinds, logs, MASTER, opened, Rig } from "./rig"

/** An authentic companion command, as the adapter reports it: "status text" of its one answer, and its effects. */
function remote(rig: Rig, action: RemoteAction, args: number[]): { answer: string; effects: Effect[] } {
    const effects = rig.send({ type: "remoteAttempt" })
    for (const e of rig.send({ type: "remoteResult", ok: true, action: action, keyId: 1, args: args })) effects.push(e)
    const answers: string[] = []
    for (const e of effects) {
        if (e.type === "remoteReply") answers.push(`${e.status} ${textOf(e.detail)}`)
        else if (e.type === "remoteAudit") answers.push(`${STATUS_OK} `)
    }
    rig.check.eq(str(answers.length), "1", `${action}: answers`)
    return { answer: answers[0], effects: effects }
}

/** Audit entries as "kind/slot". */
function audited(effects: Effect[]): string {
    const out: string[] = []
    for (const e of effects) if (e.type === "audit") out.push(`${e.kind}/${e.slot}`)
    return list(out)
}

async function booted(check: Check): Promise<Rig> {
    const rig = new Rig(check)
    await rig.boot([])
    return rig
}

export function tamperSuite(): Suite {
    return {
        name: "tampering",
        cases: [
            {
                name: "a changed store is audited as a tamper entry and raised as StoreTampered",
                run: async check => {
                    const r = await booted(check)
                    const out = r.send({ type: "storeTampered" })
                    check.eq(list(kinds(out)), "alarm StoreTampered", "effects")
                    check.eq(audited(out), `${TAMPER_KIND}/${TAMPER_STORE}`, "audited")
                    check.eq(str(r.state.tampered), "true", "tampered")
                },
            },
            {
                name: "while it stands, companion commands that open or change who opens are refused; the program button ends it",
                run: async check => {
                    const r = await booted(check)
                    r.send({ type: "storeTampered" })
                    const refused: RemoteAction[] = ["unlock", "clearLockout", "mode", "clock", "userRemove", "userEnable", "userDisable"]
                    for (const action of refused) {
                        const a = remote(r, action, action === "mode" ? [4] : action === "clock" ? [0, 0, 0, 0] : [2])
                        check.eq(a.answer, `${STATUS_REFUSED} ${TAMPER_REFUSAL}`, action)
                        check.eq(str(opened(a.effects)), "false", `${action}: the latch`)
                    }
                    // authentic commands take back their own count: the refusals cost no attempt
                    check.eq(r.st("failures"), "failures=0", "failures")
                    check.eq(contains(list(logs(r.button())), "tamper acknowledged"), "yes", "the program button")
                    const after = remote(r, "unlock", [])
                    check.eq(after.answer, `${STATUS_OK} `, "unlock after the button")
                    check.eq(str(opened(after.effects)), "true", "opened")
                },
            },
            {
                name: "while it stands, a companion may still lock, revoke and read",
                run: async check => {
                    const r = await booted(check)
                    r.send({ type: "storeTampered" })
                    check.eq(remote(r, "lock", []).answer, `${STATUS_OK} `, "lock")
                    check.eq(remote(r, "revoked", [2]).answer, `${STATUS_OK} `, "revoked")
                    check.eq(remote(r, "auditRead", [0]).answer, `${STATUS_OK} `, "auditRead")
                    check.eq(remote(r, "userList", [0]).answer.slice(0, 2), `${STATUS_OK} `, "userList")
                },
            },
            {
                name: "the keypad works as before while it stands",
                run: async check => {
                    const r = await booted(check)
                    r.send({ type: "storeTampered" })
                    check.eq(str(opened(await r.enter(MASTER))), "true", "the master code")
                },
            },
            {
                name: "a foreign part is audited with the part and raised as ForeignPart, and leaves the companion channel open",
                run: async check => {
                    const r = await booted(check)
                    const out = r.send({ type: "foreignPart", part: LockPart.Program })
                    check.eq(list(alarms(out)), "ForeignPart", "alarm")
                    check.eq(audited(out), `${TAMPER_KIND}/${TAMPER_PART + LockPart.Program}`, "audited")
                    check.eq(str(r.state.tampered), "false", "tampered")
                    check.eq(remote(r, "unlock", []).answer, `${STATUS_OK} `, "unlock")
                },
            },
            {
                name: "tamper entries share DoorForcedOpen's kind, told apart by the slot byte",
                run: async check => {
                    check.eq(str(TAMPER_KIND), str(AuditKind.DoorForcedOpen), "kind")
                    check.eq(auditEntryName(AuditKind.DoorForcedOpen, 0), "DoorForcedOpen", "slot 0")
                    check.eq(auditEntryName(AuditKind.DoorForcedOpen, TAMPER_STORE), "StoreTampered", "store")
                    check.eq(auditEntryName(AuditKind.DoorForcedOpen, TAMPER_PART + LockPart.Keypad), "ForeignPart keypad", "keypad")
                    check.eq(auditEntryName(AuditKind.DoorForcedOpen, TAMPER_PART + LockPart.Door), "ForeignPart door", "door")
                    check.eq(auditEntryName(AuditKind.Unlock, TAMPER_STORE), "Unlock", "another kind")
                },
            },
        ],
    }
}
