/**
 * Deterministic fuzzers (same seed, same run) shared by `npm run bench:fuzz` and `npm test`:
 *  - key storms through the real core, driven like the firmware drives it (bench/lib/corelock.ts),
 *    with an oracle that knows the enrolled codes and what was typed;
 *  - malformed devs.json documents through src/config/profile.ts (validateProfile, mergeProfile);
 *  - random and mutated companion protocol 2 frames, read as the firmware reads them
 *    (src/core/frames.ts) and authenticated by its own rules (signed challenges, single use,
 *    AES-256-CCM), the authentic ones then fed to the core as a remote attempt.
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from "node:crypto"
import { performance } from "node:perf_hooks"
import { mergeProfile, ProfileError, validateProfile } from "../../src/config/profile"
import {
    CHALLENGE_BYTES,
    CHALLENGE_SIGNED_BYTES,
    challengeBody,
    challengeFresh,
    checkOpened,
    CMD_CLEAR_LOCKOUT,
    CMD_LOCK,
    CMD_LOST_PHONE,
    CMD_REVOKE,
    CMD_UNLOCK,
    commandFrame,
    commandPlain,
    Companion,
    companionIndex,
    DIR_COMMAND,
    FRAME_COMMAND,
    frameIv,
    newNonceWindow,
    NonceWindow,
    nonceUnused,
    parseChallenge,
    parseCommandFrame,
    parseCommandPlain,
    parseFrame,
    PROTOCOL_VERSION,
    RemoteAction,
    STATUS_OK,
    STATUS_REFUSED,
    useNonce,
    TAG_BYTES,
    lockStatus,
    Policy,
} from "../../src/core/index"
import { digestOf, weakCodeReason } from "./adapters"
import { CoreLock } from "./corelock"
import { Rng } from "./stats"

/** A step slower than this counts as a hang (the firmware has ~50k VM opcodes per slice). */
export const HANG_MS = 50
/** A single frame slower than this is a hang (a frame's work is bounded: one AES-CCM, a few checks). */
export const FRAME_HANG_MS = 1000

export interface FuzzFinding {
    kind: string
    seed: number
    detail: string
}

export interface StormStats {
    storms: number
    keys: number
    events: number
    unlocks: number
    crashes: number
    hangs: number
    unauthorised_unlocks: number
    invariant_violations: number
    /** Slow steps that did not repeat when their storm was run again (pauses of a shared machine). */
    slow_steps_not_repeated: number
    findings: FuzzFinding[]
}

const KEYS = "0123456789*#"
const BAD_KEYS = ["A", "", "##", "10", " ", "#*", "٣", "\u0000", "00000"]

function acceptableCode(rng: Rng, minLen: number, maxLen: number): string {
    for (;;) {
        const c = rng.digits(rng.range(minLen, maxLen))
        if (weakCodeReason(c) === null) return c
    }
}

/**
 * `count` random key storms (plus power cuts, ticks, time jumps, forged digests and forged remote
 * results) against the real core. An unlock is authorised only when the digest that opened it is
 * the HMAC of an enrolled code, the keys typed just before that '#' spell that code, and the
 * keypad was not locked out at that '#'.
 */
export function keyStorms(count: number, seed: number, policy: Policy, key: Uint8Array): StormStats {
    const st: StormStats = { storms: 0, keys: 0, events: 0, unlocks: 0, crashes: 0, hangs: 0, unauthorised_unlocks: 0, invariant_violations: 0, slow_steps_not_repeated: 0, findings: [] }
    const note = (kind: string, s: number, detail: string) => {
        if (st.findings.length < 20) st.findings.push({ kind, seed: s, detail })
    }
    /** Storms with a step slower than HANG_MS; re-run afterwards to tell a hang from a pause of the machine. */
    const slow: number[] = []
    const runStorm = (s: number, st: StormStats, slow: number[]) => {
            const stormSeed = (seed * 1_000_003 + s) >>> 0
            const rng = new Rng(stormSeed)
            const codes = Array.from({ length: rng.range(1, 3) }, () => acceptableCode(rng, policy.minCodeLength, policy.maxCodeLength))
            let now = 1000 + rng.int(1e6)
            let lock: CoreLock
            try {
                lock = new CoreLock({ policy, key, codes, now })
            } catch (e) {
                st.crashes++
                note("crash", stormSeed, `boot: ${(e as Error).message}`)
                return
            }
            st.storms++
            let typed = "" // digits since the last '*', '#', boot or entry timeout, as the oracle sees them
            let lastKeyAt = now
            let seenUnlocks = 0
            const n = rng.range(10, 60)
            const send = (ev: Parameters<CoreLock["send"]>[0]) => {
                const lockedOut = lock.lockoutRemainingMs(now) > 0
                const setup = lockStatus(lock.state, now).setup
                const failuresBefore = lock.state.failures
                const pendingBefore = lock.state.pending
                const t0 = performance.now()
                let fx
                try {
                    fx = lock.send(ev, now)
                } catch (e) {
                    st.crashes++
                    note("crash", stormSeed, `${JSON.stringify(ev)}: ${(e as Error).stack?.split("\n").slice(0, 3).join(" | ")}`)
                    return false
                }
                const dt = performance.now() - t0
                if (dt > HANG_MS && !slow.includes(s)) slow.push(s)
                st.events++
                // invariant: a code is hashed for verification only after the counter +1 is saved
                const hashAt = fx.findIndex(e => e.type === "hash")
                if (hashAt >= 0 && !setup && pendingBefore === "") {
                    const save = fx.findIndex(e => e.type === "saveCounter" && e.failures === failuresBefore + 1 && !e.served)
                    if (save < 0 || save > hashAt) {
                        st.invariant_violations++
                        note("order", stormSeed, "hash before the counter was saved")
                    }
                }
                // oracle: every new unlock must be authorised
                while (seenUnlocks < lock.unlocks.length) {
                    const u = lock.unlocks[seenUnlocks++]
                    st.unlocks++
                    const ok = u.code !== "" && codes.includes(u.code) && ev.type === "keyDown" && ev.key === "#" && typed.endsWith(u.code) && !lockedOut && !setup
                    if (!ok) {
                        st.unauthorised_unlocks++
                        note("unauthorised", stormSeed, `unlock by "${u.code}" after typing "${typed}" (${ev.type}, locked out ${lockedOut})`)
                    }
                }
                return true
            }
            const press = (k: string) => {
                if (now - lastKeyAt >= policy.entryTimeoutMs) typed = ""
                if (k.length === 1 && k >= "0" && k <= "9") {
                    typed += k
                    lastKeyAt = now
                }
                st.keys++
                send({ type: "keyDown", key: k })
                if (k === "*") typed = ""
                if (k === "#") typed = ""
                if (rng.chance(0.8)) {
                    now += rng.int(120)
                    send({ type: "keyUp", key: k })
                }
                now += rng.int(400)
            }
            for (let i = 0; i < n; i++) {
                const r = rng.next()
                if (r < 0.45) press(KEYS[rng.int(12)])
                else if (r < 0.55) {
                    // a whole code, right or nearly right
                    let c = rng.pick(codes)
                    const kind = rng.int(5)
                    if (kind === 1) c = c.slice(0, -1) + String((Number(c[c.length - 1]) + 1) % 10)
                    else if (kind === 2) c = c.slice(0, rng.range(0, c.length - 1))
                    else if (kind === 3) c = c + rng.digits(rng.range(1, 3))
                    else if (kind === 4) c = rng.digits(rng.range(1, 3)) + c
                    for (const k of c + "#") press(k)
                } else if (r < 0.6) {
                    st.keys++
                    send({ type: "keyDown", key: rng.pick(BAD_KEYS) })
                } else if (r < 0.68) send({ type: rng.chance(0.5) ? "buttonDown" : "buttonUp" })
                else if (r < 0.76) {
                    now += rng.chance(0.7) ? rng.int(2000) : rng.int(policy.lockoutMaxMs / 1000) * 1000
                    send({ type: "tick" })
                } else if (r < 0.8) {
                    // power cut and boot from what the flash kept
                    lock.powerCut()
                    now += rng.int(5000)
                    typed = ""
                    try {
                        lock.boot(now)
                    } catch (e) {
                        st.crashes++
                        note("crash", stormSeed, `boot: ${(e as Error).message}`)
                    }
                } else if (r < 0.85) {
                    // a forged digest nobody asked for: a stored one, or garbage
                    const d = rng.chance(0.5) ? digestOf(key, rng.pick(codes)) : Buffer.from(rng.bytes(rng.chance(0.9) ? 32 : rng.int(40)))
                    send({ type: "digest", digest: d })
                } else if (r < 0.9) {
                    // a forged "authentic unlock" result nobody asked for
                    send({ type: "remoteResult", ok: true, action: rng.pick(["unlock", "lock", "clearLockout", "none"] as RemoteAction[]), keyId: rng.int(256) })
                } else if (r < 0.95) {
                    // a companion frame that does not authenticate (the firmware answers ok: false)
                    send({ type: "remoteAttempt" })
                } else {
                    // a power cut while a code is being checked (the digest never arrives)
                    lock.dropNextDigest = true
                    for (const k of rng.pick(codes) + "#") press(k)
                    lock.dropNextDigest = false
                    lock.powerCut()
                    now += rng.int(3000)
                    typed = ""
                    lock.boot(now)
                }
            }
    }
    for (let s = 0; s < count; s++) runStorm(s, st, slow)
    // a slow step on a shared machine may be a pause of the process: it is a hang only if the same
    // (deterministic) storm is slow again in each of 3 reruns
    for (const s of slow.slice(0, 20)) {
        let again = 0
        for (let k = 0; k < 3; k++) {
            const probe: StormStats = { storms: 0, keys: 0, events: 0, unlocks: 0, crashes: 0, hangs: 0, unauthorised_unlocks: 0, invariant_violations: 0, findings: [], slow_steps_not_repeated: 0 }
            const slow2: number[] = []
            runStorm(s, probe, slow2)
            if (slow2.length) again++
        }
        if (again === 3) {
            st.hangs++
            note("hang", s, `storm ${s}: a step over ${HANG_MS} ms in every rerun`)
        } else st.slow_steps_not_repeated++
    }
    return st
}

/* ------------------------------------------------------------------ devs.json */

export interface ProfileStats {
    cases: number
    rejected: number
    accepted: number
    crashes: number
    accepted_invalid: number
    findings: FuzzFinding[]
}

const WEIRD: unknown[] = [
    null, true, false, 0, -0, -1, 1.5, 1e308, -1e308, NaN, Infinity, -Infinity, 2 ** 53, "", "0", "30", "abc", "123456789*0#",
    [], [1, 2, 3, 4], [13, 12, 14, 27], {}, { a: 1 }, "x".repeat(10000), [[[[]]]],
]

function mutate(rng: Rng, v: unknown, depth = 0): unknown {
    const r = rng.next()
    if (depth > 6 || r < 0.15) return rng.pick(WEIRD)
    if (Array.isArray(v)) {
        const a = v.map(x => (rng.chance(0.3) ? mutate(rng, x, depth + 1) : x))
        if (rng.chance(0.2)) a.push(rng.pick(WEIRD))
        if (rng.chance(0.2)) a.pop()
        return a
    }
    if (v !== null && typeof v === "object") {
        const o: Record<string, unknown> = {}
        for (const [k, x] of Object.entries(v)) {
            const q = rng.next()
            if (q < 0.08) continue // drop the field
            if (q < 0.12) o[k + rng.pick(["", "s", "_", "X"])] = x // misspell it
            else o[k] = rng.chance(0.35) ? mutate(rng, x, depth + 1) : x
        }
        if (rng.chance(0.05)) o[rng.pick(["__proto__", "constructor", "toString", "unknown", "hasOwnProperty"])] = rng.pick(WEIRD)
        return o
    }
    if (typeof v === "number") return rng.pick([v + 1, v - 1, -v, v * 1000, v / 3, Math.floor(v / 2), rng.pick(WEIRD)])
    if (typeof v === "string") return rng.pick([v.slice(1), v + v[0], v.split("").reverse().join(""), rng.pick(WEIRD)])
    return rng.pick(WEIRD)
}

/** Mutates text bytes (for the JSON.parse path of loading a devs.json file). */
function mutateText(rng: Rng, text: string): string {
    const b = Buffer.from(text)
    const n = rng.range(1, 6)
    for (let i = 0; i < n; i++) {
        const at = rng.int(b.length)
        const q = rng.int(3)
        if (q === 0) b[at] = rng.int(256)
        else if (q === 1) b[at] = b[rng.int(b.length)]
        else b[at] ^= 1 << rng.int(8)
    }
    return b.toString("utf8").slice(0, rng.chance(0.1) ? rng.int(text.length) : undefined)
}

function sane(p: ReturnType<typeof validateProfile>): string | null {
    const pins = [...p.board.pins.keypadRows, ...p.board.pins.keypadColumns, p.board.pins.servo, p.board.pins.buzzer, p.board.pins.programButton]
    if (p.board.pins.doorSensor !== undefined) pins.push(p.board.pins.doorSensor)
    if (new Set(pins).size !== pins.length) return "duplicate GPIO accepted"
    if (pins.some(x => !Number.isInteger(x) || x < 0 || x > 39)) return "bad GPIO accepted"
    if ([...p.keypad.labels].sort().join("") !== [..."0123456789*#"].sort().join("")) return "bad keypad labels accepted"
    if (!(p.codes.minLength >= 4 && p.codes.maxLength <= 12 && p.codes.minLength <= p.codes.maxLength)) return "bad code lengths accepted"
    if (!(p.lockout.baseSeconds > 0 && p.lockout.maxSeconds >= p.lockout.baseSeconds)) return "bad lockout accepted"
    for (const v of [p.latch.lockedAngle, p.latch.unlockedAngle, p.timing.autoRelockSeconds, p.timing.entryTimeoutSeconds]) if (!isFinite(v)) return "non-finite number accepted"
    try {
        validateProfile(JSON.parse(JSON.stringify(p)))
    } catch (e) {
        return `accepted profile does not validate again: ${(e as Error).message}`
    }
    return null
}

/** `count` malformed devs.json documents; each must validate sanely or throw ProfileError. */
export function profileFuzz(count: number, seed: number, base: unknown): ProfileStats {
    const st: ProfileStats = { cases: 0, rejected: 0, accepted: 0, crashes: 0, accepted_invalid: 0, findings: [] }
    const rng = new Rng(seed)
    const text = JSON.stringify(base, null, 2)
    for (let i = 0; i < count; i++) {
        st.cases++
        const mode = rng.int(4)
        try {
            let doc: unknown
            if (mode === 0) {
                try {
                    doc = JSON.parse(mutateText(rng, text))
                } catch {
                    st.rejected++ // not JSON: the loader reports it (host/profile-io.ts)
                    continue
                }
            } else if (mode === 1) doc = mergeProfile(base, mutate(rng, base)) // an override file laid over devs.json
            else if (mode === 2) doc = rng.chance(0.1) ? rng.pick(WEIRD) : mutate(rng, base)
            else doc = JSON.parse(JSON.stringify(mutate(rng, base))) // what a file can hold (no NaN, no undefined)
            const p = validateProfile(doc)
            st.accepted++
            const why = sane(p)
            if (why) {
                st.accepted_invalid++
                if (st.findings.length < 20) st.findings.push({ kind: "accepted", seed: i, detail: why })
            }
        } catch (e) {
            if (e instanceof ProfileError && e.problems.length > 0) st.rejected++
            else {
                st.crashes++
                if (st.findings.length < 20) st.findings.push({ kind: "crash", seed: i, detail: (e as Error).stack?.split("\n").slice(0, 3).join(" | ") ?? String(e) })
            }
        }
    }
    return st
}

/* ------------------------------------------------------------------ lock service frames */

export interface FrameStats {
    frames: number
    decoded: number
    accepted: number
    genuine: number
    /** Frames slower than HANG_MS but under FRAME_HANG_MS (pauses of a shared machine). */
    slow_frames: number
    crashes: number
    hangs: number
    unauthorised_unlocks: number
    findings: FuzzFinding[]
}

/** A protocol 2 command frame, as companion/protocol.ts seals it. */
export function sealFrame(key: Buffer, keyId: number, counter: number, challenge: Uint8Array, command: number, args: number[]): Buffer {
    const plain = Buffer.from(commandPlain(command, keyId, counter, args))
    const c = createCipheriv("aes-256-ccm", key, Buffer.from(frameIv(challenge, DIR_COMMAND)), { authTagLength: TAG_BYTES })
    return Buffer.from(commandFrame(keyId, challenge, Buffer.concat([c.update(plain), c.final(), c.getAuthTag()])))
}

/** The firmware's handleFrame and authenticate (src/firmware/remote*.ts) with the real core rules and Node's crypto. */
export class ServiceModel {
    companions: Companion[] = []
    private secret: Buffer
    private boot: Buffer
    private seq = 0
    private windows = new Map<number, NonceWindow>()
    constructor(rng: Rng) {
        this.secret = Buffer.from(rng.bytes(32))
        this.boot = Buffer.from(rng.bytes(8))
    }
    private mac(keyId: number, body: Uint8Array): Buffer {
        return createHmac("sha256", this.secret).update(Buffer.from([keyId & 0xff])).update(body).digest().subarray(0, CHALLENGE_BYTES - CHALLENGE_SIGNED_BYTES)
    }
    issueNonce(keyId: number, now: number): Uint8Array {
        const body = Buffer.from(challengeBody(++this.seq, this.boot, now >>> 0))
        return Buffer.concat([body, this.mac(keyId, body)])
    }
    check(frame: Uint8Array, now: number): { status: number; action: RemoteAction; keyId: number } {
        const refused = { status: STATUS_REFUSED, action: "none" as RemoteAction, keyId: 0 }
        const f = parseFrame(frame)
        if (!f || f.version !== PROTOCOL_VERSION || f.kind !== FRAME_COMMAND) return refused
        const cf = parseCommandFrame(f.body)
        if (!cf) return refused
        const ch = parseChallenge(cf.challenge)
        const challenge = Buffer.from(cf.challenge)
        const macOk = timingSafeEqual(this.mac(cf.keyId, challenge.subarray(0, CHALLENGE_SIGNED_BYTES)), challenge.subarray(CHALLENGE_SIGNED_BYTES))
        const i = companionIndex(this.companions, cf.keyId)
        const c = i >= 0 && !this.companions[i].revoked ? this.companions[i] : null
        if (!c || !macOk || !ch || !challengeFresh(ch.at, now)) return refused
        let plain: Buffer | null = null
        try {
            const sealed = Buffer.from(cf.sealed)
            const d = createDecipheriv("aes-256-ccm", c.key as Buffer, Buffer.from(frameIv(cf.challenge, DIR_COMMAND)), { authTagLength: TAG_BYTES })
            d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
            plain = Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG_BYTES)), d.final()])
        } catch {
            plain = null
        }
        if (!plain) return refused
        const w = this.windows.get(cf.keyId) ?? newNonceWindow()
        this.windows.set(cf.keyId, w)
        if (!nonceUnused(w, ch.seq)) return refused
        useNonce(w, ch.seq)
        const cmd = parseCommandPlain(plain)
        if (!cmd || !checkOpened(cmd.command, cmd.keyId, cf.keyId, cmd.counter, c.counter, cmd.rest.length)) return refused
        c.counter = cmd.counter
        const action: RemoteAction = cmd.command === CMD_UNLOCK ? "unlock" : cmd.command === CMD_LOCK ? "lock" : cmd.command === CMD_CLEAR_LOCKOUT ? "clearLockout" : "none"
        if (cmd.command === CMD_REVOKE || cmd.command === CMD_LOST_PHONE) {
            // keep the fuzz going with live keys: a revocation is accepted but not carried out here
        }
        return { status: STATUS_OK, action, keyId: cf.keyId }
    }
}

/**
 * `count` companion protocol 2 frames: random payloads, and mutations / replays of genuine
 * sealed frames of two enrolled companions. A frame that is accepted must be byte-for-byte a
 * genuine frame sealed for an unused challenge and a fresh counter; an unlock that follows
 * anything else is unauthorised.
 */
export function frameFuzz(count: number, seed: number, policy: Policy, key: Uint8Array): FrameStats {
    const st: FrameStats = { frames: 0, decoded: 0, accepted: 0, genuine: 0, slow_frames: 0, crashes: 0, hangs: 0, unauthorised_unlocks: 0, findings: [] }
    const rng = new Rng(seed)
    const model = new ServiceModel(rng)
    const keys = [Buffer.from(rng.bytes(32)), Buffer.from(rng.bytes(32))]
    model.companions = [
        { id: 1, key: keys[0], counter: 0, revoked: false },
        { id: 2, key: keys[1], counter: 0, revoked: false },
    ]
    let now = 10_000
    const lock = new CoreLock({ policy, key, codes: ["4719"], now })
    const genuineCounter = [0, 0]
    let lastVerdict = { ok: false, action: "none" as RemoteAction, keyId: 0 }
    lock.remoteCheck = () => lastVerdict
    const recent: Buffer[] = [] // genuine frames already sent (for replays)
    let base: Buffer | null = null
    let baseUsed = false
    for (let i = 0; i < count; i++) {
        now += 1 + rng.int(50)
        let payload: Uint8Array
        let genuine = false
        const kind = rng.next()
        if (kind < 0.5) {
            payload = rng.bytes(rng.int(rng.chance(0.8) ? 80 : 240))
        } else if (kind < 0.55) {
            // genuine: sealed for the current nonce with a fresh counter
            const who = rng.int(2)
            const counter = ++genuineCounter[who]
            payload = sealFrame(keys[who], who + 1, counter, model.issueNonce(who + 1, now), rng.pick([CMD_UNLOCK, CMD_LOCK, CMD_CLEAR_LOCKOUT]), [])
            genuine = true
            recent.push(Buffer.from(payload))
            if (recent.length > 50) recent.shift()
        } else if (kind < 0.6 && recent.length) {
            payload = rng.pick(recent) // a replay
        } else {
            // a mutation of a genuine frame (the base is re-sealed every few frames)
            if (!base || rng.chance(0.15)) {
                const who = rng.int(2)
                const counter = genuineCounter[who] + 1 + rng.int(3)
                base = sealFrame(keys[who], who + 1, counter, model.issueNonce(who + 1, now), CMD_UNLOCK, [])
                baseUsed = false
            }
            const m = Buffer.from(base)
            const op = rng.int(6)
            if (op === 3) payload = m.subarray(0, rng.int(m.length))
            else {
                if (op === 0) m[rng.int(m.length)] ^= 1 << rng.int(8)
                else if (op === 1) m[3 + rng.int(CHALLENGE_BYTES)] = rng.int(256) // the challenge
                else if (op === 2) m[2] = rng.int(256) // key id
                else if (op === 4) m[rng.int(3)] = rng.int(256) // version, kind
                else m[m.length - 1 - rng.int(16)] ^= 0xff // the tag
                payload = m
            }
            // a mutation that changes nothing is genuine the first time (its challenge is then spent)
            genuine = Buffer.compare(Buffer.from(payload), base) === 0 && !baseUsed
        }
        st.frames++
        const t0 = performance.now()
        try {
            st.decoded++
            const v = model.check(payload, now)
            if (v.status === STATUS_OK && base && Buffer.compare(Buffer.from(payload), base) === 0) baseUsed = true
            const isGenuine = genuine && v.status === STATUS_OK
            if (v.status === STATUS_OK) {
                st.accepted++
                if (!genuine) {
                    st.unauthorised_unlocks++
                    if (st.findings.length < 20) st.findings.push({ kind: "accepted forged frame", seed: i, detail: Buffer.from(payload).toString("hex") })
                }
            }
            if (isGenuine) st.genuine++
            // only an authentic frame reaches the lock's queue (src/firmware/remote-requests.ts)
            if (v.status === STATUS_OK) {
                lastVerdict = { ok: true, action: v.action, keyId: v.keyId }
                const before = lock.remoteUnlocks
                lock.send({ type: "remoteAttempt" }, now)
                if (lock.remoteUnlocks > before && !isGenuine) {
                    st.unauthorised_unlocks++
                    if (st.findings.length < 20) st.findings.push({ kind: "unlock", seed: i, detail: "unlock after a frame that was not genuine" })
                }
            }
            // relock so the next unlock is visible
            if (lock.latchOpen) lock.send({ type: "tick" }, (now += policy.autoRelockMs + 1))
        } catch (e) {
            st.crashes++
            if (st.findings.length < 20) st.findings.push({ kind: "crash", seed: i, detail: (e as Error).stack?.split("\n").slice(0, 3).join(" | ") ?? String(e) })
        }
        const dt = performance.now() - t0
        // frames are checked in one stateful sequence, so a slow one cannot be rerun alone: a frame
        // counts as a hang past FRAME_HANG_MS (a loop), and slower-than-HANG_MS ones are reported
        if (dt > FRAME_HANG_MS) st.hangs++
        else if (dt > HANG_MS) st.slow_frames++
    }
    return st
}
