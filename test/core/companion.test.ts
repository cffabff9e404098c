/** The companion's administration commands in the pure core: framing, checks and answers. */
import { describe, expect, it } from "vitest"
import { hmac } from "./rig"
import {
    argsFit,
    CMD_AUDIT_READ,
    CMD_CLOCK,
    CMD_LAST,
    CMD_UNLOCK,
    CMD_USER_ADD,
    CMD_USER_NAME,
    commandAction,
    createLock,
    createNameTable,
    createUserTable,
    DEFAULT_POLICY,
    Effect,
    ivBytes,
    LockEvent,
    LockState,
    parseUserAdd,
    parseUserListPage,
    REPLY_MAX_PLAIN,
    replyIvBytes,
    RemoteAction,
    scheduleParamsError,
    setUser,
    setUserName,
    STATUS_BUSY,
    STATUS_INVALID,
    STATUS_OK,
    STATUS_REFUSED,
    step,
    u32Args,
    userAddArgs,
    userListPage,
    UserStatus,
    UserType,
} from "../../src/core/index"

const MASTER = "7391"

class Rig {
    state: LockState
    now = 1000
    constructor(users = 1) {
        this.state = createLock(DEFAULT_POLICY, this.now)
        const t = createUserTable()
        if (users > 0) setUser(t, 1, UserType.Programming, UserStatus.OccupiedEnabled, null, hmac(MASTER))
        this.send({ type: "boot", users: t, names: null, failures: 0, served: true, mode: 0, recovery: null })
    }
    send(e: LockEvent): Effect[] {
        const out = step(this.state, e, this.now)
        const all = [...out]
        for (const x of out) if (x.type === "hash") all.push(...this.send({ type: "digest", digest: hmac(x.code) }))
        return all
    }
    /** An authentic companion command, as the adapter reports it; returns the effects and the answer. */
    remote(action: RemoteAction, args: number[] = []) {
        const effects = [...this.send({ type: "remoteAttempt" }), ...this.send({ type: "remoteResult", ok: true, action, keyId: 1, args })]
        const replies = effects.filter(e => e.type === "remoteReply" || e.type === "remoteAudit")
        expect(replies.length, "exactly one answer").toBe(1)
        const r = replies[0]
        const text = r.type === "remoteReply" && r.detail ? String.fromCharCode(...Array.from(r.detail as ArrayLike<number>)) : ""
        return { effects, reply: r, status: r.type === "remoteReply" ? r.status : -1, text }
    }
}

describe("companion commands: framing", () => {
    it("knows every command's argument length, and nothing past the last command", () => {
        expect(argsFit(CMD_UNLOCK, 0)).toBe(true)
        expect(argsFit(CMD_UNLOCK, 1)).toBe(false)
        expect(argsFit(CMD_CLOCK, 4)).toBe(true)
        expect(argsFit(CMD_CLOCK, 3)).toBe(false)
        expect(argsFit(CMD_AUDIT_READ, 1)).toBe(true)
        expect(argsFit(CMD_USER_NAME, 11)).toBe(true)
        expect(argsFit(CMD_USER_NAME, 12)).toBe(false)
        expect(argsFit(CMD_USER_ADD, 9)).toBe(false)
        expect(commandAction(CMD_LAST + 1)).toBe("none")
    })

    it("round-trips a new user's arguments", () => {
        const args = userAddArgs(UserType.Expiring, [30, 0, 0, 0, 0, 0, 0, 0], "52839", "Dana")
        expect(parseUserAdd(args)).toEqual({ type: UserType.Expiring, params: [30, 0, 0, 0, 0, 0, 0, 0], code: "52839", name: "Dana" })
        expect(parseUserAdd(args.slice(0, 12))).toBeNull() // shorter than its code length says
    })

    it("seals answers under an IV no command can have", () => {
        expect(replyIvBytes(3, 77)).not.toEqual(ivBytes(3, 77))
        expect(replyIvBytes(3, 77).slice(0, 12)).toEqual(ivBytes(3, 77).slice(0, 12))
    })

    it("pages the user list within one answer, metadata only", () => {
        const t = createUserTable()
        const names = createNameTable()
        for (let s = 1; s <= 250; s++) setUser(t, s, s === 1 ? UserType.Programming : UserType.Unrestricted, UserStatus.OccupiedEnabled, null, hmac(`${s}`))
        setUserName(names, 7, "Grace")
        let from = 1
        const seen: number[] = []
        for (;;) {
            const page = userListPage(t, names, from)
            expect(page.length).toBeLessThanOrEqual(REPLY_MAX_PLAIN)
            const p = parseUserListPage(page)!
            seen.push(...p.users.map(u => u.slot))
            if (p.users.some(u => u.slot === 7)) expect(p.users.find(u => u.slot === 7)!.name).toBe("Grace")
            if (p.next === 0) break
            from = p.next
        }
        expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => i + 1))
        // no digest byte is in any page
        const page = userListPage(t, names, 1)
        const digest = Array.from(hmac("2").slice(0, 8))
        expect(Buffer.from(page).includes(Buffer.from(digest))).toBe(false)
    })

    it("checks schedule bytes for each user type", () => {
        expect(scheduleParamsError(UserType.Unrestricted, [0, 0, 0, 0, 0, 0, 0, 0])).toBeNull()
        expect(scheduleParamsError(UserType.Unrestricted, [1, 0, 0, 0, 0, 0, 0, 0])).toMatch(/none/)
        expect(scheduleParamsError(UserType.WeekDaySchedule, [0b0111110, 0x1c, 0x02, 0xfc, 0x03, 0, 0, 0])).toBeNull() // 09:00-17:00
        expect(scheduleParamsError(UserType.WeekDaySchedule, [0, 0x1c, 0x02, 0xfc, 0x03, 0, 0, 0])).toMatch(/days/)
        expect(scheduleParamsError(UserType.WeekDaySchedule, [1, 0xfc, 0x03, 0x1c, 0x02, 0, 0, 0])).toMatch(/after/)
        expect(scheduleParamsError(UserType.Expiring, [0, 0, 0, 0, 0, 0, 0, 0])).toMatch(/minutes/)
        expect(scheduleParamsError(UserType.Expiring, [10, 0, 1, 0, 0, 0, 0, 0])).toMatch(/unused/)
        expect(scheduleParamsError(UserType.YearDaySchedule, [...u32Args(1800000000), ...u32Args(1700000000)])).toMatch(/after/)
    })
})

describe("companion commands: what the lock does", () => {
    it("adds a user by hashing its code, answers the slot, and never puts the code in an effect but the hash", () => {
        const r = new Rig()
        const { effects, status, reply } = r.remote("userAdd", userAddArgs(UserType.Unrestricted, null, "52839", "Dana"))
        expect(status).toBe(STATUS_OK)
        expect(reply.type === "remoteReply" && Array.from(reply.detail as ArrayLike<number>)).toEqual([2])
        const mentions = effects.filter(e => JSON.stringify(e).includes("52839")).map(e => e.type)
        expect(mentions).toEqual(["hash"])
        expect(r.state.userCount).toBe(2)
        expect(effects.some(e => e.type === "audit" && e.kind === 12 && e.source === 7)).toBe(true)
    })

    it("refuses with a reason: weak and duplicate codes, the master slot, bad modes, an unset range", () => {
        const r = new Rig()
        expect(r.remote("userAdd", userAddArgs(0, null, "1111", "")).text).toMatch(/code: /)
        expect(r.remote("userAdd", userAddArgs(0, null, MASTER, ""))).toMatchObject({ status: STATUS_INVALID, text: "code already in use" })
        expect(r.remote("userRemove", [1])).toMatchObject({ status: STATUS_INVALID, text: "slot 1 is the master code" })
        expect(r.remote("mode", [7]).status).toBe(STATUS_INVALID)
        expect(r.remote("clock", u32Args(5)).status).toBe(STATUS_INVALID)
        expect(r.remote("auditRead", [40]).status).toBe(STATUS_INVALID)
        // refused by the adapter (revoking a key id the lock never issued): the reason is answered
        expect(r.remote("invalid", Array.from(Buffer.from("no such companion key")))).toMatchObject({ status: STATUS_INVALID, text: "no such companion key" })
        expect(r.state.userCount).toBe(1)
        expect(r.state.failures).toBe(0) // authentic: each command's own count is taken back
    })

    it("audits companion keys enrolled and revoked (key id; 0 for every key), never a key", () => {
        const r = new Rig()
        const audited = (es: Effect[]) => es.filter(e => e.type === "audit").map(e => (e.type === "audit" ? `${e.kind}/${e.source}/${e.slot}` : ""))
        expect(audited(r.send({ type: "companionEnrolled", keyId: 2 }))).toEqual(["30/7/2"])
        const one = r.remote("revoked", [2])
        expect(one.status).toBe(STATUS_OK)
        expect(audited(one.effects)).toEqual(["31/7/2"])
        expect(audited(r.remote("revoked", [0]).effects)).toEqual(["31/7/0"])
    })

    it("changes nothing on an unprovisioned lock but still answers reads", () => {
        const r = new Rig(0)
        expect(r.remote("userAdd", userAddArgs(0, null, "52839", ""))).toMatchObject({ status: STATUS_REFUSED })
        expect(r.remote("mode", [1]).status).toBe(STATUS_REFUSED)
        expect(r.remote("unlock").status).toBe(STATUS_REFUSED)
        expect(r.remote("userList", [1]).status).toBe(STATUS_OK)
        expect(r.remote("auditRead", [0]).reply).toEqual({ type: "remoteAudit", segment: 0 })
        expect(r.state.userCount).toBe(0)
    })

    it("takes back only its own count: an owner's routine command never wipes an attacker's failures", () => {
        const r = new Rig()
        for (let i = 0; i < 3; i++) for (const k of "5820#") r.send({ type: "keyDown", key: k })
        expect(r.state.failures).toBe(3)
        const { effects } = r.remote("lock")
        expect(r.state.failures).toBe(3)
        expect(effects.filter(e => e.type === "saveCounter").map(e => (e.type === "saveCounter" ? e.failures : -1))).toEqual([4, 3])
        r.remote("userList", [1])
        expect(r.state.failures).toBe(3)
        r.remote("clearLockout")
        expect(r.state.failures).toBe(0)
    })

    it("answers Busy at once when a code is being checked", () => {
        const r = new Rig()
        r.state.pending = "verify"
        const out = step(r.state, { type: "remoteAttempt" }, r.now)
        expect(out.filter(e => e.type === "remoteReply")).toEqual([{ type: "remoteReply", status: STATUS_BUSY, detail: null }])
    })
})
