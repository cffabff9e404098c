/**
 * What the lock keeps in flash, through DeviceScript settings. Keys start with `$` so the
 * settings service never returns their values over the bus. No code is ever stored: only
 * HMAC-SHA256(device key, code) digests.
 *
 * A missing or damaged value reads back as the SAFE choice: no device key -> a new one (and
 * the old digests become useless, so setup mode); unreadable codes -> none (setup mode, the
 * lock never opens); an unreadable failure counter -> one failure past the free allowance, so
 * a wiped counter costs an attacker a lockout instead of giving attempts back.
 */
import { deleteSetting, readSetting, writeSetting } from "@devicescript/settings"
import { randomBuffer } from "@devicescript/crypto"
import { Bytes } from "../core/index"

const KEY_SETTING = "$lk.key"
const CODES_SETTING = "$lk.codes"
const COUNTER_SETTING = "$lk.count"
const DIGEST_BYTES = 32

/** The failure counter as persisted. */
export interface Counter {
    failures: number
    served: boolean
}

function isHex(s: any, bytes: number) {
    if (typeof s !== "string" || s.length !== bytes * 2) return false
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i)
        if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false
    }
    return true
}

/** Returns the device key, generating and saving 32 random bytes the first time. */
export async function loadDeviceKey(): Promise<Buffer> {
    const hex = await readSetting<string>(KEY_SETTING, null)
    if (isHex(hex, DIGEST_BYTES)) return Buffer.from(hex, "hex")
    const key = randomBuffer(DIGEST_BYTES)
    await writeSetting(KEY_SETTING, key.toString("hex"))
    // a new key invalidates every digest made with the old one
    await deleteSetting(CODES_SETTING)
    return key
}

/** Stored code digests by slot (null = empty slot). Damaged entries read as empty. */
export async function loadCodes(): Promise<Bytes[]> {
    const list = await readSetting<any[]>(CODES_SETTING, null)
    const out: Bytes[] = []
    if (!Array.isArray(list)) return out
    for (let i = 0; i < list.length; i++)
        out.push(isHex(list[i], DIGEST_BYTES) ? Buffer.from(list[i], "hex") : null)
    return out
}

/** Saves the code digests (slots in order; null for an empty slot). */
export async function saveCodes(codes: Bytes[]) {
    const list: string[] = []
    for (let i = 0; i < codes.length; i++) list.push(codes[i] ? (codes[i] as Buffer).toString("hex") : null)
    await writeSetting(CODES_SETTING, list)
}

/** The failure counter; null when it is missing or damaged (the caller picks the safe reading). */
export async function loadCounter(): Promise<Counter> {
    const c = await readSetting<any>(COUNTER_SETTING, null)
    if (c === null || c === undefined || typeof c !== "object") return null
    if (typeof c.f !== "number" || c.f < 0 || Math.floor(c.f) !== c.f) return null
    return { failures: c.f, served: !!c.s }
}

/**
 * Persists the failure counter and reads it back: resolves true only once the settings store
 * holds exactly this value (a settings write is a command to the settings service; the read-back
 * is what proves it was applied). False means the write did not take.
 */
export async function saveCounter(c: Counter): Promise<boolean> {
    await writeSetting(COUNTER_SETTING, { f: c.failures, s: c.served })
    const back = await loadCounter()
    return !!back && back.failures === c.failures && back.served === c.served
}
