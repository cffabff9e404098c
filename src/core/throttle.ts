/**
 * The companion channel's own throttle (the keypad's lockout is the keypad's alone): a token
 * bucket for checks, and a back-off that grows with consecutive frames that fail to
 * authenticate. Every frame it refuses, or that fails, counts towards a flood report. Pure: time
 * is an argument.
 */

/** Frames checked at once before the bucket is empty; one more per THROTTLE_REFILL_MS. */
export const THROTTLE_BURST = 24
export const THROTTLE_REFILL_MS = 500
/** Consecutive failures with no back-off; then 500 ms, doubling, up to THROTTLE_MAX_BACKOFF_MS. */
export const THROTTLE_FREE_FAILURES = 10
export const THROTTLE_BASE_BACKOFF_MS = 500
export const THROTTLE_MAX_BACKOFF_MS = 30000

export interface RemoteThrottle {
    tokens: number
    refillAt: number
    /** Consecutive frames that failed to authenticate. */
    failures: number
    /** No frame is checked before this time. */
    blockedUntil: number
}

export function newRemoteThrottle(): RemoteThrottle {
    return { tokens: THROTTLE_BURST, refillAt: 0, failures: 0, blockedUntil: 0 }
}

/** True when a frame may be checked now (it uses up one token); false: refuse it unchecked. */
export function throttleAllows(t: RemoteThrottle, now: number): boolean {
    if (now < t.blockedUntil) return false
    if (t.tokens < THROTTLE_BURST && now - t.refillAt >= THROTTLE_REFILL_MS) {
        const n = Math.floor((now - t.refillAt) / THROTTLE_REFILL_MS)
        t.tokens = Math.min(THROTTLE_BURST, t.tokens + n)
        t.refillAt = t.refillAt + n * THROTTLE_REFILL_MS
    }
    if (t.tokens <= 0) return false
    if (t.tokens === THROTTLE_BURST) t.refillAt = now
    t.tokens--
    return true
}

/** The back-off after `failures` consecutive failures (0 while they are few). */
export function backoffMs(failures: number): number {
    if (failures < THROTTLE_FREE_FAILURES) return 0
    let ms = THROTTLE_BASE_BACKOFF_MS
    for (let i = THROTTLE_FREE_FAILURES; i < failures && ms < THROTTLE_MAX_BACKOFF_MS; i++) ms = ms * 2
    return ms < THROTTLE_MAX_BACKOFF_MS ? ms : THROTTLE_MAX_BACKOFF_MS
}

/** A checked frame failed to authenticate: the back-off grows. */
export function throttleFailed(t: RemoteThrottle, now: number) {
    t.failures++
    const wait = backoffMs(t.failures)
    if (wait > 0) t.blockedUntil = now + wait
}

/** A frame authenticated: the back-off starts again from nothing. */
export function throttleSucceeded(t: RemoteThrottle) {
    t.failures = 0
    t.blockedUntil = 0
}
