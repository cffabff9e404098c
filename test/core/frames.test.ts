/** Companion protocol 2's bytes (src/core/frames.ts) and its single-use challenges (src/core/nonces.ts). */
import { describe, expect, it } from "vitest"
import {
    answerPlain,
    CHALLENGE_BYTES,
    challengeBody,
    challengeFresh,
    checkOpened,
    clearFrame,
    ECHO_BYTES,
    echoOf,
    CMD_LOST_PHONE,
    CMD_UNLOCK,
    commandFrame,
    commandPlain,
    DIR_ANSWER,
    DIR_COMMAND,
    frameIv,
    IV_BYTES,
    MAX_FRAME_BYTES,
    newNonceWindow,
    NONCE_LIFETIME_MS,
    NONCE_WINDOW,
    nonceRequest,
    nonceUnused,
    parseAnswerPlain,
    parseChallenge,
    parseCommandFrame,
    parseCommandPlain,
    parseFrame,
    REPLY_MAX_PLAIN,
    STATUS_OK,
    STATUS_REFUSED,
    TAG_BYTES,
    useNonce,
} from "../../src/core/index"

const BOOT = [1, 2, 3, 4, 5, 6, 7, 8]

function challenge(seq: number, at: number): number[] {
    return [...challengeBody(seq, BOOT, at), ...new Array(8).fill(0xee)]
}

describe("frames", () => {
    it("lays out a challenge request, a command and a clear answer byte by byte", () => {
        expect(nonceRequest(7)).toEqual([2, 1, 7])
        expect(nonceRequest(7, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toEqual([2, 1, 7, 1, 2, 3, 4, 5, 6, 7, 8])
        expect(clearFrame(STATUS_REFUSED)).toEqual([2, 4, 9])
        // an answer repeats the request's bytes after its kind, ECHO_BYTES at most
        expect(echoOf([2, 1, 7, 0xaa])).toEqual([7, 0xaa])
        expect(echoOf([2, 2, 3, ...new Array(40).fill(5)])).toEqual([3, ...new Array(ECHO_BYTES - 1).fill(5)])
        expect(echoOf([2])).toEqual([])
        const c = challenge(0x01020304, 0x0a0b0c0d)
        expect(c.length).toBe(CHALLENGE_BYTES)
        expect(c.slice(0, 16)).toEqual([4, 3, 2, 1, ...BOOT, 0x0d, 0x0c, 0x0b, 0x0a])
        expect(parseChallenge(c)).toEqual({ seq: 0x01020304, at: 0x0a0b0c0d })
        expect(parseChallenge(c.slice(1))).toBeNull()
        expect(commandPlain(CMD_UNLOCK, 3, 0x11223344, [9])).toEqual([1, 3, 0x44, 0x33, 0x22, 0x11, 9])
        const sealed = new Array(6 + TAG_BYTES).fill(0xab)
        const f = commandFrame(3, c, sealed)
        expect(f.slice(0, 3)).toEqual([2, 2, 3])
        const parsed = parseFrame(f)!
        expect(parsed).toMatchObject({ version: 2, kind: 2 })
        expect(parseCommandFrame(parsed.body)).toEqual({ keyId: 3, challenge: c, sealed })
        // a sealed part too short for a header and a tag
        expect(parseCommandFrame(Array.from(parsed.body).slice(0, parsed.body.length - 1))).toBeNull()
        expect(parseFrame([2])).toBeNull()
    })

    it("binds an answer to its request's command, key id, counter and status, and carries the store's generation", () => {
        const p = answerPlain(CMD_LOST_PHONE, 4, 77, STATUS_OK, 0x01020304, null)
        expect(p).toEqual([5, 4, 77, 0, 0, 0, 0, 4, 3, 2, 1])
        expect(parseAnswerPlain(p)).toEqual({ command: 5, keyId: 4, counter: 77, status: 0, generation: 0x01020304, rest: [] })
        expect(parseAnswerPlain(answerPlain(14, 4, 1, 0, 0xfffffffe, [1, 2, 3]))).toMatchObject({ generation: 0xfffffffe, rest: [1, 2, 3] })
        // too short to hold the generation
        expect(parseAnswerPlain(p.slice(0, 10))).toBeNull()
        expect(parseCommandPlain(commandPlain(14, 4, 9, [3]))).toEqual({ command: 14, keyId: 4, counter: 9, status: -1, generation: -1, rest: [3] })
        // the largest answer fits one frame
        expect(2 + answerPlain(14, 4, 1, 0, 7, new Array(REPLY_MAX_PLAIN).fill(0)).length + TAG_BYTES).toBe(MAX_FRAME_BYTES)
    })

    it("takes the IV from the lock's challenge and the direction, never from the companion's counter", () => {
        const c = challenge(5, 1000)
        const cmd = frameIv(c, DIR_COMMAND)
        const ans = frameIv(c, DIR_ANSWER)
        expect(cmd.length).toBe(IV_BYTES)
        expect(cmd.slice(0, 12)).toEqual(c.slice(0, 12))
        expect(cmd[12]).toBe(0)
        expect(ans[12]).toBe(1)
        // another sequence number, another IV
        expect(frameIv(challenge(6, 1000), DIR_COMMAND)).not.toEqual(cmd)
    })

    it("checks an opened command: its key id, a counter above the last, a known command with its arguments", () => {
        expect(checkOpened(CMD_UNLOCK, 3, 3, 11, 10, 0)).toBe(true)
        expect(checkOpened(CMD_UNLOCK, 4, 3, 11, 10, 0)).toBe(false)
        expect(checkOpened(CMD_UNLOCK, 3, 3, 10, 10, 0)).toBe(false)
        expect(checkOpened(CMD_UNLOCK, 3, 3, 11, 10, 1)).toBe(false)
        expect(checkOpened(0, 3, 3, 11, 10, 0)).toBe(false)
        expect(checkOpened(99, 3, 3, 11, 10, 0)).toBe(false)
    })
})

describe("challenges", () => {
    it("are good for 30 s, across the u32 wrap of the issue time", () => {
        expect(challengeFresh(1000, 1000)).toBe(true)
        expect(challengeFresh(1000, 1000 + NONCE_LIFETIME_MS)).toBe(true)
        expect(challengeFresh(1000, 1001 + NONCE_LIFETIME_MS)).toBe(false)
        expect(challengeFresh(4294967290, 4294967296 + 100)).toBe(true)
        // issued "later" than now: not fresh
        expect(challengeFresh(2000, 1000)).toBe(false)
    })

    it("are used once each, several outstanding at a time, in any order", () => {
        const w = newNonceWindow()
        for (const seq of [5, 3, 9]) {
            expect(nonceUnused(w, seq)).toBe(true)
            useNonce(w, seq)
            expect(nonceUnused(w, seq)).toBe(false)
        }
        expect(nonceUnused(w, 4)).toBe(true)
        expect(nonceUnused(w, 100)).toBe(true)
    })

    it("forget no used one: past the window, the oldest becomes the floor", () => {
        const w = newNonceWindow()
        for (let seq = 10; seq < 10 + NONCE_WINDOW + 3; seq++) useNonce(w, seq)
        expect(w.used.length).toBe(NONCE_WINDOW)
        for (let seq = 0; seq < 10 + NONCE_WINDOW + 3; seq++) expect(nonceUnused(w, seq), `${seq}`).toBe(false)
        expect(nonceUnused(w, 10 + NONCE_WINDOW + 3)).toBe(true)
    })
})
