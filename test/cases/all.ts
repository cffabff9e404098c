/**
 * Every case file of the pure lock core, in the order both runners take them: vitest in Node
 * (test/core/cases.test.ts) and the VM (test/firmware/core.devs.ts).
 * A new case file is listed here once and runs in both.
 */
import { Suite } from "./check"
import { AUDIT } from "./audit"
import { BOOT } from "./boot"
import { CODES } from "./codes"
import { CT } from "./ct"
import { ENTRY } from "./entry"
import { LOCKOUT } from "./lockout"
import { RELOCK } from "./relock"
import { SCHEDULE } from "./schedule"
import { SECRECY } from "./secrecy"
import { SETUP } from "./setup"
import { USERS } from "./users"
import { VERIFY } from "./verify"

export const SUITES: Suite[] = [BOOT, ENTRY, VERIFY, LOCKOUT, RELOCK, SETUP, SECRECY, CODES, CT, USERS, SCHEDULE, AUDIT]

/** How many cases there are in all. */
export function caseCount(): number {
    let n = 0
    for (const s of SUITES) n += s.cases().length
    return n
}
