/**
 * Deterministic fuzzers (same seed, same run) shared by `npm run bench:fuzz` and `npm test`:
 *  - key storms through the real core, driven like the firmware drives it (bench/lib/corelock.ts),
 *    with an oracle that knows the enrolled codes and what was typed;
 *  - malformed devs.json documents through src/config/profile.ts (validateProfile, mergeProfile);
 *  - random and mutated frames for the lock service's `secured` command, decoded as the firmware
 *    decodes them (u32 counter, u8 key id, bytes) and checked with the firmware's own rules
 *    (src/core/remote.ts) and AES-256-CCM, then fed to the core as a remote attempt.
 */
import { createCipheriv, createDecipheriv } from "node:crypto"
import { performance } from "node:perf_hooks"
import { jdpack, jdunpack } from "jacdac-ts"
import { mergeProfile, ProfileError, validateProfile } from "../../src/config/profile"
import {
    checkCommand,
    checkEnvelope,
    CMD_CLEAR_LOCKOUT,
    CMD_LOCK,
    CMD_LOST_PHONE,
    CMD_REVOKE,
    CMD_UNLOCK,
    commandBytes,
    Companion,
    companionIndex,
    ivBytes,
    parseCommand,
    RemoteAction,
    STATUS_BAD_TAG,
    STATUS_OK,
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

export function sealFrame(key: Buffer, keyId: number, counter: number, nonce: Uint8Array, command: number, args: number[]): Buffer {
    const plain = Buffer.from(commandBytes(command, keyId, nonce, counter, args))
    const c = createCipheriv("aes-256-ccm", key, Buffer.from(ivBytes(keyId, counter)), { authTagLength: TAG_BYTES })
    return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()])
}

/** The firmware's checkSealed (src/firmware/remote.ts) with the real core rules and Node's AES-256-CCM. */
export class ServiceModel {
    companions: Companion[] = []
    nonce: Uint8Array | null = null
    nonceAt = 0
    issueNonce(rng: Rng, now: number): Uint8Array {
        this.nonce = rng.bytes(16)
        this.nonceAt = now
        return this.nonce
    }
    check(counter: number, keyId: number, sealed: Uint8Array, now: number): { status: number; action: RemoteAction } {
        const challenge = this.nonce
        const challengeAt = this.nonceAt
        this.nonce = null
        let status = checkEnvelope(this.companions, keyId, counter, sealed ? sealed.length : 0)
        if (status !== STATUS_OK) return { status, action: "none" }
        const c = this.companions[companionIndex(this.companions, keyId)]
        let plain: Buffer | null = null
        try {
            const ct = Buffer.from(sealed.subarray(0, sealed.length - TAG_BYTES))
            const d = createDecipheriv("aes-256-ccm", c.key as Buffer, Buffer.from(ivBytes(keyId, counter)), { authTagLength: TAG_BYTES })
            d.setAuthTag(Buffer.from(sealed.subarray(sealed.length - TAG_BYTES)))
            plain = Buffer.concat([d.update(ct), d.final()])
        } catch {
            plain = null
        }
        if (!plain) return { status: STATUS_BAD_TAG, action: "none" }
        const cmd = parseCommand(plain)
        status = checkCommand(cmd!, keyId, counter, challenge, challengeAt, now)
        if (status !== STATUS_OK) return { status, action: "none" }
        c.counter = counter
        const action: RemoteAction = cmd!.command === CMD_UNLOCK ? "unlock" : cmd!.command === CMD_LOCK ? "lock" : cmd!.command === CMD_CLEAR_LOCKOUT ? "clearLockout" : "none"
        if (cmd!.command === CMD_REVOKE || cmd!.command === CMD_LOST_PHONE) {
            // keep the fuzz going with live keys: a revocation is accepted but not carried out here
        }
        return { status: STATUS_OK, action }
    }
}

/**
 * `count` frames for the `secured` command (jdpack "u32 u8 b" as services/latchkey.md defines):
 * random payloads, and mutations / replays of genuine sealed frames of two enrolled companions.
 * A frame that is accepted must be byte-for-byte a genuine frame sealed for the current nonce and
 * a fresh counter; an unlock that follows anything else is unauthorised.
 */
export function frameFuzz(count: number, seed: number, policy: Policy, key: Uint8Array): FrameStats {
    const st: FrameStats = { frames: 0, decoded: 0, accepted: 0, genuine: 0, slow_frames: 0, crashes: 0, hangs: 0, unauthorised_unlocks: 0, findings: [] }
    const rng = new Rng(seed)
    const model = new ServiceModel()
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
    let sealedFor: Uint8Array | null = null
    for (let i = 0; i < count; i++) {
        now += 1 + rng.int(50)
        let payload: Uint8Array
        let genuine = false
        const nonce = rng.chance(0.9) ? model.issueNonce(rng, now) : model.nonce ?? model.issueNonce(rng, now)
        const kind = rng.next()
        if (kind < 0.5) {
            payload = rng.bytes(rng.int(rng.chance(0.8) ? 80 : 240))
        } else if (kind < 0.55) {
            // genuine: sealed for the current nonce with a fresh counter
            const who = rng.int(2)
            const counter = ++genuineCounter[who]
            const sealed = sealFrame(keys[who], who + 1, counter, nonce, rng.pick([CMD_UNLOCK, CMD_LOCK, CMD_CLEAR_LOCKOUT]), [])
            payload = Buffer.from(jdpack("u32 u8 b", [counter, who + 1, sealed]))
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
                base = Buffer.from(jdpack("u32 u8 b", [counter, who + 1, sealFrame(keys[who], who + 1, counter, nonce, CMD_UNLOCK, [])]))
                sealedFor = nonce
            }
            const m = Buffer.from(base)
            const op = rng.int(6)
            if (op === 3) payload = m.subarray(0, rng.int(m.length))
            else {
                if (op === 0) m[rng.int(m.length)] ^= 1 << rng.int(8)
                else if (op === 1) m[rng.int(4)] = rng.int(256) // counter
                else if (op === 2) m[4] = rng.int(256) // key id
                else if (op === 4) m[5 + rng.int(m.length - 5)] = rng.int(256)
                else m.writeUInt32LE(0, 0)
                payload = m
            }
            // a mutation that changes nothing, sealed for the nonce still outstanding, is genuine
            genuine = Buffer.compare(Buffer.from(payload), base) === 0 && sealedFor === nonce
        }
        st.frames++
        const t0 = performance.now()
        try {
            // the service's decoder: u32 counter, u8 key id, bytes (a short frame decodes to zeros/empty)
            let counter = 0
            let keyId = 0
            let sealed: Uint8Array = new Uint8Array(0)
            try {
                ;[counter, keyId, sealed] = jdunpack<[number, number, Uint8Array]>(payload, "u32 u8 b")
                st.decoded++
            } catch {
                continue // the server drops frames it cannot unpack
            }
            const v = model.check(counter, keyId, sealed ?? new Uint8Array(0), now)
            const isGenuine = genuine && v.status === STATUS_OK
            if (v.status === STATUS_OK) {
                st.accepted++
                if (!genuine) {
                    st.unauthorised_unlocks++
                    if (st.findings.length < 20) st.findings.push({ kind: "accepted forged frame", seed: i, detail: Buffer.from(payload).toString("hex") })
                }
            }
            if (isGenuine) st.genuine++
            lastVerdict = { ok: v.status === STATUS_OK, action: v.action, keyId }
            const before = lock.remoteUnlocks
            lock.send({ type: "remoteAttempt" }, now)
            if (lock.remoteUnlocks > before && !isGenuine) {
                st.unauthorised_unlocks++
                if (st.findings.length < 20) st.findings.push({ kind: "unlock", seed: i, detail: "unlock after a frame that was not genuine" })
            }
            // relock so the next unlock is visible, and keep the lockout from growing without bound
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
