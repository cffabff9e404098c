/**
 * The companion side of the lock's challenge-response protocol (services/latchkey.md): enrol,
 * then sealed commands (AES-256-CCM, 16-byte tag, node:crypto) over any transport (./transport.ts:
 * the Jacdac bus, or an MQTT broker). Enrolment is the bus's alone. The framing is the firmware's
 * own (src/core/remote.ts), so both sides cannot drift apart.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { jdunpack, JDService, Packet } from "jacdac-ts"
import {
    CMD_AUDIT_READ,
    CMD_CLEAR_LOCKOUT,
    CMD_CLOCK,
    CMD_LOCK,
    CMD_LOST_PHONE,
    CMD_MODE,
    CMD_REVOKE,
    CMD_ROLLED_BACK,
    CMD_UNLOCK,
    CMD_USER_ADD,
    CMD_USER_DISABLE,
    CMD_USER_ENABLE,
    CMD_USER_LIST,
    CMD_USER_NAME,
    CMD_USER_REMOVE,
    MAX_COMPANIONS,
    TAG_BYTES,
} from "../src/core/remote"
import { MAX_USERS } from "../src/core/users"
import {
    CHALLENGE_BYTES,
    commandFrame,
    commandPlain,
    DIR_ANSWER,
    DIR_COMMAND,
    ECHO_BYTES,
    echoOf,
    FRAME_CLEAR,
    FRAME_NONCE,
    FRAME_SEALED,
    frameIv,
    nonceRequest,
    parseAnswerPlain,
    PROTOCOL_VERSION,
} from "../src/core/frames"
import { MAX_KEY_ID } from "../src/core/enrolment"
import { ANSWER_TIMEOUT_MS, BusTransport, LockLink, NoAnswer, transportOf } from "./transport"
import { CompanionKey, KeyStore } from "./keyfile"
import { isLogged, recoverFromRollback } from "./rollback"

export { defaultKeyFile, KeyStore, UnsafeKeyFile, type CompanionKey } from "./keyfile"

const CMD_ENROL = 0x81

/** CommandStatus names, by code. */
export const STATUS_NAMES = [
    "Ok",
    "NoPresence",
    "Full",
    "BadFrame",
    "UnknownKey",
    "Revoked",
    "StaleNonce",
    "Replay",
    "BadTag",
    "Refused",
    "Busy",
    "Invalid",
    "UpdateCompanion",
]

/** What the user is told for each refusal. */
export const STATUS_HELP: { [name: string]: string } = {
    NoPresence: "press the lock's inside program button, then run enrol again within 30 s",
    Full:
        `the lock's ${MAX_COMPANIONS} companion keys are all live: from an enrolled companion, run \`latchkey revoke KEY_ID\` for one ` +
        "no longer used (`latchkey audit` lists the keys enrolled and revoked), then press the program button and enrol again; " +
        `a lock that has issued all ${MAX_KEY_ID} key ids since its last factory reset enrols again only after one`,
    BadFrame: "the lock could not read the frame",
    Refused: "the lock refused the command",
    Busy: "the lock is busy: try again",
    Invalid: "the lock refused the command's arguments",
    UpdateCompanion: "the lock speaks a newer companion protocol: update the companion",
}

/** Commands a companion can send. */
export const COMMANDS: { [name: string]: number } = {
    unlock: CMD_UNLOCK,
    lock: CMD_LOCK,
    "clear-lockout": CMD_CLEAR_LOCKOUT,
    revoke: CMD_REVOKE,
    "lost-phone": CMD_LOST_PHONE,
    mode: CMD_MODE,
    clock: CMD_CLOCK,
    "user-add": CMD_USER_ADD,
    "user-remove": CMD_USER_REMOVE,
    "user-enable": CMD_USER_ENABLE,
    "user-disable": CMD_USER_DISABLE,
    "user-name": CMD_USER_NAME,
    "user-list": CMD_USER_LIST,
    "audit-read": CMD_AUDIT_READ,
    "rolled-back": CMD_ROLLED_BACK,
}

/**
 * A refusal from the lock, with its CommandStatus name and, when the lock gave one, its reason.
 * `authenticated` false: a clear answer (a frame that did not authenticate, or a busy lock), which
 * anyone could have sent: it proves nothing, either way.
 */
export class LockRefusal extends Error {
    constructor(
        readonly status: string,
        readonly reason = "",
        readonly authenticated = true,
    ) {
        super(`refused by the lock: ${status}${reason ? `: ${reason}` : STATUS_HELP[status] ? ` (${STATUS_HELP[status]})` : ""}`)
        this.name = "LockRefusal"
    }
}

/** What the CLI says of a clear Refused: the lock does not say why, to anyone. */
export const UNAUTHENTICATED_REFUSAL =
    "the command did not authenticate (this computer's key is not enrolled with this lock, or was revoked; or the challenge expired); nothing was carried out"

/**
 * Added to a clear Refused from a lock this computer has had sealed answers from: a store gone
 * back to before this key's enrolment refuses it the same way (a clear answer proves nothing, so
 * this is a suspicion to check, never a finding).
 */
export function keyRefusedAfter(seen: number): string {
    return (
        `. If no companion revoked this computer's key, the lock's store may have gone back in time to before its enrolment ` +
        `(this computer saw its generation reach ${seen}): check \`latchkey audit\` from another companion, or enrol again`
    )
}

/** An answer that does not open with the key and challenge of the request it answers. */
export class UnprovenAnswer extends Error {
    constructor(
        readonly command: string,
        /** Over a broker: how many answers came that were not this request's (and no answer that was). */
        readonly passedOver = 0,
    ) {
        super(
            "an answer that is not the lock's: " +
                (passedOver > 0
                    ? `${passedOver} answer(s) to ${command} came and none was sealed by the lock for this request (someone else on the broker answered, or the broker forged, replayed or changed the answer); `
                    : `the answer to ${command} did not authenticate (not sealed by the lock for this request: someone else on the link answered, or it was tampered with); `) +
                "nothing is known to have been done, and the key file is unchanged: check with `latchkey status` before asking again",
        )
        this.name = "UnprovenAnswer"
    }
}

/** The lock speaks another protocol version. */
export class ProtocolMismatch extends Error {
    constructor(detail: string) {
        super(detail)
        this.name = "ProtocolMismatch"
    }
}

/** Seals a command for the lock as a protocol 2 frame: exactly what src/firmware/remote.ts checks. */
export function sealCommand(key: Buffer, keyId: number, counter: number, challenge: Uint8Array, command: number, args: number[]): Buffer {
    const plain = Buffer.from(commandPlain(command, keyId, counter, args))
    const cipher = createCipheriv("aes-256-ccm", key, Buffer.from(frameIv(challenge, DIR_COMMAND)), { authTagLength: TAG_BYTES })
    const ct = Buffer.concat([cipher.update(plain), cipher.final()])
    return Buffer.from(commandFrame(keyId, challenge, Buffer.concat([ct, cipher.getAuthTag()])))
}

/** An answer frame read: sealed (opened and checked against its request) or clear (proves nothing). */
export interface Answer {
    status: string
    /** Whether the lock sealed it for this request. */
    authenticated: boolean
    payload: Buffer
    /** The lock's store generation the sealed answer carried (-1: a clear answer). */
    generation: number
}

/**
 * Reads the lock's answer to the command (`command`, keyId, counter) sent with `challenge`. A
 * sealed answer must open under the key with the challenge's answer IV and repeat the command, key
 * id and counter; a clear one is returned as such (unauthenticated; a clear Ok is no answer at
 * all). Throws UnprovenAnswer for anything else (a forged or tampered answer, whatever status it
 * claims), ProtocolMismatch for UpdateCompanion.
 */
export function openAnswer(key: Buffer, keyId: number, counter: number, command: number, challenge: Uint8Array, frame: Uint8Array, name = "the command"): Answer {
    const clear = readClear(frame)
    if (clear === "Ok") throw new UnprovenAnswer(name)
    if (clear !== null) return { status: clear, authenticated: false, payload: Buffer.alloc(0), generation: -1 }
    if (frame.length < 2 + TAG_BYTES || frame[0] !== PROTOCOL_VERSION || frame[1] !== FRAME_SEALED) throw new UnprovenAnswer(name)
    const sealed = frame.subarray(2)
    const decipher = createDecipheriv("aes-256-ccm", key, Buffer.from(frameIv(challenge, DIR_ANSWER)), { authTagLength: TAG_BYTES })
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
    let plain: Buffer
    try {
        plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()])
    } catch {
        throw new UnprovenAnswer(name)
    }
    const a = parseAnswerPlain(plain)
    if (!a || a.command !== command || a.keyId !== keyId || a.counter !== counter) throw new UnprovenAnswer(name)
    return { status: STATUS_NAMES[a.status] ?? `${a.status}`, authenticated: true, payload: Buffer.from(a.rest), generation: a.generation }
}

async function ask(srv: JDService, cmd: number, payload: Uint8Array): Promise<Uint8Array> {
    const pkt = Packet.from(cmd, payload)
    let resp: Packet | undefined
    try {
        resp = await srv.sendCmdAwaitResponseAsync(pkt, ANSWER_TIMEOUT_MS)
    } catch (e) {
        if (/timeout/i.test((e as Error).message)) throw new Error("the lock did not answer")
        throw e
    }
    if (!resp) throw new Error("the lock did not answer")
    return resp.data
}

/** The lock's device id (what the key store is keyed by, and what its MQTT topics hold). */
export async function lockId(link: LockLink): Promise<string> {
    return await transportOf(link).lockId()
}

/** Why `enrol` is refused anywhere but on the bus. */
export const ENROL_BUS_ONLY =
    "enrol works only on the Jacdac bus (USB to the lock, or the simulator), never over MQTT: DeviceScript offers no key agreement, " +
    "so the lock would send the new companion key through the broker in the clear. Enrol at the door with `latchkey --tcp HOST:PORT enrol` " +
    "(`devs devtools` with the board on USB, or `npm start`), then use this computer's key over MQTT"

/** Enrolment asked of a transport other than the bus. */
export class EnrolNotRemote extends Error {
    constructor() {
        super(ENROL_BUS_ONLY)
        this.name = "EnrolNotRemote"
    }
}

/** The key file already holds a live-looking key for this lock: enrolling again would orphan it. */
export class AlreadyEnrolled extends Error {
    constructor(
        readonly lock: string,
        readonly keyId: number,
        readonly path: string,
    ) {
        super(
            `${path} already holds companion key ${keyId} for lock ${lock}: nothing was asked of the lock. ` +
                `Revoke it first (\`latchkey revoke ${keyId}\`, which also removes it from the key file), ` +
                `or run \`latchkey enrol --replace\` (enrols a new key, then revokes key ${keyId} with it)`,
        )
        this.name = "AlreadyEnrolled"
    }
}

/**
 * Enrols with the lock (its program button must have been pressed within 30 s) and stores the key,
 * in place of any key the store held for this lock (the CLI refuses that case first: AlreadyEnrolled).
 */
export async function enrol(link: LockLink, store: KeyStore): Promise<CompanionKey> {
    const t = transportOf(link)
    if (!(t instanceof BusTransport)) throw new EnrolNotRemote()
    const srv = await t.client.service()
    const [status, keyId, key] = jdunpack<[number, number, Uint8Array]>(await ask(srv, CMD_ENROL, new Uint8Array(0)), "u8 u8 b")
    if (status !== 0) throw new LockRefusal(STATUS_NAMES[status] ?? `${status}`)
    const rec: CompanionKey = { lock: srv.device.deviceId, keyId, key: Buffer.from(key).toString("hex"), counter: 0 }
    store.put(rec)
    store.forgetHistory(rec.lock)
    return rec
}

/** What the CLI says when the lock turns this companion's protocol away. */
export const UPDATE_COMPANION =
    "the lock refused this companion's protocol version: update the companion (latchkey) to the version the lock's firmware speaks"

/**
 * A clear answer's status name (null: not a clear answer). A clear UpdateCompanion, of any
 * version, throws ProtocolMismatch: nothing was carried out, and the user is told what to do.
 */
function readClear(frame: Uint8Array): string | null {
    if (!isClear(frame)) return null
    const status = STATUS_NAMES[frame[2]] ?? `${frame[2]}`
    if (status === "UpdateCompanion") throw new ProtocolMismatch(UPDATE_COMPANION)
    return frame[0] === PROTOCOL_VERSION ? status : null
}

/** Whether `a` is a clear answer (a status and an echo, unsealed). */
function isClear(a: Uint8Array): boolean {
    return a.length >= 3 && a.length <= 3 + ECHO_BYTES && a[1] === FRAME_CLEAR
}

/** Whether `a` ends with the echo of `request` (core/frames.ts echoOf) from byte `at`, and nothing after it. */
function echoes(a: Uint8Array, at: number, request: Uint8Array): boolean {
    return Buffer.from(a.subarray(at)).equals(Buffer.from(echoOf(request)))
}

/** Whether `a` is a clear answer to `request` (another companion's request gets its own). */
function clearTo(request: Uint8Array, a: Uint8Array): boolean {
    return isClear(a) && echoes(a, 3, request)
}

/** Sends one protocol 2 frame; resolves with the answer frame (over a broker: the first `take` accepts). */
export async function sendFrame(link: LockLink, frame: Uint8Array, take?: (a: Uint8Array) => boolean): Promise<Uint8Array> {
    return await transportOf(link).exchange(frame, take)
}

/** Over a broker: how many times a challenge is asked for, and how long each ask waits. */
const NONCE_TRIES = 3
const NONCE_WAIT_MS = 2000

/** Fetches a fresh challenge for `keyId`. */
export async function nonce(link: LockLink, keyId: number): Promise<Uint8Array> {
    const t = transportOf(link)
    // a fresh tag, which the challenge repeats: another companion's challenge is never taken for ours
    const req = Uint8Array.from(nonceRequest(keyId, randomBytes(ECHO_BYTES - 1)))
    const take = (a: Uint8Array) => clearTo(req, a) || (a.length > 2 + CHALLENGE_BYTES && a[1] === FRAME_NONCE && echoes(a, 2 + CHALLENGE_BYTES, req))
    // over a broker, a request can be lost (QoS 0, or dropped by a lock with 3 already waiting),
    // and the lock answers a challenge at once: a challenge request that goes unanswered is asked again
    const tries = t.kind === "mqtt" ? NONCE_TRIES : 1
    let a: Uint8Array
    for (let attempt = 1; ; attempt++) {
        try {
            a = await t.exchange(req, take, t.kind === "mqtt" ? NONCE_WAIT_MS : undefined)
            break
        } catch (e) {
            if (!(e instanceof NoAnswer) || e.passedOver > 0 || attempt >= tries) throw e
        }
    }
    const clear = readClear(a)
    if (clear !== null) throw new LockRefusal(clear, "", false)
    if (a.length <= 2 + CHALLENGE_BYTES || a[0] !== PROTOCOL_VERSION || a[1] !== FRAME_NONCE || !echoes(a, 2 + CHALLENGE_BYTES, req))
        throw new Error("the lock's challenge is malformed")
    return a.subarray(2, 2 + CHALLENGE_BYTES)
}

/** Sends an already sealed command frame; resolves with the clear status name, or "Sealed". */
export async function sendSealed(link: LockLink, frame: Uint8Array): Promise<string> {
    const a = await sendFrame(link, frame, a => clearTo(frame, a) || (a.length > 2 && a[1] === FRAME_SEALED))
    if (isClear(a) && a[0] === PROTOCOL_VERSION) return STATUS_NAMES[a[2]] ?? `${a[2]}`
    return a.length > 2 && a[1] === FRAME_SEALED ? "Sealed" : `unexpected answer ${Buffer.from(a).toString("hex")}`
}

/**
 * Which answers on a shared answer topic can be the one to this command: a clear status that
 * repeats this frame's echo (the lock does not seal those; a clear Ok, which the lock never sends,
 * is taken so that it is reported) or a sealed answer that opens as this request's. Anything else
 * is someone else's, or forged.
 */
function answerTo(frame: Uint8Array, key: Buffer, keyId: number, counter: number, command: number, challenge: Uint8Array): (a: Uint8Array) => boolean {
    return a => {
        if (isClear(a)) return clearTo(frame, a)
        try {
            openAnswer(key, keyId, counter, command, challenge, a)
            return true
        } catch {
            return false
        }
    }
}

/**
 * Runs one companion command: challenge, seal with the next counter (taken under the key file's
 * lock and saved before sending, so neither a crash nor another run at once reuses one), send,
 * open the sealed answer. Resolves with the answer's plaintext;
 * throws LockRefusal (with the lock's reason, when it gave one) when the lock says no.
 * Every sealed answer's store generation is checked against the highest this computer saw: a
 * lower one is a store gone back in time, reported and repaired (./rollback.ts) before this
 * resolves.
 */
export async function request(link: LockLink, store: KeyStore, name: string, args: number[] = []): Promise<Buffer> {
    return (await requestAnswer(link, store, name, args)).payload
}

/** A sealed Ok answer: its payload and the store generation it carried. */
export interface OkAnswer {
    payload: Buffer
    generation: number
}

/**
 * request(), resolving with the store generation too. `repairing`: a command of the repair after
 * a rollback (./rollback.ts): its generation is remembered, never checked, and it is not logged.
 */
export async function requestAnswer(link: LockLink, store: KeyStore, name: string, args: number[] = [], repairing = false): Promise<OkAnswer> {
    const code = COMMANDS[name]
    if (code === undefined) throw new Error(`unknown command "${name}" (one of ${Object.keys(COMMANDS).join(", ")})`)
    const t = transportOf(link)
    const lock = await t.lockId()
    const notEnrolled = () => new Error(`not enrolled with lock ${lock}: run \`latchkey enrol\` after pressing its program button`)
    if (!store.get(lock)) throw notEnrolled()
    // a lost answer to a read is asked again (a new challenge and counter: never the same frame);
    // a lost answer to a change is reported, since the change may have been made
    const tries = READS.includes(name) ? 3 : 1
    let busyTries = 0
    for (let attempt = 1; ; attempt++) {
        const rec0 = store.get(lock)
        if (!rec0) throw notEnrolled()
        const challenge = await nonce(t, rec0.keyId)
        const rec = store.takeCounter(lock)
        if (!rec) throw notEnrolled()
        const key = Buffer.from(rec.key, "hex")
        const frame = sealCommand(key, rec.keyId, rec.counter, challenge, code, args)
        let raw: Uint8Array
        try {
            raw = await t.exchange(frame, answerTo(frame, key, rec.keyId, rec.counter, code, challenge))
        } catch (e) {
            // answers came, and none was this request's: reported, never retried or acted on
            if (e instanceof NoAnswer && e.passedOver > 0) throw new UnprovenAnswer(name, e.passedOver)
            if (!/did not answer|timeout/i.test((e as Error).message)) throw e
            if (attempt < tries) continue
            throw new Error(
                tries > 1
                    ? `the lock did not answer ${name} (${tries} tries)`
                    : `the lock did not answer ${name}: it may or may not have been carried out (check with \`latchkey status\` or \`latchkey users list\`)`,
            )
        }
        const answer = openAnswer(key, rec.keyId, rec.counter, code, challenge, raw, name)
        // Busy: not carried out (the lock's throttle, or another command being carried out)
        if (answer.status === "Busy" && busyTries++ < BUSY_RETRIES) {
            await new Promise(r => setTimeout(r, BUSY_WAIT_MS))
            attempt--
            continue
        }
        if (!answer.authenticated) {
            const seen = answer.status === "Refused" ? store.history(lock).generation : 0
            throw new LockRefusal(answer.status, answer.status === "Refused" ? UNAUTHENTICATED_REFUSAL + (seen > 0 ? keyRefusedAfter(seen) : "") : "", false)
        }
        // sealed under this computer's key: the broker cannot forge a generation
        const seen = store.seeGeneration(lock, answer.generation)
        if (answer.status === "Ok" && isLogged(name) && !repairing) store.logChange(lock, { command: name, args, generation: answer.generation })
        if (answer.generation < seen && !repairing) {
            await recoverFromRollback(store, lock, answer.generation, seen, (n, a) => requestAnswer(t, store, n, a, true))
        }
        if (answer.status !== "Ok") throw new LockRefusal(answer.status, answer.payload.toString("latin1"))
        return { payload: answer.payload, generation: answer.generation }
    }
}

/**
 * The lock's store generation, from a sealed read that changes nothing (the user list past its
 * last slot: an empty page); the read's answer is checked like any other (a store found behind is
 * reported and repaired first). Resolves with it and the highest this computer had seen before.
 */
export async function storeGeneration(link: LockLink, store: KeyStore): Promise<{ generation: number; remembered: number }> {
    const lock = await transportOf(link).lockId()
    const remembered = store.history(lock).generation
    const a = await requestAnswer(link, store, "user-list", [MAX_USERS + 1])
    return { generation: a.generation, remembered }
}

/** A Busy lock is asked again this many times, this long apart (it refills one command per 500 ms). */
const BUSY_RETRIES = 10
const BUSY_WAIT_MS = 600

/** Commands that change nothing: asked again when an answer is lost. */
const READS = ["user-list", "audit-read"]

/** Runs one companion command that answers nothing but its status ("Ok"; refusals throw). */
export async function command(link: LockLink, store: KeyStore, name: string, args: number[] = []): Promise<string> {
    await request(link, store, name, args)
    return "Ok"
}
