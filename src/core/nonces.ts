/**
 * Which challenges a key may still use: each is good once, for NONCE_LIFETIME_MS. Challenges are
 * issued for any key id without keeping anything (the lock signs them), so asking for one never
 * cancels another; a key accepts a challenge whose sequence number is above its floor and not
 * among the last NONCE_WINDOW it used. Pure: time is an argument.
 */
import { NONCE_LIFETIME_MS } from "./remote"

/** Used sequence numbers a key remembers; older ones raise its floor. */
export const NONCE_WINDOW = 8

export interface NonceWindow {
    /** Every sequence number at or below this one is spent. */
    floor: number
    /** Sequence numbers above the floor already used. */
    used: number[]
}

export function newNonceWindow(): NonceWindow {
    return { floor: -1, used: [] }
}

/** Whether a challenge issued at `at` (lock ms as a u32) is still fresh at `now`, across the u32 wrap. */
export function challengeFresh(at: number, now: number): boolean {
    // no %: DeviceScript's is 32-bit
    let age = (now >>> 0) - at
    if (age < 0) age = age + 4294967296
    return age <= NONCE_LIFETIME_MS
}

/** Whether the key has not used challenge `seq` yet. */
export function nonceUnused(w: NonceWindow, seq: number): boolean {
    if (seq <= w.floor) return false
    for (const s of w.used) if (s === seq) return false
    return true
}

/** Marks challenge `seq` used; past NONCE_WINDOW, the oldest becomes the floor. */
export function useNonce(w: NonceWindow, seq: number) {
    w.used.push(seq)
    while (w.used.length > NONCE_WINDOW) {
        let lowest = 0
        for (let i = 1; i < w.used.length; i++) if (w.used[i] < w.used[lowest]) lowest = i
        if (w.used[lowest] > w.floor) w.floor = w.used[lowest]
        const rest: number[] = []
        for (let i = 0; i < w.used.length; i++) if (i !== lowest) rest.push(w.used[i])
        w.used = rest
    }
}
