// The pure core, run inside the DeviceScript VM (Buffers as digests, the VM's own number and
// string semantics). Mirrors test/core/*.test.ts. Run from a scratch copy of the project:
//   npx devs run test/firmware/core.devs.ts --test --test-self-exit
import * as ds from "@devicescript/core"
import { hmac } from "@devicescript/crypto"
import { beforeEach, test, expect, runTests } from "@devicescript/test"
import {
    appendAudit,
    auditKindName,
    AuditKind,
    AuditSource,
    Bytes,
    checkSegment,
    codeSyntaxError,
    createAuditWriter,
    createLock,
    createUserTable,
    findUser,
    formatWallTime,
    MAX_USERS,
    parseDateTime,
    parseDays,
    scheduleRefusal,
    setUser,
    setUserParam,
    startChainCheck,
    UserStatus,
    UserType,
    ctEqual,
    DEFAULT_POLICY,
    Effect,
    findSlot,
    LockEvent,
    LockState,
    lockStatus,
    LockStatus,
    lockoutDurationMs,
    Policy,
    step,
    weakCodeReason,
} from "../../src/core/index"

const DEVICE_KEY = "test-device-key"
const CODE = "7391"
const OTHER = "5820"

function digestOf(code: string): Buffer {
    return hmac(DEVICE_KEY, "sha256", code)
}

const RIG_RECOVERY = "845120379164"

function show(e: Effect): string {
    if (e.type === "saveCounter") return `saveCounter ${e.failures} ${e.served ? "true" : "false"}`
    if (e.type === "saveUsers") return `saveUsers ${e.chunk}`
    if (e.type === "saveNames") return `saveNames ${e.chunk}`
    if (e.type === "saveMode") return `saveMode ${e.mode}`
    if (e.type === "saveRecovery") return e.digest ? "saveRecovery set" : "saveRecovery none"
    if (e.type === "hash") return `hash ${e.code}`
    if (e.type === "latch") return e.locked ? "latch locked" : "latch unlocked"
    if (e.type === "sound") return `sound ${e.sound}`
    if (e.type === "audit") return `audit ${auditKindName(e.kind)} ${e.slot}`
    if (e.type === "alarm") return `alarm ${e.alarm}`
    if (e.type === "lockedOut") return "lockedOut"
    if (e.type === "issueRecovery") return "issueRecovery"
    if (e.type === "factoryReset") return "factoryReset"
    if (e.type === "log") return `log ${e.message}`
    return "?"
}

function shown(e: Effect): boolean {
    return e.type !== "log" && e.type !== "audit"
}

/** Effects but logs and audit entries, as one comparable string. */
function kinds(effects: Effect[]): string {
    const out: string[] = []
    for (const e of effects) if (shown(e)) out.push(show(e))
    return out.join(", ")
}

function last(effects: Effect[], n: number): string {
    const out: string[] = []
    for (const e of effects) if (shown(e)) out.push(show(e))
    return out.slice(out.length - n).join(", ")
}

function has(effects: Effect[], what: string): boolean {
    for (const e of effects) if (e.type !== "log" && show(e) === what) return true
    return false
}

function tableOf(codes: Bytes[]): Bytes {
    const t = createUserTable()
    for (let i = 0; i < codes.length; i++)
        if (codes[i]) setUser(t, i + 1, i === 0 ? UserType.Programming : UserType.Unrestricted, UserStatus.OccupiedEnabled, null, codes[i])
    return t
}

function repeat(s: string, n: number): string {
    let r = ""
    for (let i = 0; i < n; i++) r = r + s
    return r
}

class Rig {
    state: LockState
    now: number
    history: Effect[]
    autoDigest: boolean

    constructor(policy: Policy) {
        this.now = 1000
        this.history = []
        this.autoDigest = true
        this.state = createLock(policy, this.now)
    }

    send(event: LockEvent): Effect[] {
        const out = step(this.state, event, this.now)
        const all: Effect[] = []
        for (const e of out) {
            this.history.push(e)
            all.push(e)
        }
        if (this.autoDigest)
            for (const e of out) {
                if (e.type === "hash") {
                    const more = this.send({ type: "digest", digest: digestOf(e.code) })
                    for (const m of more) all.push(m)
                }
                if (e.type === "issueRecovery") {
                    const more = this.send({ type: "recoveryIssued", digest: digestOf("*" + RIG_RECOVERY) })
                    for (const m of more) all.push(m)
                }
            }
        return all
    }

    tick(): Effect[] {
        return this.send({ type: "tick" })
    }

    /**
     * Advances in ticks of 500 ms (the last one shorter). Coarser than the adapter's 100 ms so that
     * long waits stay within the VM's 128k-opcode budget; all deadlines are compared with >=.
     */
    wait(ms: number): Effect[] {
        const all: Effect[] = []
        const end = this.now + ms
        while (this.now < end) {
            this.now = Math.min(this.now + 500, end)
            for (const e of this.tick()) all.push(e)
        }
        return all
    }

    boot(codes: Bytes[], failures: number, served: boolean): Effect[] {
        return this.send({
            type: "boot",
            users: tableOf(codes),
            names: null,
            failures: failures,
            served: served,
            mode: 0,
            recovery: null,
        })
    }

    /**
     * Presses each key; yields to the VM after each one, since checking a code scans all 250
     * slots (about 25k opcodes) and the VM allows 128k between suspensions.
     */
    async press(keys: string): Promise<Effect[]> {
        const all: Effect[] = []
        for (let i = 0; i < keys.length; i++) {
            const key = keys.charAt(i)
            for (const e of this.send({ type: "keyDown", key: key })) all.push(e)
            this.now += 50
            for (const e of this.send({ type: "keyUp", key: key })) all.push(e)
            this.now += 50
            await ds.sleep(0)
        }
        return all
    }

    async enter(code: string): Promise<Effect[]> {
        return await this.press(code + "#")
    }

    button(): Effect[] {
        const all = this.send({ type: "buttonDown" })
        this.now += 100
        for (const e of this.send({ type: "buttonUp" })) all.push(e)
        return all
    }

    status(): LockStatus {
        return lockStatus(this.state, this.now)
    }
}

function ready(policy: Policy): Rig {
    const rig = new Rig(policy)
    rig.boot([null, digestOf(CODE), null], 0, true)
    return rig
}

function inSetup(): Rig {
    const rig = new Rig(DEFAULT_POLICY)
    rig.boot([null, null], 0, true)
    return rig
}

/**
 * Tests are registered with `test` at the root, grouped by a name prefix. `describe` is not
 * used: each describe() arms the library's autorun timer, which would run every test a second
 * time as soon as ours yields.
 */
let groupName = ""

function group(name: string, body: () => void) {
    groupName = name
    body()
}

function it(name: string, body: () => ds.AsyncVoid) {
    test(`${groupName}: ${name}`, body)
}

/**
 * The VM panics with InfiniteLoop after 128k opcodes without a suspension, counted across
 * synchronous tests too: every test starts after a sleep, on a fresh budget.
 */
beforeEach(async () => {
    await ds.sleep(1)
})

async function failN(rig: Rig, n: number) {
    for (let i = 0; i < n; i++) await rig.enter(OTHER)
}

group("lockout schedule", () => {
    it("five free failures", async () => {
        for (let f = 0; f <= 5; f++) expect(lockoutDurationMs(DEFAULT_POLICY, f)).toBe(0)
    })
    it("30 s, 60 s, 120 s, 240 s", async () => {
        expect(lockoutDurationMs(DEFAULT_POLICY, 6)).toBe(30000)
        expect(lockoutDurationMs(DEFAULT_POLICY, 7)).toBe(60000)
        expect(lockoutDurationMs(DEFAULT_POLICY, 8)).toBe(120000)
        expect(lockoutDurationMs(DEFAULT_POLICY, 9)).toBe(240000)
        expect(lockoutDurationMs(DEFAULT_POLICY, 20)).toBe(491520000)
    })
    it("capped at 7 days, huge counts", async () => {
        expect(lockoutDurationMs(DEFAULT_POLICY, 21)).toBe(604800000)
        expect(lockoutDurationMs(DEFAULT_POLICY, 1000)).toBe(604800000)
        expect(lockoutDurationMs(DEFAULT_POLICY, 1e15)).toBe(604800000)
        expect(lockoutDurationMs(DEFAULT_POLICY, -1)).toBe(0)
    })
    it("custom policy", async () => {
        const q: Policy = { ...DEFAULT_POLICY, freeFailures: 3, lockoutBaseMs: 1000, lockoutMaxMs: 5000 }
        expect(lockoutDurationMs(q, 3)).toBe(0)
        expect(lockoutDurationMs(q, 4)).toBe(1000)
        expect(lockoutDurationMs(q, 6)).toBe(4000)
        expect(lockoutDurationMs(q, 7)).toBe(5000)
    })
})

group("weak codes", () => {
    it("top 20 four-digit PINs", async () => {
        const top = ["1234", "1111", "0000", "1212", "7777", "1004", "2000", "4444", "2222", "6969",
            "9999", "3333", "5555", "6666", "1122", "1313", "8888", "4321", "2001", "1010"]
        for (const c of top) expect(weakCodeReason(c) !== null).toBe(true)
    })
    it("common 6- and 8-digit PINs", async () => {
        const long = ["123456", "654321", "111111", "000000", "123123", "121212", "112233", "159753",
            "12345678", "87654321", "11111111"]
        for (const c of long) expect(weakCodeReason(c) !== null).toBe(true)
        expect(weakCodeReason("159753")).toBe("common code")
        expect(weakCodeReason("1004")).toBe("common code")
    })
    it("all same digit", async () => {
        expect(weakCodeReason("5555")).toBe("all same digit")
        expect(weakCodeReason("3333333")).toBe("all same digit")
    })
    it("straight runs with wrap", async () => {
        for (const c of ["2345", "7890", "8901", "4321", "0987", "2109", "34567890"])
            expect(weakCodeReason(c)).toBe("straight run")
    })
    it("repeated patterns", async () => {
        for (const c of ["4747", "121212", "38383838", "123123", "19841984"]) expect(weakCodeReason(c)).toBe("repeated pattern")
    })
    it("ordinary codes pass", async () => {
        for (const c of ["7391", "5820", "2468", "1235", "194730", "38561029"]) expect(weakCodeReason(c)).toBe(null)
    })
    it("code syntax", async () => {
        expect(codeSyntaxError(DEFAULT_POLICY, "7391")).toBe(null)
        expect(codeSyntaxError(DEFAULT_POLICY, "73915204")).toBe(null)
        expect(codeSyntaxError(DEFAULT_POLICY, "739")).toBe("too short")
        expect(codeSyntaxError(DEFAULT_POLICY, "739152048")).toBe("too long")
        expect(codeSyntaxError(DEFAULT_POLICY, "73a1")).toBe("digits only")
    })
})

group("constant-time compare", () => {
    it("ctEqual on Buffers", async () => {
        const a = digestOf(CODE)
        expect(ctEqual(a, digestOf(CODE))).toBe(true)
        expect(ctEqual(a, digestOf(OTHER))).toBe(false)
        for (let i = 0; i < 32; i++) {
            const b = digestOf(CODE)
            b[i] = b[i] ^ 1
            expect(ctEqual(a, b)).toBe(false)
        }
        expect(ctEqual(a, a.slice(0, 31))).toBe(false)
        expect(ctEqual(Buffer.alloc(0), Buffer.alloc(0))).toBe(true)
    })
    it("findSlot", async () => {
        const a = digestOf(CODE)
        const b = digestOf(OTHER)
        expect(findSlot(a, [])).toBe(-1)
        expect(findSlot(a, [null, null])).toBe(-1)
        expect(findSlot(a, [b, null, a])).toBe(2)
        expect(findSlot(b, [b, null, a])).toBe(0)
        expect(findSlot(a, [b, a, null, a])).toBe(1)
        expect(findSlot(digestOf("0000"), [b, null, a])).toBe(-1)
        expect(findSlot(a, [a.slice(0, 16)])).toBe(-1)
    })
    it("an all-zero digest never matches an empty slot", async () => {
        const zero = Buffer.alloc(32)
        expect(findSlot(zero, [null])).toBe(-1)
        expect(findSlot(zero, [null, zero])).toBe(1)
    })
})

group("boot", () => {
    it("latch locked first, codes restored", async () => {
        const rig = new Rig(DEFAULT_POLICY)
        const out = rig.boot([digestOf(CODE)], 0, true)
        expect(show(out[0])).toBe("latch locked")
        expect(rig.status().setup).toBe(false)
        expect(rig.status().locked).toBe(true)
    })
    it("setup mode without codes", async () => {
        const rig = inSetup()
        expect(rig.status().setup).toBe(true)
        const rig2 = new Rig(DEFAULT_POLICY)
        rig2.boot([], 0, true)
        expect(rig2.status().setup).toBe(true)
    })
    it("unserved lockout restarts in full", async () => {
        const rig = new Rig(DEFAULT_POLICY)
        rig.now = 9000000
        rig.boot([digestOf(CODE)], 7, false)
        expect(rig.status().lockoutRemainingMs).toBe(60000)
        expect(kinds(await rig.press("1"))).toBe("sound lockout")
        rig.wait(59800)
        expect(kinds(rig.wait(100))).toBe("saveCounter 7 true")
    })
    it("served lockout does not restart", async () => {
        const rig = new Rig(DEFAULT_POLICY)
        rig.boot([digestOf(CODE)], 7, true)
        expect(rig.status().lockoutRemainingMs).toBe(0)
        expect(has(await rig.enter(CODE), "latch unlocked")).toBe(true)
    })
})

group("entry", () => {
    it("digits accumulate, star clears", async () => {
        const rig = ready(DEFAULT_POLICY)
        expect(kinds(await rig.press("739"))).toBe("sound key, sound key, sound key")
        expect(rig.status().entryLength).toBe(3)
        expect(kinds(await rig.press("*"))).toBe("sound key")
        expect(rig.status().entryLength).toBe(0)
    })
    it("entry timeout", async () => {
        const rig = ready(DEFAULT_POLICY)
        await rig.press("73")
        expect(kinds(rig.wait(9800))).toBe("")
        expect(kinds(rig.wait(100))).toBe("sound timeout")
        expect(rig.status().entryLength).toBe(0)
    })
    it("over-long entry is capped and fails without hashing", async () => {
        const rig = ready(DEFAULT_POLICY)
        await rig.press(repeat("1", 40))
        expect(rig.status().entryLength).toBe(9)
        expect(kinds(await rig.press("#"))).toBe("saveCounter 1 false, sound failure")
        expect(rig.status().failures).toBe(1)
    })
    it("over-long entry never opens", async () => {
        const rig = new Rig(DEFAULT_POLICY)
        rig.boot([digestOf("12345670")], 0, true)
        expect(has(await rig.enter("123456709"), "latch unlocked")).toBe(false)
        expect(has(await rig.enter("12345670"), "latch unlocked")).toBe(true)
    })
    it("too-short entry fails", async () => {
        const rig = ready(DEFAULT_POLICY)
        expect(last(await rig.enter("73"), 2)).toBe("saveCounter 1 false, sound failure")
    })
})

group("verification", () => {
    it("counter saved before the hash, entry cleared, keys ignored while busy", async () => {
        const rig = ready(DEFAULT_POLICY)
        rig.autoDigest = false
        await rig.press(CODE)
        expect(kinds(await rig.press("#"))).toBe(`saveCounter 1 false, hash ${CODE}`)
        expect(rig.status().busy).toBe(true)
        expect(rig.status().entryLength).toBe(0)
        expect(kinds(await rig.press("12#"))).toBe("")
        expect(kinds(rig.send({ type: "digest", digest: digestOf(CODE) }))).toBe(
            "latch unlocked, saveCounter 0 false, sound success"
        )
        expect(rig.status().busy).toBe(false)
    })
    it("right code in any slot opens", async () => {
        const rig = new Rig(DEFAULT_POLICY)
        rig.boot([null, digestOf("1111"), null, digestOf(CODE)], 2, true)
        expect(has(await rig.enter(CODE), "latch unlocked")).toBe(true)
        expect(rig.status().failures).toBe(0)
        expect(rig.status().locked).toBe(false)
    })
    it("wrong code fails and logs the count", async () => {
        const rig = ready(DEFAULT_POLICY)
        const out = await rig.enter(OTHER)
        expect(last(out, 1)).toBe("sound failure")
        expect(show(out[out.length - 1]).indexOf("failures 1") >= 0).toBe(true)
        expect(rig.status().locked).toBe(true)
    })
})

group("wrong codes to lockout", () => {
    it("sixth failure locks out for 30 s", async () => {
        const rig = ready(DEFAULT_POLICY)
        await failN(rig, 5)
        expect(rig.status().lockoutRemainingMs).toBe(0)
        expect(last(await rig.enter(OTHER), 2)).toBe("sound lockout, alarm WrongCodeEntryLimit")
        expect(rig.status().lockoutRemainingMs).toBe(29900)
    })
    it("keys refused during lockout; '#' reports LockedOut", async () => {
        const rig = ready(DEFAULT_POLICY)
        await failN(rig, 6)
        expect(kinds(await rig.enter(CODE))).toBe("sound lockout, sound lockout, sound lockout, sound lockout, sound lockout, lockedOut")
        expect(rig.status().entryLength).toBe(0)
        expect(rig.status().locked).toBe(true)
    })
    it("expiry is saved as served, then escalates", async () => {
        const rig = ready(DEFAULT_POLICY)
        await failN(rig, 6)
        expect(kinds(rig.wait(30000))).toBe("saveCounter 6 true")
        await rig.enter(OTHER)
        expect(rig.status().lockoutRemainingMs).toBe(59900)
        rig.wait(60000)
        await rig.enter(OTHER)
        expect(rig.status().lockoutRemainingMs).toBe(119900)
    })
    it("right code after lockout resets", async () => {
        const rig = ready(DEFAULT_POLICY)
        await failN(rig, 6)
        rig.wait(30000)
        expect(has(await rig.enter(CODE), "latch unlocked")).toBe(true)
        expect(rig.status().failures).toBe(0)
    })
})

group("relock", () => {
    it("auto-relock after 30 s", async () => {
        const rig = ready(DEFAULT_POLICY)
        await rig.enter(CODE)
        expect(kinds(rig.wait(29800))).toBe("")
        expect(kinds(rig.wait(100))).toBe("latch locked, sound locked")
    })
    it("auto-relock off", async () => {
        const rig = ready({ ...DEFAULT_POLICY, autoRelockMs: 0 })
        await rig.enter(CODE)
        expect(kinds(rig.wait(120000))).toBe("")
        expect(rig.status().locked).toBe(false)
    })
    it("right code while open restarts the timer", async () => {
        const rig = ready(DEFAULT_POLICY)
        await rig.enter(CODE)
        rig.wait(20000)
        await rig.enter(CODE)
        expect(kinds(rig.wait(25000))).toBe("")
        expect(kinds(rig.wait(5000))).toBe("latch locked, sound locked")
    })
    it("long press '#' locks on tick", async () => {
        const rig = ready(DEFAULT_POLICY)
        await rig.enter(CODE)
        expect(kinds(rig.send({ type: "keyDown", key: "#" }))).toBe("")
        expect(kinds(rig.wait(900))).toBe("")
        expect(kinds(rig.wait(100))).toBe("latch locked, sound locked")
        expect(kinds(rig.send({ type: "keyUp", key: "#" }))).toBe("")
    })
    it("long press '#' seen on release", async () => {
        const rig = ready(DEFAULT_POLICY)
        await rig.enter(CODE)
        rig.send({ type: "keyDown", key: "#" })
        rig.now += 1200
        expect(kinds(rig.send({ type: "keyUp", key: "#" }))).toBe("latch locked, sound locked")
    })
    it("short '#' does nothing", async () => {
        const rig = ready(DEFAULT_POLICY)
        await rig.enter(CODE)
        rig.send({ type: "keyDown", key: "#" })
        rig.now += 300
        expect(kinds(rig.send({ type: "keyUp", key: "#" }))).toBe("")
        expect(kinds(rig.wait(2000))).toBe("")
        expect(rig.status().locked).toBe(false)
    })
})

group("setup", () => {
    it("digits before the button fail", async () => {
        const rig = inSetup()
        expect(kinds(await rig.press("73"))).toBe("sound failure, sound failure")
        expect(rig.status().entryLength).toBe(0)
        expect(rig.status().setupStage).toBe("idle")
    })
    it("full flow stores the code and stays locked", async () => {
        const rig = inSetup()
        expect(kinds(rig.button())).toBe("sound step")
        expect(rig.status().setupStage).toBe("new")
        expect(last(await rig.enter(CODE), 2)).toBe(`hash ${CODE}, sound step`)
        expect(rig.status().setupStage).toBe("confirm")
        const out = await rig.enter(CODE)
        expect(last(out, 6)).toBe(
            `hash ${CODE}, saveUsers 0, saveCounter 0 true, issueRecovery, sound success, saveRecovery set`
        )
        for (const e of out)
            if (e.type === "saveUsers") expect(ctEqual((e.data as Buffer).slice(9, 17), digestOf(CODE).slice(0, 8))).toBe(true)
        expect(rig.status().setup).toBe(false)
        expect(rig.status().locked).toBe(true)
        expect(has(rig.history, "latch unlocked")).toBe(false)
        expect(has(await rig.enter(CODE), "latch unlocked")).toBe(true)
    })
    it("weak and malformed codes refused", async () => {
        const rig = inSetup()
        rig.button()
        for (const c of ["1234", "7890", "1212", "2000", "739", "739152048"]) {
            expect(last(await rig.enter(c), 1)).toBe("sound failure")
            expect(rig.status().setupStage).toBe("new")
        }
        expect(has(rig.history, "hash 1234")).toBe(false)
    })
    it("mismatch goes back to new", async () => {
        const rig = inSetup()
        rig.button()
        await rig.enter(CODE)
        expect(last(await rig.enter(OTHER), 1)).toBe("sound failure")
        expect(rig.status().setupStage).toBe("new")
        expect(rig.status().setup).toBe(true)
    })
    it("setup times out", async () => {
        const rig = inSetup()
        rig.button()
        await rig.enter(CODE)
        expect(kinds(rig.wait(120000))).toBe("sound timeout")
        expect(rig.status().setupStage).toBe("idle")
    })
    it("setup attempts never touch the counter", async () => {
        const rig = inSetup()
        rig.button()
        for (let i = 0; i < 8; i++) {
            await rig.enter(CODE)
            await rig.enter(OTHER)
        }
        expect(rig.status().failures).toBe(0)
        let saved = 0
        for (const e of rig.history) if (e.type === "saveCounter") saved++
        expect(saved).toBe(0)
    })
})

group("secrecy", () => {
    it("only the hash effect carries a code", async () => {
        const rig = inSetup()
        rig.button()
        await rig.enter(CODE)
        await rig.enter(CODE)
        await rig.enter(OTHER)
        await rig.enter("739")
        await failN(rig, 7)
        rig.wait(40000)
        await rig.enter(CODE)
        rig.wait(40000)
        let checked = 0
        for (const e of rig.history) {
            if (e.type === "hash") continue
            const text = show(e)
            expect(text.indexOf(CODE) < 0).toBe(true)
            expect(text.indexOf(OTHER) < 0).toBe(true)
            expect(text.indexOf("739") < 0).toBe(true)
            checked++
        }
        expect(checked > 20).toBe(true)
    })
})

/** A cheap distinct fake digest per slot (no HMAC: keeps each test within the VM's slice). */
function fakeDigest(slot: number): Buffer {
    const d = Buffer.alloc(8)
    for (let i = 0; i < 8; i++) d[i] = (slot * 37 + i * 11 + 5) & 255
    return d
}

group("user table", () => {
    it("findUser scans all 250 slots and finds the last one", async () => {
        const t = createUserTable()
        for (let s = 1; s <= MAX_USERS; s++) {
            setUser(t, s, UserType.Unrestricted, UserStatus.OccupiedEnabled, null, fakeDigest(s))
            if (s % 25 === 0) await ds.sleep(0)
        }
        expect(findUser(t, fakeDigest(250), 0)).toBe(250)
        expect(findUser(t, fakeDigest(1), 0)).toBe(1)
        await ds.sleep(0)
        expect(findUser(t, fakeDigest(251), 0)).toBe(0)
        expect(findUser(t, fakeDigest(250), 250)).toBe(0)
    })
    it("empty slots never match, even an all-zero digest", async () => {
        const t = createUserTable()
        expect(findUser(t, Buffer.alloc(8), 0)).toBe(0)
        setUser(t, 7, UserType.Forced, UserStatus.OccupiedDisabled, null, Buffer.alloc(8))
        expect(findUser(t, Buffer.alloc(8), 0)).toBe(7)
    })
})

group("schedule", () => {
    it("dates and week days", async () => {
        expect(parseDateTime("202502281230")).toBe(1740745800)
        expect(parseDateTime("202502291230")).toBe(-1)
        expect(formatWallTime(1740745800)).toBe("2025-02-28 12:30")
        expect(parseDays("17")).toBe(3)
        expect(parseDays("8")).toBe(-1)
    })
    it("week day window, clock unset refused", async () => {
        const t = createUserTable()
        setUser(t, 2, UserType.WeekDaySchedule, UserStatus.OccupiedEnabled, null, fakeDigest(2))
        setUserParam(t, 2, 0, 1, parseDays("5")) // Friday
        setUserParam(t, 2, 1, 2, 9 * 60)
        setUserParam(t, 2, 3, 2, 17 * 60)
        const fri = parseDateTime("202502281230") // a Friday
        expect(scheduleRefusal(t, 2, true, fri)).toBe(AuditKind.None)
        expect(scheduleRefusal(t, 2, true, fri + 6 * 3600)).toBe(AuditKind.RestrictedSchedule)
        expect(scheduleRefusal(t, 2, true, fri + 86400)).toBe(AuditKind.RestrictedSchedule)
        expect(scheduleRefusal(t, 2, false, fri)).toBe(AuditKind.RestrictedClock)
    })
})

group("audit chain", () => {
    it("30 entries across two segments check out; an altered one does not", async () => {
        const key = "audit-key"
        const mac = (m: Bytes) => hmac(key, "sha256", m as Buffer)
        const w = createAuditWriter()
        const first = appendAudit(w, 0, AuditKind.PowerOn, AuditSource.Unspecified, 0, mac)
        for (let i = 1; i < 24; i++) appendAudit(w, 1740745800 + i, AuditKind.Unlock, AuditSource.Keypad, 2, mac)
        let second: Bytes = null
        for (let i = 24; i < 30; i++) second = appendAudit(w, 1740745800 + i, AuditKind.InvalidCredential, AuditSource.Keypad, 0, mac)
        const c = startChainCheck()
        checkSegment(c, first, mac)
        checkSegment(c, second, mac)
        expect(c.brokenAt).toBe(-1)
        expect(c.entries).toBe(30)
        second[4 + 3 * 8 + 5] = 9 // entry 27: another slot
        const c2 = startChainCheck()
        checkSegment(c2, first, mac)
        checkSegment(c2, second, mac)
        expect(c2.brokenAt).toBe(28)
    })
})

function provisioned(): Rig {
    const rig = new Rig(DEFAULT_POLICY)
    rig.boot([digestOf(CODE)], 0, true)
    return rig
}

group("menu", () => {
    it("master * # opens it; a user is added and opens", async () => {
        const rig = provisioned()
        expect(last(await rig.press(CODE + "*#"), 1)).toBe("sound menu")
        expect(rig.status().menu).toBe("top")
        await rig.enter("1")
        await rig.enter("0")
        await rig.enter(OTHER)
        expect(last(await rig.enter(OTHER), 2)).toBe("saveUsers 0, sound success")
        await rig.press("*")
        expect(rig.status().menu).toBe("")
        expect(has(await rig.enter(OTHER), "latch unlocked")).toBe(true)
    })
    it("a wrong master counts as a failure", async () => {
        const rig = provisioned()
        expect(last(await rig.press(OTHER + "*#"), 1)).toBe("sound failure")
        expect(rig.status().failures).toBe(1)
        expect(rig.status().menu).toBe("")
    })
})

group("recovery and reset", () => {
    it("the recovery code opens once, then never", async () => {
        const rig = new Rig(DEFAULT_POLICY)
        rig.send({
            type: "boot",
            users: tableOf([digestOf(CODE)]),
            names: null,
            failures: 0,
            served: true,
            mode: 0,
            recovery: digestOf("*" + RIG_RECOVERY),
        })
        expect(has(await rig.press("*" + RIG_RECOVERY + "#"), "latch unlocked")).toBe(true)
        expect(rig.status().setupStage).toBe("new")
        await rig.press("*")
        rig.wait(130000)
        expect(has(await rig.press("*" + RIG_RECOVERY + "#"), "latch unlocked")).toBe(false)
        expect(rig.status().failures).toBe(1)
    })
    it("holding the program button 10 s wipes everything", async () => {
        const rig = provisioned()
        rig.send({ type: "buttonDown" })
        expect(kinds(rig.wait(9900))).toBe("")
        expect(kinds(rig.wait(200))).toBe("latch locked, factoryReset, alarm LockFactoryReset, sound reset")
        expect(rig.status().setup).toBe(true)
        expect(has(await rig.enter(CODE), "latch unlocked")).toBe(false)
    })
})

await runTests()
// leave at once: otherwise the library's own autorun would run every test a second time
ds.restart()
