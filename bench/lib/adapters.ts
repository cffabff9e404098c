/**
 * The ONE place where the benchmarks touch the lock's API: when the core or the firmware store
 * changes, update these adapters and every benchmark follows.
 *
 * Node side: the firmware's verification path is HMAC-SHA256(device key, entry) and then the
 * core's decision (bench/lib/decision.ts times it: findUser over every slot, then decideKeypad).
 */
import { policyFromProfile } from "../../src/config/policy"
import { createHmac, randomBytes } from "node:crypto"
import { Bytes, weakCodeReason, DEFAULT_POLICY, Policy } from "../../src/core/index"
import { Rng } from "./stats"

export { DEFAULT_POLICY, weakCodeReason }
export type { Policy, Bytes }

/** How many users the issue asks the benchmarks to enrol. */
export const USERS = 250
export const DIGEST_BYTES = 32

export function deviceKey(): Buffer {
    return randomBytes(DIGEST_BYTES)
}

/** HMAC-SHA256(key, code), as the firmware computes it (@devicescript/crypto hmac). */
export function digestOf(key: Uint8Array, code: string): Buffer {
    return createHmac("sha256", key).update(code).digest()
}

/**
 * A deliberately leaky verification, for the timing test's control: first-match loop over the
 * slots with an early-exit byte compare (what the Matter reference lock does with memcmp).
 */
export function leakyVerifyDigest(slots: (Bytes | null)[], d: Bytes): number {
    for (let s = 0; s < slots.length; s++) {
        const slot = slots[s]
        if (!slot) continue
        let same = true
        for (let i = 0; i < DIGEST_BYTES; i++)
            if (slot[i] !== d[i]) {
                same = false
                break
            }
        if (same) return s
    }
    return -1
}

/** `n` distinct acceptable codes (lengths minLen..maxLen) and their digests, slot i = codes[i]. */
export function enrolUsers(key: Uint8Array, n: number, rng: Rng, minLen = 4, maxLen = 8): { codes: string[]; slots: Buffer[] } {
    const seen = new Set<string>()
    const codes: string[] = []
    while (codes.length < n) {
        const c = rng.digits(rng.range(minLen, maxLen))
        if (seen.has(c) || weakCodeReason(c) !== null) continue
        seen.add(c)
        codes.push(c)
    }
    return { codes, slots: codes.map(c => digestOf(key, c)) }
}

/** Every acceptable code of exactly `len` digits, in ascending order (what a patient attacker tries). */
export function acceptableCodes(len: number): string[] {
    const out: string[] = []
    const n = 10 ** len
    for (let i = 0; i < n; i++) {
        const c = String(i).padStart(len, "0")
        if (weakCodeReason(c) === null) out.push(c)
    }
    return out
}

/** The core policy the firmware builds from a profile (the firmware's own mapping). */
export const policyOf = policyFromProfile
