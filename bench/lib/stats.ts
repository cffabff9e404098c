/** Small statistics and randomness helpers for the benchmarks (no dependencies). */

/** Running mean and variance (Welford), numerically stable for millions of samples. */
export class Moments {
    n = 0
    mean = 0
    private m2 = 0
    push(x: number) {
        this.n++
        const d = x - this.mean
        this.mean += d / this.n
        this.m2 += d * (x - this.mean)
    }
    get variance(): number {
        return this.n > 1 ? this.m2 / (this.n - 1) : 0
    }
}

/** Welch's t statistic of two samples given by their moments (0 when undefined). */
export function welchT(a: Moments, b: Moments): number {
    if (a.n < 2 || b.n < 2) return 0
    const se = Math.sqrt(a.variance / a.n + b.variance / b.n)
    if (!(se > 0)) return a.mean === b.mean ? 0 : Infinity
    return (a.mean - b.mean) / se
}

/** Welch's t of two plain arrays. */
export function welchTOf(a: ArrayLike<number>, b: ArrayLike<number>): number {
    const ma = new Moments()
    const mb = new Moments()
    for (let i = 0; i < a.length; i++) ma.push(a[i])
    for (let i = 0; i < b.length; i++) mb.push(b[i])
    return welchT(ma, mb)
}

/** The p-th percentile (0..100) of an ascending array, nearest-rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
    if (sorted.length === 0) return NaN
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
    return sorted[i]
}

/** Deterministic PRNG (mulberry32): same seed, same sequence. Not for secrets. */
export class Rng {
    private s: number
    constructor(seed: number) {
        this.s = seed >>> 0
    }
    /** Uniform in [0, 1). */
    next(): number {
        this.s = (this.s + 0x6d2b79f5) >>> 0
        let t = this.s
        t = Math.imul(t ^ (t >>> 15), t | 1)
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    /** Integer in [0, n). */
    int(n: number): number {
        return Math.floor(this.next() * n)
    }
    /** Integer in [lo, hi]. */
    range(lo: number, hi: number): number {
        return lo + this.int(hi - lo + 1)
    }
    pick<T>(xs: readonly T[]): T {
        return xs[this.int(xs.length)]
    }
    chance(p: number): boolean {
        return this.next() < p
    }
    /** A string of `n` random decimal digits. */
    digits(n: number): string {
        let s = ""
        for (let i = 0; i < n; i++) s += String.fromCharCode(48 + this.int(10))
        return s
    }
    bytes(n: number): Uint8Array {
        const b = new Uint8Array(n)
        for (let i = 0; i < n; i++) b[i] = this.int(256)
        return b
    }
}

/** Rounds to `digits` decimals (for results.json). */
export function round(x: number, digits = 2): number {
    if (!isFinite(x)) return x
    const f = 10 ** digits
    return Math.round(x * f) / f
}

/** Runs `tasks` with at most `limit` in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length)
    let next = 0
    async function worker() {
        while (next < items.length) {
            const i = next++
            out[i] = await task(items[i], i)
        }
    }
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
    return out
}
