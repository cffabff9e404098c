/**
 * Companion keys on the lock: enrolment (only with the program button pressed within 30 s), the
 * challenge nonce, and the check of a sealed command (AES-256-CCM, 16-byte tag). The framing rules
 * are in core/remote.ts; this file holds the keys, the crypto and the flash.
 */
import * as ds from "@devicescript/core"
import { decrypt, randomBuffer } from "@devicescript/crypto"
import { readSetting, writeSetting } from "@devicescript/settings"
import {
    checkCommand,
    checkEnvelope,
    CMD_CLEAR_LOCKOUT,
    CMD_LOCK,
    CMD_LOST_PHONE,
    CMD_REVOKE,
    CMD_UNLOCK,
    Companion,
    companionIndex,
    COMPANION_KEY_BYTES,
    ivBytes,
    nextCompanionId,
    NONCE_BYTES,
    parseCommand,
    PRESENCE_WINDOW_MS,
    RemoteAction,
    STATUS_BAD_TAG,
    STATUS_FULL,
    STATUS_NO_PRESENCE,
    STATUS_OK,
    TAG_BYTES,
} from "../core/index"

const COMPANIONS_SETTING = "$lk.phones"

let companions: Companion[] = []
let nonce: Buffer = null
let nonceAt = 0
let buttonAt = -1

/** What checking a sealed command found. */
export interface RemoteVerdict {
    status: number
    action: RemoteAction
}

async function save() {
    const list: any[] = []
    for (const c of companions)
        list.push({ i: c.id, k: c.revoked ? null : (c.key as Buffer).toString("hex"), c: c.counter, r: c.revoked })
    await writeSetting(COMPANIONS_SETTING, list)
}

/** Loads the enrolled companions; damaged entries are dropped (that key simply stops working). */
export async function loadCompanions() {
    const list = await readSetting<any[]>(COMPANIONS_SETTING, null)
    companions = []
    if (!Array.isArray(list)) return
    for (const e of list) {
        if (!e || typeof e.i !== "number" || typeof e.c !== "number") continue
        const revoked = !!e.r
        if (!revoked && (typeof e.k !== "string" || e.k.length !== COMPANION_KEY_BYTES * 2)) continue
        companions.push({ id: e.i, key: revoked ? null : Buffer.from(e.k, "hex"), counter: e.c, revoked: revoked })
    }
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

/** Enrols a new companion if the button was pressed within the presence window. */
export async function enrolCompanion(): Promise<[number, number, Buffer]> {
    if (buttonAt < 0 || ds.millis() - buttonAt > PRESENCE_WINDOW_MS) {
        console.log("lock: enrolment refused: press the program button first")
        return [STATUS_NO_PRESENCE, 0, Buffer.alloc(0)]
    }
    const id = nextCompanionId(companions)
    if (id < 0) return [STATUS_FULL, 0, Buffer.alloc(0)]
    const key = randomBuffer(COMPANION_KEY_BYTES)
    companions.push({ id: id, key: key, counter: 0, revoked: false })
    await save()
    buttonAt = -1 // one enrolment per press
    console.log(`lock: companion ${id} enrolled`)
    return [STATUS_OK, id, key]
}

function revoke(id: number) {
    const i = companionIndex(companions, id)
    if (i >= 0) {
        companions[i].revoked = true
        companions[i].key = null
    }
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
    let status = checkEnvelope(companions, keyId, counter, sealed ? sealed.length : 0)
    if (status !== STATUS_OK) return { status: status, action: "none" }
    const c = companions[companionIndex(companions, keyId)]
    const iv = Buffer.from(ivBytes(keyId, counter))
    let plain: Buffer = null
    try {
        plain = decrypt({ algo: "aes-256-ccm", key: c.key as Buffer, iv: iv, data: sealed, tagLength: TAG_BYTES })
    } catch (e) {
        plain = null
    }
    if (!plain) return { status: STATUS_BAD_TAG, action: "none" }
    const cmd = parseCommand(plain)
    status = checkCommand(cmd, keyId, counter, challenge, challengeAt, now)
    if (status !== STATUS_OK) return { status: status, action: "none" }
    c.counter = counter
    let action: RemoteAction = "none"
    if (cmd.command === CMD_UNLOCK) action = "unlock"
    else if (cmd.command === CMD_LOCK) action = "lock"
    else if (cmd.command === CMD_CLEAR_LOCKOUT) action = "clearLockout"
    else if (cmd.command === CMD_REVOKE) {
        revoke(cmd.args[0])
        console.log(`lock: companion ${cmd.args[0]} revoked (by companion ${keyId})`)
    } else if (cmd.command === CMD_LOST_PHONE) {
        for (const x of companions) revoke(x.id)
        console.log(`lock: every companion key revoked (lost phone, by companion ${keyId})`)
    }
    await save()
    return { status: STATUS_OK, action: action }
}
