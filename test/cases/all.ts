/**
 * Every case file of the pure lock core, in the order both runners take them: vitest in Node
 * (test/core/cases.test.ts) and @devicescript/test in the VM (test/firmware/core.devs.ts).
 * A new case file is listed here once and runs in both.
 */
import { Suite } from "./check"
import { AUDIT } from "./audit"
import { CODES } from "./codes"
import { CT } from "./ct"
import { LOCKOUT } from "./lockout"
import { SCHEDULE } from "./schedule"
import { USERS } from "./users"

export const SUITES: Suite[] = [LOCKOUT, CODES, CT, USERS, SCHEDULE, AUDIT]

/** How many cases there are in all. */
export function caseCount(): number {
    let n = 0
    for (const s of SUITES) n += s.cases().length
    return n
}
