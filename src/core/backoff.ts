/**
 * How long the link waits before dialling the broker again: doubling from RECONNECT_FIRST_MS up
 * to RECONNECT_MAX_MS, plus up to a quarter more at random, so a fleet of locks that lost the same
 * broker does not come back in lockstep. The cap keeps a restarted broker's locks back within
 * about 10 s. Pure.
 */
export const RECONNECT_FIRST_MS = 1000
export const RECONNECT_MAX_MS = 8000

/** The wait after the `failures`-th failed attempt in a row (1 = the first), `jitter` in [0, 1). */
export function reconnectDelayMs(failures: number, jitter: number): number {
    let d = RECONNECT_FIRST_MS
    for (let i = 1; i < failures && d < RECONNECT_MAX_MS; i++) d = d * 2
    if (d > RECONNECT_MAX_MS) d = RECONNECT_MAX_MS
    const j = jitter >= 0 && jitter < 1 ? jitter : 0
    return d + Math.floor((d / 4) * j)
}
