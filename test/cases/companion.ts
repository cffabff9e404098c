/** The companion's administration commands in the pure core: framing, checks and answers. */
import {
    argsFit,
    auditEntryName,
    AuditKind,
    Bytes,
    CMD_AUDIT_READ,
    CMD_CLOCK,
    CMD_LAST,
    CMD_LOST_PHONE,
    CMD_MODE,
    CMD_REVOKE,
    CMD_ROLLED_BACK,
    CMD_UNLOCK,
    CMD_USER_ADD,
    CMD_USER_NAME,
    commandAction,
    createNameTable,
    createUserTable,
    Effect,
    DIR_ANSWER,
    DIR_COMMAND,
    frameIv,
    parseUserAdd,
    parseUserListPage,
    REPLY_MAX_PLAIN,
    RemoteAction,
    ROLLED_BACK_SLOT,
    scheduleParamsError,
    setUser,
    setUserName,
    STATUS_BUSY,
    STATUS_INVALID,
    STATUS_OK,
    STATUS_REFUSED,
    textBytes,
    u32Args,
    userAddArgs,
    userListPage,
    UserStatus,
    UserType,
} from "../../src/core/index"
import { Check, Suite } from "./check"
import { bytesOf, bytesText, contains, holdsBytes, list, sliceBytes, str, textOf } from "./compare"
import { DEVICE_KEY, full, MASTER, Rig } from "./rig"

/** The answer to one companion command. */
interface Answer {
    effects: Effect[]
    reply: Effect
    /** The remoteReply's status (-1 for a remoteAudit). */
    status: number
    /** The remoteReply's detail as text. */
    text: string
}

/** A lock with the master code in slot 1 (or no user: setup mode), no recovery code. */
function lock(check: Check, users: number): Rig {
    const rig = new Rig(check)
    rig.bootCodes(users > 0 ? [rig.hmac(MASTER)] : [])
    return rig
}

/** An authentic companion command, as the adapter reports it: its effects and its one answer. */
function remote(rig: Rig, action: RemoteAction, args: number[]): Answer {
    const effects = rig.send({ type: "remoteAttempt" })
    for (const e of rig.send({ type: "remoteResult", ok: true, action: action, keyId: 1, args: args })) effects.push(e)
    const replies: Effect[] = []
    for (const e of effects) if (e.type === "remoteReply" || e.type === "remoteAudit") replies.push(e)
    rig.check.eq(str(replies.length), "1", `${action}: answers`)
    const r = replies[0]
    let status = -1
    let text = ""
    if (r.type === "remoteReply") {
        status = r.status
        text = textOf(r.detail)
    }
    return { effects: effects, reply: r, status: status, text: text }
}

/** Audit entries as "kind/source/slot". */
function audited(effects: Effect[]): string {
    const out: string[] = []
    for (const e of effects) if (e.type === "audit") out.push(`${e.kind}/${e.source}/${e.slot}`)
    return list(out)
}

function numbers(values: Bytes): string {
    return bytesText(values)
}

export function companionSuite(): Suite {
    return {
        name: "companion commands",
        cases: [
            {
                name: "framing: knows every command's argument length, and nothing past the last command",
                run: async check => {
                    check.eq(str(argsFit(CMD_UNLOCK, 0)), "true", "unlock, no argument")
                    check.eq(str(argsFit(CMD_UNLOCK, 1)), "false", "unlock, 1 byte")
                    check.eq(str(argsFit(CMD_CLOCK, 4)), "true", "clock, 4 bytes")
                    check.eq(str(argsFit(CMD_CLOCK, 3)), "false", "clock, 3 bytes")
                    check.eq(str(argsFit(CMD_AUDIT_READ, 1)), "true", "audit read, 1 byte")
                    check.eq(str(argsFit(CMD_USER_NAME, 11)), "true", "user name, 11 bytes")
                    check.eq(str(argsFit(CMD_USER_NAME, 12)), "false", "user name, 12 bytes")
                    check.eq(str(argsFit(CMD_USER_ADD, 9)), "false", "user add, 9 bytes")
                    check.eq(commandAction(CMD_LAST + 1), "none", "past the last command")
                    check.eq(commandAction(CMD_UNLOCK), "unlock", "unlock")
                    check.eq(commandAction(CMD_MODE), "mode", "mode")
                    check.eq(commandAction(CMD_AUDIT_READ), "auditRead", "audit read")
                    check.eq(commandAction(CMD_REVOKE), "none", "revoke: the adapter's own")
                    check.eq(commandAction(CMD_LOST_PHONE), "none", "lost phone: the adapter's own")
                    check.eq(commandAction(CMD_ROLLED_BACK), "rolledBack", "rolled back")
                    check.eq(str(CMD_LAST), str(CMD_ROLLED_BACK), "the rollback report is the last command")
                    check.eq(str(argsFit(CMD_ROLLED_BACK, 4)), "true", "rolled back, 4 bytes (the generation seen)")
                    check.eq(str(argsFit(CMD_ROLLED_BACK, 0)), "false", "rolled back, no argument")
                },
            },
            {
                name: "framing: round-trips a new user's arguments",
                run: async check => {
                    const args = userAddArgs(UserType.Expiring, bytesOf([30, 0, 0, 0, 0, 0, 0, 0]), "52839", "Dana")
                    const parsed = parseUserAdd(args)
                    check.eq(
                        parsed === null ? "null" : `${parsed.type} ${numbers(parsed.params)} ${parsed.code} ${parsed.name}`,
                        "7 [30,0,0,0,0,0,0,0] 52839 Dana",
                        "parsed",
                    )
                    check.eq(parseUserAdd(args.slice(0, 12)) === null ? "null" : "parsed", "null", "shorter than its code length says")
                },
            },
            {
                name: "framing: seals answers under an IV no command can have",
                run: async check => {
                    const challenge: number[] = []
                    for (let i = 0; i < 24; i++) challenge.push(i + 1)
                    const reply = frameIv(challenge, DIR_ANSWER)
                    const command = frameIv(challenge, DIR_COMMAND)
                    check.eq(numbers(reply) === numbers(command) ? "same" : "different", "different", "the IVs")
                    check.eq(numbers(reply.slice(0, 12)), numbers(command.slice(0, 12)), "their first 12 bytes")
                },
            },
            {
                name: "framing: pages the user list within one answer, metadata only",
                run: async check => {
                    const t = createUserTable()
                    const names = createNameTable()
                    for (let s = 1; s <= 250; s++) {
                        setUser(t, s, s === 1 ? UserType.Programming : UserType.Unrestricted, UserStatus.OccupiedEnabled, null, check.hmac(DEVICE_KEY, "" + s))
                        if (s % 25 === 0) await check.breathe()
                    }
                    setUserName(names, 7, "Grace")
                    let from = 1
                    let missing = ""
                    let expected = 1
                    let long = ""
                    let grace = ""
                    for (;;) {
                        const page = userListPage(t, names, from)
                        if (page.length > REPLY_MAX_PLAIN) long = long + ` ${page.length}`
                        const p = parseUserListPage(page)
                        if (p === null) {
                            missing = "an unreadable page"
                            break
                        }
                        for (const u of p.users) {
                            if (u.slot !== expected) missing = missing + ` ${expected}`
                            expected = u.slot + 1
                            if (u.slot === 7) grace = u.name
                        }
                        await check.breathe()
                        if (p.next === 0) break
                        from = p.next
                    }
                    check.eq(long, "", "pages longer than an answer")
                    check.eq(missing, "", "slots missing")
                    check.eq(str(expected), "251", "slots listed up to")
                    check.eq(grace, "Grace", "slot 7's name")
                    // no digest byte is in any page
                    const page = userListPage(t, names, 1)
                    check.eq(holdsBytes(bytesOf(page), sliceBytes(check.hmac(DEVICE_KEY, "2"), 0, 8)), "no", "slot 2's digest in the first page")
                },
            },
            {
                name: "framing: checks schedule bytes for each user type",
                run: async check => {
                    const why = (type: number, p: number[]) => str(scheduleParamsError(type, p))
                    check.eq(why(UserType.Unrestricted, [0, 0, 0, 0, 0, 0, 0, 0]), "null", "Unrestricted, zeros")
                    check.eq(contains(why(UserType.Unrestricted, [1, 0, 0, 0, 0, 0, 0, 0]), "none"), "yes", "Unrestricted with a schedule")
                    check.eq(why(UserType.WeekDaySchedule, [0x3e, 0x1c, 0x02, 0xfc, 0x03, 0, 0, 0]), "null", "weekdays 09:00-17:00")
                    check.eq(contains(why(UserType.WeekDaySchedule, [0, 0x1c, 0x02, 0xfc, 0x03, 0, 0, 0]), "days"), "yes", "no days")
                    check.eq(contains(why(UserType.WeekDaySchedule, [1, 0xfc, 0x03, 0x1c, 0x02, 0, 0, 0]), "after"), "yes", "the end before the start")
                    check.eq(contains(why(UserType.Expiring, [0, 0, 0, 0, 0, 0, 0, 0]), "minutes"), "yes", "Expiring, 0 minutes")
                    check.eq(contains(why(UserType.Expiring, [10, 0, 1, 0, 0, 0, 0, 0]), "unused"), "yes", "Expiring, already used")
                    const range = u32Args(1800000000)
                    for (const b of u32Args(1700000000)) range.push(b)
                    check.eq(contains(why(UserType.YearDaySchedule, range), "after"), "yes", "a year-day range backwards")
                },
            },
            {
                name: "adds a user by hashing its code, answers the slot, and never puts the code in an effect but the hash",
                run: async check => {
                    const r = lock(check, 1)
                    const a = remote(r, "userAdd", userAddArgs(UserType.Unrestricted, null, "52839", "Dana"))
                    check.eq(str(a.status), str(STATUS_OK), "status")
                    check.eq(full(a.reply), "remoteReply status=0 detail=[2]", "the answer: slot 2")
                    const mentions: string[] = []
                    for (const e of a.effects) if (full(e).indexOf("52839") >= 0) mentions.push(e.type)
                    check.eq(list(mentions), "hash", "effects holding the code")
                    check.eq(str(r.state.userCount), "2", "users")
                    check.eq(contains(audited(a.effects), "12/7/"), "yes", "UserAdded audited from a remote")
                },
            },
            {
                name: "refuses with a reason: weak and duplicate codes, the master slot, bad modes, an unset range",
                run: async check => {
                    const r = lock(check, 1)
                    check.eq(contains(remote(r, "userAdd", userAddArgs(0, null, "1111", "")).text, "code: "), "yes", "a weak code")
                    const dup = remote(r, "userAdd", userAddArgs(0, null, MASTER, ""))
                    check.eq(`${dup.status} ${dup.text}`, `${STATUS_INVALID} code already in use`, "the master's code")
                    const master = remote(r, "userRemove", [1])
                    check.eq(`${master.status} ${master.text}`, `${STATUS_INVALID} slot 1 is the master code`, "removing the master")
                    check.eq(str(remote(r, "mode", [7]).status), str(STATUS_INVALID), "mode 7")
                    check.eq(str(remote(r, "clock", u32Args(5)).status), str(STATUS_INVALID), "a clock in 1970")
                    check.eq(str(remote(r, "auditRead", [40]).status), str(STATUS_INVALID), "audit segment 40")
                    // refused by the adapter (revoking a key id the lock never issued): the reason is answered
                    const invalid = remote(r, "invalid", textBytes("no such companion key"))
                    check.eq(`${invalid.status} ${invalid.text}`, `${STATUS_INVALID} no such companion key`, "refused by the adapter")
                    check.eq(str(r.state.userCount), "1", "users")
                    check.eq(str(r.state.failures), "0", "failures: companion commands never touch the keypad's counter")
                },
            },
            {
                name: "audits companion keys enrolled and revoked (key id; 0 for every key), never a key",
                run: async check => {
                    const r = lock(check, 1)
                    check.eq(audited(r.send({ type: "companionEnrolled", keyId: 2 })), "30/7/2", "enrolled")
                    const one = remote(r, "revoked", [2])
                    check.eq(str(one.status), str(STATUS_OK), "revoked: status")
                    check.eq(audited(one.effects), "31/7/2", "revoked")
                    check.eq(audited(remote(r, "revoked", [0]).effects), "31/7/0", "every key revoked")
                },
            },
            {
                name: "a companion that found the store behind: audits StoreRolledBack, raises StoreLost, answers Ok",
                run: async check => {
                    const r = lock(check, 1)
                    const a = remote(r, "rolledBack", u32Args(9))
                    check.eq(str(a.status), str(STATUS_OK), "status")
                    check.eq(audited(a.effects), `${AuditKind.LockFactoryReset}/7/${ROLLED_BACK_SLOT}`, "audit entry")
                    check.eq(auditEntryName(AuditKind.LockFactoryReset, ROLLED_BACK_SLOT), "StoreRolledBack", "its name")
                    const alarms: string[] = []
                    for (const e of a.effects) if (e.type === "alarm") alarms.push(e.alarm)
                    check.eq(list(alarms), "StoreLost", "alarm")
                    // the keypad's counter is not the companion's
                    check.eq(str(r.state.failures), "0", "failures untouched")
                },
            },
            {
                name: "changes nothing on an unprovisioned lock but still answers reads",
                run: async check => {
                    const r = lock(check, 0)
                    check.eq(str(remote(r, "userAdd", userAddArgs(0, null, "52839", "")).status), str(STATUS_REFUSED), "user add")
                    check.eq(str(remote(r, "mode", [1]).status), str(STATUS_REFUSED), "mode")
                    check.eq(str(remote(r, "unlock", []).status), str(STATUS_REFUSED), "unlock")
                    check.eq(str(remote(r, "userList", [1]).status), str(STATUS_OK), "user list")
                    check.eq(full(remote(r, "auditRead", [0]).reply), "remoteAudit segment=0", "audit read")
                    check.eq(str(r.state.userCount), "0", "users")
                },
            },
            {
                name: "never touches the keypad's counter: an owner's routine command never wipes an attacker's failures",
                run: async check => {
                    const r = lock(check, 1)
                    for (let i = 0; i < 3; i++) for (const k of ["5", "8", "2", "0", "#"]) r.send({ type: "keyDown", key: k })
                    check.eq(str(r.state.failures), "3", "three wrong codes")
                    const effects = remote(r, "lock", []).effects
                    check.eq(str(r.state.failures), "3", "after a lock command")
                    const saved: string[] = []
                    for (const e of effects) if (e.type === "saveCounter") saved.push(str(e.failures))
                    check.eq(list(saved), "", "counter writes")
                    remote(r, "userList", [1])
                    check.eq(str(r.state.failures), "3", "after a user list")
                    remote(r, "clearLockout", [])
                    check.eq(str(r.state.failures), "0", "after clearing the lockout")
                },
            },
            {
                name: "answers Busy at once when a code is being checked",
                run: async check => {
                    const r = lock(check, 1)
                    r.state.pending = "verify"
                    const replies: string[] = []
                    for (const e of r.send({ type: "remoteAttempt" })) if (e.type === "remoteReply") replies.push(full(e))
                    check.eq(list(replies), `remoteReply status=${STATUS_BUSY} detail=null`, "the answer")
                },
            },
        ],
    }
}
