/**
 * The bytes of companion protocol 2 (services/latchkey.md): request and answer frames, the
 * plaintexts sealed inside them and the AES-CCM IVs. The same frames travel on the Jacdac bus and
 * over any other link. No cryptography here (the lock's adapter and the CLI seal and open them).
 * Pure: no I/O, no clock.
 */
import { Bytes } from "./ct"
import { IV_BYTES, TAG_BYTES } from "./remote"

/** The first byte of every frame. */
export const PROTOCOL_VERSION = 2

/** Frame kinds (the second byte). Requests: */
export const FRAME_NONCE = 1
export const FRAME_COMMAND = 2
/** Answers: FRAME_NONCE (a challenge), a sealed answer, or a clear status (before authentication). */
export const FRAME_SEALED = 3
export const FRAME_CLEAR = 4

/** Bytes in a challenge: sequence u32 LE, boot tag (8), issued at u32 LE (lock ms), MAC (8). */
export const CHALLENGE_BYTES = 24
/** Bytes of the challenge that make up the IV (sequence and boot tag), before the direction byte. */
export const CHALLENGE_IV_BYTES = IV_BYTES - 1
/** Bytes of the challenge the MAC covers (all but the MAC). */
export const CHALLENGE_SIGNED_BYTES = 16
/** The IV's last byte: a command, or the lock's answer to it. */
export const DIR_COMMAND = 0
export const DIR_ANSWER = 1

/** Command plaintext header: command, key id, counter u32 LE. */
export const COMMAND_HEADER_BYTES = 6
/**
 * Answer plaintext header: command, key id, counter u32 LE, status, the lock's store generation
 * u32 LE (raised by every change to users, companions, mode or recovery code: the companion
 * remembers the highest it saw and so notices a store that went back in time).
 */
export const ANSWER_HEADER_BYTES = 11
/** Bytes before the sealed part of a command frame: version, kind, key id, challenge. */
export const COMMAND_FRAME_HEADER = 3 + CHALLENGE_BYTES
/** The largest frame either way (one Jacdac packet's payload). */
export const MAX_FRAME_BYTES = 236
/**
 * A challenge and a clear answer end with the request's bytes after its kind, up to this many
 * (a challenge request's key id and tag; a command's key id and the start of its challenge): on a
 * topic every companion reads, each tells its own answers from another's. The echo tells nothing
 * the request did not carry.
 */
export const ECHO_BYTES = 9

function u32At(b: Bytes, at: number): number {
    return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 16777216
}

function pushU32(out: number[], v: number) {
    out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff)
}

/**
 * The AES-CCM IV of a command (DIR_COMMAND) or of its answer (DIR_ANSWER): the challenge's
 * sequence number and boot tag, then the direction. The lock issues each sequence number once
 * per boot, and each challenge is accepted once, so no IV repeats under a key; nothing in it comes
 * from the companion.
 */
export function frameIv(challenge: Bytes, direction: number): number[] {
    const iv: number[] = []
    for (let i = 0; i < CHALLENGE_IV_BYTES; i++) iv.push(challenge[i] & 0xff)
    iv.push(direction & 0xff)
    return iv
}

/** A challenge's fields. */
export interface Challenge {
    seq: number
    at: number
}

/** The signed part of a challenge: sequence, boot tag, issued at (the lock appends its MAC). */
export function challengeBody(seq: number, boot: Bytes, at: number): number[] {
    const out: number[] = []
    pushU32(out, seq)
    for (let i = 0; i < 8; i++) out.push(boot[i] & 0xff)
    pushU32(out, at)
    return out
}

/** The sequence number and issue time of a challenge (null: not a challenge's length). */
export function parseChallenge(c: Bytes): Challenge | null {
    if (!c || c.length !== CHALLENGE_BYTES) return null
    return { seq: u32At(c, 0), at: u32At(c, 12) }
}

/** A request for a challenge for `keyId`, with the requester's tag (at most ECHO_BYTES - 1 bytes) that its answer repeats. */
export function nonceRequest(keyId: number, tag?: Bytes): number[] {
    const out = [PROTOCOL_VERSION, FRAME_NONCE, keyId & 0xff]
    if (tag) for (let i = 0; i < tag.length && i < ECHO_BYTES - 1; i++) out.push(tag[i] & 0xff)
    return out
}

/** What an answer to `request` repeats of it (ECHO_BYTES at most): its bytes after the kind. */
export function echoOf(request: Bytes): number[] {
    const out: number[] = []
    for (let i = 2; i < request.length && i < 2 + ECHO_BYTES; i++) out.push(request[i] & 0xff)
    return out
}

/** The plaintext of a command: command, key id, counter, arguments. */
export function commandPlain(command: number, keyId: number, counter: number, args: Bytes): number[] {
    const out: number[] = [command & 0xff, keyId & 0xff]
    pushU32(out, counter)
    for (let i = 0; i < args.length; i++) out.push(args[i] & 0xff)
    return out
}

/** A command frame around its sealed plaintext. */
export function commandFrame(keyId: number, challenge: Bytes, sealed: Bytes): number[] {
    const out: number[] = [PROTOCOL_VERSION, FRAME_COMMAND, keyId & 0xff]
    for (let i = 0; i < CHALLENGE_BYTES; i++) out.push(challenge[i] & 0xff)
    for (let i = 0; i < sealed.length; i++) out.push(sealed[i] & 0xff)
    return out
}

/** The plaintext of an answer: it repeats the command, key id and counter it answers, then the store's generation. */
export function answerPlain(command: number, keyId: number, counter: number, status: number, generation: number, payload: Bytes | null): number[] {
    const out: number[] = [command & 0xff, keyId & 0xff]
    pushU32(out, counter)
    out.push(status & 0xff)
    pushU32(out, generation)
    if (payload) for (let i = 0; i < payload.length; i++) out.push(payload[i] & 0xff)
    return out
}

/**
 * A clear answer's head: version, kind, status. The echo of the request it answers (echoOf)
 * follows it: nothing from the lock's state (no key id or counter it holds).
 */
export function clearFrame(status: number): number[] {
    return [PROTOCOL_VERSION, FRAME_CLEAR, status & 0xff]
}

/** A frame with its version and kind; `body` is what follows them. */
export interface Frame {
    version: number
    kind: number
    body: Bytes
}

/** Splits a frame into version, kind and body; null when it has not even those two bytes. */
export function parseFrame(frame: Bytes): Frame | null {
    if (!frame || frame.length < 2) return null
    const body: number[] = []
    for (let i = 2; i < frame.length; i++) body.push(frame[i])
    return { version: frame[0], kind: frame[1], body: body }
}

/** A command frame's clear fields; null when it is too short to hold a sealed command. */
export interface CommandFrame {
    keyId: number
    challenge: number[]
    sealed: number[]
}

/** Parses a FRAME_COMMAND body (key id, challenge, sealed part). */
export function parseCommandFrame(body: Bytes): CommandFrame | null {
    if (!body || body.length < 1 + CHALLENGE_BYTES + COMMAND_HEADER_BYTES + TAG_BYTES) return null
    const challenge: number[] = []
    for (let i = 0; i < CHALLENGE_BYTES; i++) challenge.push(body[1 + i])
    const sealed: number[] = []
    for (let i = 1 + CHALLENGE_BYTES; i < body.length; i++) sealed.push(body[i])
    return { keyId: body[0], challenge: challenge, sealed: sealed }
}

/** An opened command or answer plaintext. */
export interface Opened {
    command: number
    keyId: number
    counter: number
    /** Answers only (-1 in a command). */
    status: number
    /** Answers only: the lock's store generation (-1 in a command). */
    generation: number
    /** The command's arguments, or the answer's payload. */
    rest: number[]
}

/** Parses a command plaintext; null when too short. */
export function parseCommandPlain(plain: Bytes): Opened | null {
    if (!plain || plain.length < COMMAND_HEADER_BYTES) return null
    const rest: number[] = []
    for (let i = COMMAND_HEADER_BYTES; i < plain.length; i++) rest.push(plain[i])
    return { command: plain[0], keyId: plain[1], counter: u32At(plain, 2), status: -1, generation: -1, rest: rest }
}

/** Parses an answer plaintext; null when too short. */
export function parseAnswerPlain(plain: Bytes): Opened | null {
    if (!plain || plain.length < ANSWER_HEADER_BYTES) return null
    const rest: number[] = []
    for (let i = ANSWER_HEADER_BYTES; i < plain.length; i++) rest.push(plain[i])
    return { command: plain[0], keyId: plain[1], counter: u32At(plain, 2), status: plain[6], generation: u32At(plain, 7), rest: rest }
}
