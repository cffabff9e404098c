/**
 * A read-only byte sequence: a Buffer in DeviceScript, a Uint8Array (or a
 * plain number array) in Node.
 */
export interface Bytes {
    readonly length: number
    [index: number]: number
}

/** Length of an HMAC-SHA256 digest. */
export const HMAC_LENGTH = 32

/**
 * 1 when the two sequences differ, 0 when equal. Reads every byte of the
 * shorter one; the lengths are public, the contents are not.
 */
function differs(a: Bytes, b: Bytes): number {
    const n = a.length < b.length ? a.length : b.length
    let diff = a.length ^ b.length
    for (let i = 0; i < n; i++) diff |= a[i] ^ b[i]
    // (diff | -diff) has its sign bit set iff diff != 0 (bytes are 0..255, lengths small)
    return (diff | -diff) >>> 31
}

/**
 * Constant-time equality of two byte sequences: XORs and ORs every byte,
 * never exits early. Returns false at once if the lengths differ (digests
 * have a fixed, public length).
 */
export function ctEqual(a: Bytes, b: Bytes): boolean {
    if (a.length !== b.length) return false
    return differs(a, b) === 0
}

/*
 * Branch-free helpers for numbers the lock decides on: each does the same work whatever its
 * arguments, so a scan or a decision built from them costs the same for every slot and state.
 */

/** 1 when the integers `a` and `b` (0..2^32-1) are equal, else 0. */
export function same(a: number, b: number): number {
    const x = a ^ b
    return 1 - ((x | (0 - x)) >>> 31)
}

/** 1 when `a` < `b`, else 0, for integers less than 2^40 apart (wall seconds, minutes). */
export function below(a: number, b: number): number {
    return -Math.floor((a - b) / 1099511627776)
}

/** `a` when `bit` is 1, `b` when it is 0 (bit must be 0 or 1). */
export function pick(bit: number, a: number, b: number): number {
    return b + (a - b) * bit
}
