/**
 * Companion keys on the lock: enrolment (only with the program button pressed within 30 s), the
 * challenge nonce, and the check of a sealed command (AES-256-CCM, 16-byte tag). The framing rules
 * are in core/remote.ts; this file holds the keys, the crypto and the flash.
 */
import * as ds from "@devicescript/core"
import { decrypt, encrypt, randomBuffer } from "@devicescript/crypto"
import { settings } from "@devicescript/settings"
import {
    checkCommand,
    checkEnvelope,
    CMD_LOST_PHONE,
    CMD_REVOKE,
    commandAction,
    Companion,
    companionIndex,
    COMPANION_KEY_BYTES,
    COMPANION_RECORDS,
    ivBytes,
    NONCE_BYTES,
    parseCommand,
    placeForEnrolment,
    PRESENCE_WINDOW_MS,
    RemoteAction,
    replyIvBytes,
    STATUS_BAD_TAG,
    STATUS_BUSY,
    STATUS_FULL,
    STATUS_NO_PRESENCE,
    STATUS_OK,
    TAG_BYTES,
    textBytes,
} from "../core/index"
import { readRaw, sealed, unsealed, writeRaw } from "./store"

/**
 * One settings key per companion ($lk.p0 .. $lk.p7): a settings value holds at most ~230 bytes
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
let nonce: Buffer = null
let nonceAt = 0
let buttonAt = -1

/** What checking a sealed command found. */
export interface RemoteVerdict {
    status: number
    action: RemoteAction
    /** The command's argument bytes (authentic ones only). */
    args: number[]
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

/** A fresh challenge; any older one is forgotten. */
export function issueNonce(): Buffer {
    nonce = randomBuffer(NONCE_BYTES)
    nonceAt = ds.millis()
    return nonce
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
    return true
}

/**
 * Checks a sealed command against the outstanding nonce (which it consumes, whatever the result)
 * and the key's counter. An accepted command's counter is saved before the command takes effect;
 * revocations are carried out here, lock actions are returned for the core.
 */
export async function checkSealed(counter: number, keyId: number, sealed: Buffer): Promise<RemoteVerdict> {
    const now = ds.millis()
    const challenge = nonce
    const challengeAt = nonceAt
    nonce = null
    // no answer of an earlier command may be sealed with its key
    replyKey = null
    let status = checkEnvelope(companions, keyId, counter, sealed ? sealed.length : 0)
    if (status !== STATUS_OK) return { status: status, action: "none", args: null }
    const c = companions[companionIndex(companions, keyId)]
    const iv = Buffer.from(ivBytes(keyId, counter))
    let plain: Buffer = null
    try {
        plain = decrypt({ algo: "aes-256-ccm", key: c.key as Buffer, iv: iv, data: sealed, tagLength: TAG_BYTES })
    } catch (e) {
        plain = null
    }
    if (!plain) return { status: STATUS_BAD_TAG, action: "none", args: null }
    const cmd = parseCommand(plain)
    status = checkCommand(cmd, keyId, counter, challenge, challengeAt, now)
    if (status !== STATUS_OK) return { status: status, action: "none", args: null }
    c.counter = counter
    // the answer is sealed with this key even when the command revokes it
    replyKey = c.key as Buffer
    let action = commandAction(cmd.command)
    let args = cmd.args
    // revocations: only a key the lock issued; revoking a revoked key again changes nothing
    const targets: number[] = []
    if (cmd.command === CMD_REVOKE) {
        const id = cmd.args[0]
        const i = id >= 1 ? companionIndex(companions, id) : -1
        if (i < 0) {
            console.log(`lock: revoke refused: no companion key ${id} (asked by companion ${keyId})`)
            action = "invalid"
            args = textBytes("no such companion key")
        } else if (!companions[i].revoked) {
            targets.push(i)
            action = "revoked"
        }
    } else if (cmd.command === CMD_LOST_PHONE) {
        for (let i = 0; i < companions.length; i++) if (!companions[i].revoked) targets.push(i)
        // audited with key id 0: every key
        action = "revoked"
        args = [0]
    }
    // the counter before the command takes effect
    const saved = targets.length > 0 ? await revokeAndSave(targets, keyId, counter) : await saveOne(companionIndex(companions, keyId))
    if (!saved) {
        // a counter not on flash could be replayed after a restart: refuse (Busy: not carried out)
        console.log(`lock: companion record did not read back: command from companion ${keyId} not carried out`)
        return { status: STATUS_BUSY, action: "none", args: null }
    }
    if (cmd.command === CMD_REVOKE && action !== "invalid") console.log(`lock: companion ${cmd.args[0]} revoked (by companion ${keyId})`)
    else if (cmd.command === CMD_LOST_PHONE) console.log(`lock: every companion key revoked (lost phone, by companion ${keyId})`)
    return { status: STATUS_OK, action: action, args: args }
}

/** The key of the last authentic command: its answer is sealed with it. */
let replyKey: Buffer = null

/**
 * Seals the answer to the authentic command (`keyId`, `counter`) just checked: AES-256-CCM under
 * the same companion key, with the answer IV (core/remote.ts replyIvBytes). Empty when there is
 * nothing to say.
 */
export function sealReply(keyId: number, counter: number, plain: Buffer): Buffer {
    const key = replyKey
    replyKey = null
    if (!key || !plain || plain.length === 0) return Buffer.alloc(0)
    return encrypt({ algo: "aes-256-ccm", key: key, iv: Buffer.from(replyIvBytes(keyId, counter)), data: plain, tagLength: TAG_BYTES })
}
