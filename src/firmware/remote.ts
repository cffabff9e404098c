/**
 * Companion keys on the lock: enrolment (only with the program button pressed within 30 s), the
 * signed challenges, the check of a sealed command and the seal of its answer (AES-256-CCM,
 * 16-byte tag). The frames are core/frames.ts; this file holds the keys, the crypto and the flash.
 */
import * as ds from "@devicescript/core"
import { decrypt, encrypt, hmac, randomBuffer } from "@devicescript/crypto"
import { settings } from "@devicescript/settings"
import {
    answerPlain,
    argU32,
    CHALLENGE_BYTES,
    CHALLENGE_SIGNED_BYTES,
    challengeBody,
    challengeFresh,
    checkOpened,
    CMD_LOST_PHONE,
    CommandFrame,
    ctEqual,
    DIR_ANSWER,
    DIR_COMMAND,
    FRAME_SEALED,
    frameIv,
    newNonceWindow,
    NonceWindow,
    nonceUnused,
    parseChallenge,
    parseCommandPlain,
    PROTOCOL_VERSION,
    STATUS_REFUSED,
    useNonce,
    CMD_REVOKE,
    commandAction,
    Companion,
    companionIndex,
    COMPANION_KEY_BYTES,
    COMPANION_RECORDS,
    placeForEnrolment,
    PRESENCE_WINDOW_MS,
    RemoteAction,
    STATUS_BUSY,
    STATUS_FULL,
    STATUS_NO_PRESENCE,
    STATUS_OK,
    TAG_BYTES,
    textBytes,
} from "../core/index"
import { currentMeta, readRaw, saveMeta, sealed, unsealed, writeRaw } from "./store"

/**
 * One settings key per companion ($lk.p0 .. $lk.p11): a settings value holds at most ~230 bytes
 * in this runtime (one byte more crashes the VM), so the list is never one value.
 */
function companionKey(i: number) {
    return "$lk.p" + i
}

/**
 * The highest key id issued since the last factory reset: u8 (+ 4-byte tag). Written before the
 * record of the key it was issued to, so no id is issued twice, even when a record is reused or
 * lost. Read back at boot as the larger of it and every record's id.
 */
const LAST_ID_SETTING = "$lk.plast"

let companions: Companion[] = []
/** The highest key id issued (0: none); only ever grows, until a factory reset. */
let lastIssued = 0
let buttonAt = -1

/** What carrying out an authentic command found. */
export interface RemoteVerdict {
    status: number
    action: RemoteAction
    /** The command's argument bytes (authentic ones only). */
    args: number[]
}

/** A command that authenticated: who sent it, what it asks, and what its answer is sealed with. */
export interface Authentic {
    keyId: number
    counter: number
    command: number
    args: number[]
    challenge: Buffer
    /** The sender's key (kept for the answer even when the command revokes it). */
    key: Buffer
    /** Authentic but refused before reaching the lock (a used counter, a malformed command): why. */
    refusal: string
}

/** A companion record: u8 id, u8 revoked, u32 highest counter accepted, the key (zeros once revoked). */
const RECORD_BYTES = 6 + COMPANION_KEY_BYTES

/**
 * Saves companion record `i` sealed under the device key, and reads it back: false when the
 * store does not hold it (the caller then refuses what depended on it).
 */
async function saveOne(i: number): Promise<boolean> {
    const c = companions[i]
    const d = Buffer.alloc(RECORD_BYTES)
    d[0] = c.id
    d[1] = c.revoked ? 1 : 0
    d.setAt(2, "u32", c.counter)
    if (!c.revoked) d.blitAt(6, c.key as Buffer, 0, COMPANION_KEY_BYTES)
    return await writeRaw(companionKey(i), sealed("P", d))
}

/**
 * Loads the enrolled companions and the highest key id issued. A record whose tag does not match
 * (damaged, or written by someone without the device key) is kept as a revoked entry of no use to
 * anyone: its key stops working, the others do not, and its record is the first one an
 * enrolment reuses once every record is in use.
 */
export async function loadCompanions() {
    companions = []
    let damaged = 0
    const raw = await readRaw(LAST_ID_SETTING)
    const last = unsealed("I", raw, 1)
    if (last && last[0] > lastIssued) lastIssued = last[0]
    if (raw && !last) console.log("lock: the last companion key id on flash is damaged: ignored (the records' ids count)")
    for (let i = 0; i < COMPANION_RECORDS; i++) {
        const raw = await readRaw(companionKey(i))
        if (!raw) break
        const d = unsealed("P", raw, RECORD_BYTES)
        if (d && d[0] === 0 && d[1] === 1) {
            // the place of a record found damaged earlier, saved as such
            companions.push({ id: 0, key: null, counter: 0, revoked: true })
            continue
        }
        if (!d || d[0] < 1 || d[0] > 254 || d[1] > 1) {
            damaged++
            companions.push({ id: 0, key: null, counter: 0, revoked: true })
            continue
        }
        const revoked = d[1] === 1
        companions.push({ id: d[0], key: revoked ? null : d.slice(6, RECORD_BYTES), counter: d.getAt(2, "u32"), revoked: revoked })
    }
    if (damaged > 0) console.log(`lock: ${damaged} damaged companion record(s) ignored: those keys no longer work`)
}

/** Forgets every companion (factory reset). */
export async function wipeCompanions() {
    for (let i = 0; i < COMPANION_RECORDS; i++) await settings.delete(companionKey(i))
    await settings.delete(LAST_ID_SETTING)
    companions = []
    lastIssued = 0
}

/** The program button was pressed: physical presence for enrolment. */
export function notePresence() {
    buttonAt = ds.millis()
}

/** Whether the program button was pressed within the presence window; the press is spent either way. */
export function takePresence(): boolean {
    const ok = buttonAt >= 0 && ds.millis() - buttonAt <= PRESENCE_WINDOW_MS
    buttonAt = -1
    return ok
}

/** Signs the challenges of this boot (never leaves RAM). */
let challengeSecret: Buffer = null
/** Part of every IV of this boot: the sequence numbers start again at each boot. */
let bootTag: Buffer = null
let challengeSeq = 0
/** A key used in place of an unknown or revoked one, so every refusal costs the same work. */
let decoyKey: Buffer = null
/** The challenges each key id has used (ids of keys that authenticated only). */
let windowIds: number[] = []
let windows: NonceWindow[] = []

function initChallenges() {
    if (challengeSecret) return
    challengeSecret = randomBuffer(32)
    bootTag = randomBuffer(8)
    decoyKey = randomBuffer(COMPANION_KEY_BYTES)
}

function windowOf(keyId: number): NonceWindow {
    for (let i = 0; i < windowIds.length; i++) if (windowIds[i] === keyId) return windows[i]
    windowIds.push(keyId)
    const w = newNonceWindow()
    windows.push(w)
    return w
}

function challengeMac(keyId: number, body: Buffer): Buffer {
    const id = Buffer.alloc(1)
    id[0] = keyId & 0xff
    return hmac(challengeSecret, "sha256", id, body).slice(0, CHALLENGE_BYTES - CHALLENGE_SIGNED_BYTES)
}

/**
 * A fresh challenge for `keyId`: a new sequence number, this boot's tag, the time, and a MAC
 * under this boot's secret. Nothing is kept, so it is the same for any id, and asking for one
 * cancels nothing.
 */
export function issueChallenge(keyId: number): Buffer {
    initChallenges()
    challengeSeq++
    const body = Buffer.from(challengeBody(challengeSeq, bootTag, ds.millis() >>> 0))
    const out = Buffer.alloc(CHALLENGE_BYTES)
    out.blitAt(0, body, 0, CHALLENGE_SIGNED_BYTES)
    out.blitAt(CHALLENGE_SIGNED_BYTES, challengeMac(keyId, body), 0, CHALLENGE_BYTES - CHALLENGE_SIGNED_BYTES)
    return out
}

/**
 * Authenticates a command frame: a challenge this boot signed for its key id, fresh and not yet
 * used by that key; a live key; a seal that opens under it (IV from the challenge). Null for any
 * failure, with no hint of which: the caller answers every one alike. An authentic frame spends
 * its challenge; one that is authentic but cannot be carried out (a used counter, a malformed
 * command) comes back with a refusal its sender is told under the seal.
 */
export function authenticate(f: CommandFrame, now: number): Authentic {
    initChallenges()
    const challenge = Buffer.from(f.challenge)
    const ch = parseChallenge(f.challenge)
    const macOk = ctEqual(challengeMac(f.keyId, challenge.slice(0, CHALLENGE_SIGNED_BYTES)), challenge.slice(CHALLENGE_SIGNED_BYTES))
    const i = companionIndex(companions, f.keyId)
    const c = i >= 0 && !companions[i].revoked ? companions[i] : null
    let plain: Buffer = null
    try {
        plain = decrypt({ algo: "aes-256-ccm", key: c ? (c.key as Buffer) : decoyKey, iv: Buffer.from(frameIv(f.challenge, DIR_COMMAND)), data: Buffer.from(f.sealed), tagLength: TAG_BYTES })
    } catch (e) {
        plain = null
    }
    if (!plain || !c || !macOk || !ch || !challengeFresh(ch.at, now)) return null
    const w = windowOf(f.keyId)
    if (!nonceUnused(w, ch.seq)) return null
    useNonce(w, ch.seq)
    const cmd = parseCommandPlain(plain)
    const a: Authentic = { keyId: f.keyId, counter: cmd ? cmd.counter : 0, command: cmd ? cmd.command : 0, args: cmd ? cmd.rest : [], challenge: challenge, key: c.key as Buffer, refusal: "" }
    if (!cmd || !checkOpened(cmd.command, cmd.keyId, f.keyId, cmd.counter, c.counter, cmd.rest.length))
        a.refusal = cmd && cmd.keyId === f.keyId && !(cmd.counter > c.counter) ? "counter already used: this key file is older than the lock's record" : "malformed command"
    return a
}

/**
 * Seals the answer to an authentic command: the command, key id, counter and status it answers,
 * the store's generation, then the payload, under the sender's key with the challenge's answer IV.
 */
export function sealAnswer(a: Authentic, status: number, payload: Buffer): Buffer {
    const plain = Buffer.from(answerPlain(a.command, a.keyId, a.counter, status, currentMeta().generation, payload))
    const sealed = encrypt({ algo: "aes-256-ccm", key: a.key, iv: Buffer.from(frameIv(a.challenge, DIR_ANSWER)), data: plain, tagLength: TAG_BYTES })
    const out = Buffer.alloc(2 + sealed.length)
    out[0] = PROTOCOL_VERSION
    out[1] = FRAME_SEALED
    out.blitAt(2, sealed, 0, sealed.length)
    return out
}

/**
 * Enrols a new companion if the button was pressed within the presence window: a new key id
 * (saved first: never issued again), in a record never used or in the record of a revoked key
 * (core/enrolment.ts). Full only when MAX_COMPANIONS keys are live, or every key id was issued.
 */
export async function enrolCompanion(): Promise<[number, number, Buffer]> {
    if (buttonAt < 0 || ds.millis() - buttonAt > PRESENCE_WINDOW_MS) {
        console.log("lock: enrolment refused: press the program button first")
        return [STATUS_NO_PRESENCE, 0, Buffer.alloc(0)]
    }
    const place = placeForEnrolment(companions, lastIssued)
    if (place.refusal !== "") {
        console.log(`lock: enrolment refused: ${place.refusal}`)
        return [STATUS_FULL, 0, Buffer.alloc(0)]
    }
    const id = place.id
    const idRecord = Buffer.alloc(1)
    idRecord[0] = id
    if (!(await writeRaw(LAST_ID_SETTING, sealed("I", idRecord)))) {
        console.log("lock: enrolment failed: the key id did not read back")
        return [STATUS_BUSY, 0, Buffer.alloc(0)]
    }
    lastIssued = id
    const key = randomBuffer(COMPANION_KEY_BYTES)
    const i = place.record
    const old = i < companions.length ? companions[i] : null
    const fresh: Companion = { id: id, key: key, counter: 0, revoked: false }
    if (old) companions[i] = fresh
    else companions.push(fresh)
    if (!(await saveOne(i))) {
        // not on flash: the phone must not keep a key the lock will have forgotten after a restart
        if (old) companions[i] = old
        else companions.pop()
        console.log("lock: enrolment failed: the companion record did not read back")
        return [STATUS_BUSY, 0, Buffer.alloc(0)]
    }
    buttonAt = -1 // one enrolment per press
    // a new key raises the store's generation (not read back: the key works either way)
    await saveMeta(0)
    if (!old) console.log(`lock: companion ${id} enrolled`)
    else if (old.id === 0) console.log(`lock: companion ${id} enrolled (in the record of a damaged key)`)
    else console.log(`lock: companion ${id} enrolled (in the record of revoked key ${old.id})`)
    return [STATUS_OK, id, key]
}

/**
 * Revokes the companions at `targets` (indices) for the command of companion `keyId` (whose new
 * counter is already in RAM): writes each changed record, the sender's own record last, and
 * stops at the first that does not read back. Then, on a failure, the records are read again
 * from flash, so the lock holds exactly what a restart would find (a record left damaged counts
 * as revoked, a record left as it was is live again), and the answer is Busy. Revoking again is
 * harmless, and the sender's record, written last, is only revoked on flash when every other
 * write held: the same companion can ask again.
 */
async function revokeAndSave(targets: number[], keyId: number, counter: number): Promise<boolean> {
    const sender = companionIndex(companions, keyId)
    for (const i of targets) {
        companions[i].revoked = true
        companions[i].key = null
    }
    const order: number[] = []
    for (const i of targets) if (i !== sender) order.push(i)
    order.push(sender)
    for (const i of order) {
        if (await saveOne(i)) continue
        await loadCompanions()
        // the frame's nonce is spent: its counter stays used in RAM even if flash lost it
        const s = companionIndex(companions, keyId)
        if (s >= 0 && companions[s].counter < counter) companions[s].counter = counter
        let revoked = 0
        for (const c of companions) if (c.revoked) revoked++
        console.log(`lock: revocation not saved (a record did not read back): the lock holds what its flash holds (${revoked} revoked record(s))`)
        return false
    }
    // a revocation raises the store's generation (./store.ts) before the answer carries it; the
    // answer carries the raised one even if the meta did not read back: a companion then finds
    // the store behind after the next restart, and revokes again
    await saveMeta(0)
    return true
}

/**
 * Carries out the lock's part of an authentic command: its counter is saved before it takes
 * effect; revocations are carried out here, lock actions are returned for the core.
 */
export async function carryOut(a: Authentic): Promise<RemoteVerdict> {
    const keyId = a.keyId
    const counter = a.counter
    const i0 = companionIndex(companions, keyId)
    // the key may have changed since it authenticated (a revocation saved meanwhile)
    if (i0 < 0 || companions[i0].revoked || !(counter > companions[i0].counter)) return { status: STATUS_REFUSED, action: "none", args: null }
    const c = companions[i0]
    c.counter = counter
    let action = commandAction(a.command)
    let args = a.args
    // revocations: only a key the lock issued; revoking a revoked key again changes nothing
    const targets: number[] = []
    if (a.command === CMD_REVOKE) {
        const id = a.args[0]
        const i = id >= 1 ? companionIndex(companions, id) : -1
        if (i < 0) {
            console.log(`lock: revoke refused: no companion key ${id} (asked by companion ${keyId})`)
            action = "invalid"
            args = textBytes("no such companion key")
        } else if (!companions[i].revoked) {
            targets.push(i)
            action = "revoked"
        }
    } else if (a.command === CMD_LOST_PHONE) {
        for (let i = 0; i < companions.length; i++) if (!companions[i].revoked) targets.push(i)
        // audited with key id 0: every key
        action = "revoked"
        args = [0]
    } else if (action === "rolledBack") {
        // a companion found the store behind: the generation goes past the one it saw (before the
        // counter: a raise that outlives a refusal is harmless)
        await saveMeta(argU32(a.args))
    }
    // the counter before the command takes effect
    const saved = targets.length > 0 ? await revokeAndSave(targets, keyId, counter) : await saveOne(companionIndex(companions, keyId))
    if (!saved) {
        // a counter not on flash could be replayed after a restart: refuse (Busy: not carried out)
        console.log(`lock: companion record did not read back: command from companion ${keyId} not carried out`)
        return { status: STATUS_BUSY, action: "none", args: null }
    }
    if (a.command === CMD_REVOKE && action !== "invalid") console.log(`lock: companion ${a.args[0]} revoked (by companion ${keyId})`)
    else if (a.command === CMD_LOST_PHONE) console.log(`lock: every companion key revoked (lost phone, by companion ${keyId})`)
    return { status: STATUS_OK, action: action, args: args }
}
