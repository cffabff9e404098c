/**
 * The companion side of the lock's challenge-response protocol (services/latchkey.md): enrol,
 * then sealed commands (AES-256-CCM, 16-byte tag, node:crypto) over any jacdac-ts bus. The
 * framing is the firmware's own (src/core/remote.ts), so both sides cannot drift apart.
 */
import { createCipheriv, createDecipheriv } from "node:crypto"
import { jdpack, jdunpack, JDService, Packet } from "jacdac-ts"
import {
    CMD_AUDIT_READ,
    CMD_CLEAR_LOCKOUT,
    CMD_CLOCK,
    CMD_LOCK,
    CMD_LOST_PHONE,
    CMD_MODE,
    CMD_REVOKE,
    CMD_UNLOCK,
    CMD_USER_ADD,
    CMD_USER_DISABLE,
    CMD_USER_ENABLE,
    CMD_USER_LIST,
    CMD_USER_NAME,
    CMD_USER_REMOVE,
    commandBytes,
    ivBytes,
    MAX_COMPANIONS,
    replyIvBytes,
    TAG_BYTES,
} from "../src/core/remote"
import { MAX_KEY_ID } from "../src/core/enrolment"
import { LatchkeyClient } from "../host/lock-client"
import { CompanionKey, KeyStore } from "./keyfile"

export { defaultKeyFile, KeyStore, UnsafeKeyFile, type CompanionKey } from "./keyfile"

const CMD_NONCE = 0x80
const CMD_ENROL = 0x81
const CMD_SECURED = 0x82
const ANSWER_TIMEOUT_MS = 5000

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
]

/** What the user is told for each refusal. */
export const STATUS_HELP: { [name: string]: string } = {
    NoPresence: "press the lock's inside program button, then run enrol again within 30 s",
    Full:
        `the lock's ${MAX_COMPANIONS} companion keys are all live: from an enrolled companion, run \`latchkey revoke KEY_ID\` for one ` +
        "no longer used (`latchkey audit` lists the keys enrolled and revoked), then press the program button and enrol again; " +
        `a lock that has issued all ${MAX_KEY_ID} key ids since its last factory reset enrols again only after one`,
    BadFrame: "the lock could not read the command",
    UnknownKey: "this companion is not enrolled with this lock",
    Revoked: "this companion's key was revoked: enrol again at the lock",
    StaleNonce: "the challenge expired or was used: try again",
    Replay: "the command's counter was already used (a replay): refused",
    BadTag: "the command did not authenticate with this key",
    Refused: "the lock refused the command",
    Busy: "the lock is busy: try again",
    Invalid: "the lock refused the command's arguments",
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
}

/** A refusal from the lock, with its CommandStatus name and, when the lock gave one, its reason. */
export class LockRefusal extends Error {
    constructor(
        readonly status: string,
        readonly reason = "",
    ) {
        super(`refused by the lock: ${status}${reason ? `: ${reason}` : STATUS_HELP[status] ? ` (${STATUS_HELP[status]})` : ""}`)
        this.name = "LockRefusal"
    }
}

/** Seals a command for the lock: exactly what src/firmware/remote.ts checks. */
export function sealCommand(key: Buffer, keyId: number, counter: number, nonce: Uint8Array, command: number, args: number[]): Buffer {
    const plain = Buffer.from(commandBytes(command, keyId, nonce, counter, args))
    const cipher = createCipheriv("aes-256-ccm", key, Buffer.from(ivBytes(keyId, counter)), { authTagLength: TAG_BYTES })
    const ct = Buffer.concat([cipher.update(plain), cipher.final()])
    return Buffer.concat([ct, cipher.getAuthTag()])
}

/** Opens the lock's sealed answer to the command sent with (keyId, counter); throws if it is not authentic. */
export function openReply(key: Buffer, keyId: number, counter: number, sealed: Uint8Array): Buffer {
    if (sealed.length === 0) return Buffer.alloc(0)
    if (sealed.length < TAG_BYTES) throw new Error("the lock's answer is too short to be authentic")
    const body = sealed.subarray(0, sealed.length - TAG_BYTES)
    const decipher = createDecipheriv("aes-256-ccm", key, Buffer.from(replyIvBytes(keyId, counter)), { authTagLength: TAG_BYTES })
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
    try {
        return Buffer.concat([decipher.update(body), decipher.final()])
    } catch {
        throw new Error("the lock's answer did not authenticate with this key (not our lock, or tampered with)")
    }
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

/** The lock's device id (what the key store is keyed by). */
export async function lockId(client: LatchkeyClient): Promise<string> {
    return (await client.service()).device.deviceId
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
export async function enrol(client: LatchkeyClient, store: KeyStore): Promise<CompanionKey> {
    const srv = await client.service()
    const [status, keyId, key] = jdunpack<[number, number, Uint8Array]>(await ask(srv, CMD_ENROL, new Uint8Array(0)), "u8 u8 b")
    if (status !== 0) throw new LockRefusal(STATUS_NAMES[status] ?? `${status}`)
    const rec: CompanionKey = { lock: srv.device.deviceId, keyId, key: Buffer.from(key).toString("hex"), counter: 0 }
    store.put(rec)
    return rec
}

/** Fetches a fresh challenge. */
export async function nonce(client: LatchkeyClient): Promise<Uint8Array> {
    const srv = await client.service()
    return await ask(srv, CMD_NONCE, new Uint8Array(0))
}

/** Sends an already sealed command frame; resolves with the status name. */
export async function sendSealed(client: LatchkeyClient, counter: number, keyId: number, sealed: Uint8Array): Promise<string> {
    return (await sendSealedFull(client, counter, keyId, sealed)).status
}

/** Sends an already sealed command frame; resolves with the status name and the sealed answer. */
export async function sendSealedFull(
    client: LatchkeyClient,
    counter: number,
    keyId: number,
    sealed: Uint8Array,
): Promise<{ status: string; detail: Uint8Array }> {
    const srv = await client.service()
    const [status, detail] = jdunpack<[number, Uint8Array]>(await ask(srv, CMD_SECURED, jdpack("u32 u8 b", [counter, keyId, sealed])), "u8 b")
    return { status: STATUS_NAMES[status] ?? `${status}`, detail: detail ?? new Uint8Array(0) }
}

/**
 * Runs one companion command: challenge, seal with the next counter (taken under the key file's
 * lock and saved before sending, so neither a crash nor another run at once reuses one), send,
 * open the sealed answer. Resolves with the answer's plaintext;
 * throws LockRefusal (with the lock's reason, when it gave one) when the lock says no.
 */
export async function request(client: LatchkeyClient, store: KeyStore, name: string, args: number[] = []): Promise<Buffer> {
    const code = COMMANDS[name]
    if (code === undefined) throw new Error(`unknown command "${name}" (one of ${Object.keys(COMMANDS).join(", ")})`)
    const lock = await lockId(client)
    const notEnrolled = () => new Error(`not enrolled with lock ${lock}: run \`latchkey enrol\` after pressing its program button`)
    if (!store.get(lock)) throw notEnrolled()
    // a lost answer to a read is asked again (a new challenge and counter: never the same frame);
    // a lost answer to a change is reported, since the change may have been made
    const tries = READS.includes(name) ? 3 : 1
    let busyTries = 0
    for (let attempt = 1; ; attempt++) {
        const challenge = await nonce(client)
        const rec = store.takeCounter(lock)
        if (!rec) throw notEnrolled()
        const key = Buffer.from(rec.key, "hex")
        const sealed = sealCommand(key, rec.keyId, rec.counter, challenge, code, args)
        let answer: { status: string; detail: Uint8Array }
        try {
            answer = await sendSealedFull(client, rec.counter, rec.keyId, sealed)
        } catch (e) {
            if (!/did not answer|timeout/i.test((e as Error).message)) throw e
            if (attempt < tries) continue
            throw new Error(
                tries > 1
                    ? `the lock did not answer ${name} (${tries} tries)`
                    : `the lock did not answer ${name}: it may or may not have been carried out (check with \`latchkey status\` or \`latchkey users list\`)`,
            )
        }
        // Busy: refused unchecked (the lock's rate limit, or another command being checked)
        if (answer.status === "Busy" && busyTries++ < BUSY_RETRIES) {
            await new Promise(r => setTimeout(r, BUSY_WAIT_MS))
            attempt--
            continue
        }
        const plain = openReply(key, rec.keyId, rec.counter, answer.detail)
        if (answer.status !== "Ok") throw new LockRefusal(answer.status, plain.toString("latin1"))
        return plain
    }
}

/** A Busy lock is asked again this many times, this long apart (it refills one command per 500 ms). */
const BUSY_RETRIES = 10
const BUSY_WAIT_MS = 600

/** Commands that change nothing: asked again when an answer is lost. */
const READS = ["user-list", "audit-read"]

/** Runs one companion command that answers nothing but its status ("Ok"; refusals throw). */
export async function command(client: LatchkeyClient, store: KeyStore, name: string, args: number[] = []): Promise<string> {
    await request(client, store, name, args)
    return "Ok"
}
