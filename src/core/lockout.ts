import { Policy } from "./policy"

/**
 * Length of the lockout that follows the given number of consecutive failures.
 *
 * 0 while `failures <= policy.freeFailures`; then
 * `lockoutBaseMs * 2^(failures - freeFailures - 1)`, capped at `lockoutMaxMs`.
 * The doubling stops as soon as the cap is reached, so huge counts neither
 * overflow nor loop for long.
 */
export function lockoutDurationMs(policy: Policy, failures: number): number {
    const over = failures - policy.freeFailures
    if (!(over > 0) || !(policy.lockoutBaseMs > 0)) return 0
    const max = policy.lockoutMaxMs
    let duration = policy.lockoutBaseMs
    for (let i = 1; i < over && duration < max; i++) duration = duration * 2
    return duration < max ? duration : max
}
