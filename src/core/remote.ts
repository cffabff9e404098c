/**
 * Companion (phone) commands: the framing and the checks of the challenge-response protocol of
 * services/latchkey.md, without the cryptography (the adapter decrypts; Node's CLI encrypts).
 * Pure: no I/O, no clock (time is an argument).
 */
import { Bytes, ctEqual } from "./ct"

/** Bytes in a challenge nonce. */
export const NONCE_BYTES = 16
/** Bytes in a companion key (AES-256). */
export const COMPANION_KEY_BYTES = 32
/** AES-CCM tag length used by every sealed command. */
export const TAG_BYTES = 16
/** AES-CCM IV length. */
export const IV_BYTES = 13
/** A nonce is good for one command within this time. */
export const NONCE_LIFETIME_MS = 30000
/** Enrolment needs the program button pressed within this time. */
export const PRESENCE_WINDOW_MS = 30000
/** Companion keys the lock keeps. */
export const MAX_COMPANIONS = 8
/** Plaintext header: command, key id, nonce, counter. */
export const HEADER_BYTES = 2 + NONCE_BYTES + 4

export const CMD_UNLOCK = 1
export const CMD_LOCK = 2
export const CMD_CLEAR_LOCKOUT = 3
export const CMD_REVOKE = 4
export const CMD_LOST_PHONE = 5

/** CommandStatus of services/latchkey.md. */
export const STATUS_OK = 0
export const STATUS_NO_PRESENCE = 1
export const STATUS_FULL = 2
export const STATUS_BAD_FRAME = 3
export const STATUS_UNKNOWN_KEY = 4
export const STATUS_REVOKED = 5
export const STATUS_STALE_NONCE = 6
export const STATUS_REPLAY = 7
export const STATUS_BAD_TAG = 8
export const STATUS_REFUSED = 9
export const STATUS_BUSY = 10

/** One enrolled companion as the lock keeps it. */
export interface Companion {
    /** 1..254 */
    id: number
    key: Bytes
    /** Highest counter accepted so far. */
    counter: number
    revoked: boolean
}

/** A decrypted command. */
export interface RemoteCommand {
    command: number
    keyId: number
    nonce: Bytes
    counter: number
    args: number[]
}

function u32(b: Bytes, at: number): number {
    return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 16777216
}

/** The AES-CCM IV for a key id and counter: id, counter (u32 LE), 8 zero bytes. */
export function ivBytes(keyId: number, counter: number): number[] {
    const iv: number[] = [keyId & 0xff, counter & 0xff, (counter >>> 8) & 0xff, (counter >>> 16) & 0xff, (counter >>> 24) & 0xff]
    while (iv.length < IV_BYTES) iv.push(0)
    return iv
}

/** The plaintext of a command (what the companion seals). */
export function commandBytes(command: number, keyId: number, nonce: Bytes, counter: number, args: number[]): number[] {
    const out: number[] = [command & 0xff, keyId & 0xff]
    for (let i = 0; i < NONCE_BYTES; i++) out.push(i < nonce.length ? nonce[i] : 0)
    out.push(counter & 0xff, (counter >>> 8) & 0xff, (counter >>> 16) & 0xff, (counter >>> 24) & 0xff)
    for (const a of args) out.push(a & 0xff)
    return out
}

/** Parses decrypted plaintext; null when it is too short to be a command. */
export function parseCommand(plain: Bytes): RemoteCommand | null {
    if (!plain || plain.length < HEADER_BYTES) return null
    const nonce: number[] = []
    for (let i = 0; i < NONCE_BYTES; i++) nonce.push(plain[2 + i])
    const args: number[] = []
    for (let i = HEADER_BYTES; i < plain.length; i++) args.push(plain[i])
    return { command: plain[0], keyId: plain[1], nonce: nonce, counter: u32(plain, 2 + NONCE_BYTES), args: args }
}

/** Index of the companion with `keyId`, or -1. */
export function companionIndex(companions: Companion[], keyId: number): number {
    for (let i = 0; i < companions.length; i++) if (companions[i].id === keyId) return i
    return -1
}

/**
 * Checks done before decrypting (on the frame's clear header): the key is known and not revoked,
 * the counter is new, and the sealed part is long enough. Returns a status.
 */
export function checkEnvelope(companions: Companion[], keyId: number, counter: number, sealedLength: number): number {
    if (!(counter >= 0) || counter > 0xffffffff || Math.floor(counter) !== counter) return STATUS_BAD_FRAME
    if (sealedLength < HEADER_BYTES + TAG_BYTES) return STATUS_BAD_FRAME
    const i = companionIndex(companions, keyId)
    if (i < 0) return STATUS_UNKNOWN_KEY
    if (companions[i].revoked) return STATUS_REVOKED
    if (counter <= companions[i].counter) return STATUS_REPLAY
    return STATUS_OK
}

/**
 * Checks done on the decrypted command: it repeats the clear header's key id and counter, and it
 * answers the current nonce while that is fresh. `nonce` null = no challenge outstanding.
 */
export function checkCommand(cmd: RemoteCommand, keyId: number, counter: number, nonce: Bytes | null, nonceAt: number, now: number): number {
    if (cmd === null || cmd.keyId !== keyId || cmd.counter !== counter) return STATUS_BAD_FRAME
    if (nonce === null || now - nonceAt > NONCE_LIFETIME_MS || now < nonceAt) return STATUS_STALE_NONCE
    if (!ctEqual(cmd.nonce, nonce)) return STATUS_STALE_NONCE
    if (cmd.command < CMD_UNLOCK || cmd.command > CMD_LOST_PHONE) return STATUS_BAD_FRAME
    if (cmd.command === CMD_REVOKE && cmd.args.length < 1) return STATUS_BAD_FRAME
    return STATUS_OK
}

/** The next free key id (1..254), or -1 when MAX_COMPANIONS are live. Revoked ids are never reused. */
export function nextCompanionId(companions: Companion[]): number {
    let live = 0
    let max = 0
    for (const c of companions) {
        if (!c.revoked) live++
        if (c.id > max) max = c.id
    }
    if (live >= MAX_COMPANIONS || max >= 254) return -1
    return max + 1
}
