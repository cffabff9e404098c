/**
 * Every case file of the pure lock core. Node runs them all (test/core/cases.test.ts); the VM runs
 * them as two programs (test/firmware/core-*.devs.ts, one part each), because one DeviceScript
 * program holds at most 64 KB of function code and the core with every case is more than that.
 * A new case file is listed here once, in one of the parts, and runs in both. When `devs build`
 * of a part stops with "verification error: -1051", that part's code is over 64 KB: move a suite
 * to the other part, or add a part (a core-*.devs.ts entry and its target in scripts/build.ts).
 */
import { auditSuite } from "./audit"
import { bootSuite } from "./boot"
import { SuiteMaker } from "./check"
import { codesSuite } from "./codes"
import { companionSuite } from "./companion"
import { ctSuite } from "./ct"
import { doorSuite } from "./door"
import { enrolmentSuite } from "./enrolment"
import { entrySuite } from "./entry"
import { lockoutSuite } from "./lockout"
import { menuSuite } from "./menu"
import { modesSuite } from "./modes"
import { recoverySuite } from "./recovery"
import { firstEffectSuite, refusedSuite } from "./refusals"
import { relockSuite } from "./relock"
import { resetSuite } from "./reset"
import { scheduleSuite } from "./schedule"
import { secrecySuite } from "./secrecy"
import { setupSuite } from "./setup"
import { tamperSuite } from "./tamper"
import { uniquenessSuite } from "./uniqueness"
import { usersSuite } from "./users"
import { userTypesSuite } from "./usertypes"
import { verifySuite } from "./verify"

/** At the door: power-on, the keypad, codes checked, lockout, relock, setup and the codes it accepts, who opens, reset, recovery, modes, the door contact. */
export function doorSuites(): SuiteMaker[] {
    return [bootSuite, entrySuite, verifySuite, lockoutSuite, relockSuite, setupSuite, codesSuite, secrecySuite, userTypesSuite, refusedSuite, resetSuite, recoverySuite, modesSuite, doorSuite]
}

/**
 * Administration and what the lock keeps: the menu, companion commands and enrolment, constant-time compare, the user table, schedules, the audit log, tampering;
 * and where the first effect at the door falls in the effect order (here for the door part's heap).
 */
export function adminSuites(): SuiteMaker[] {
    return [menuSuite, companionSuite, enrolmentSuite, ctSuite, usersSuite, scheduleSuite, auditSuite, tamperSuite, uniquenessSuite, firstEffectSuite]
}

/** The VM programs, by the name scripts/build.ts gives them, and the suites each runs. */
export function vmParts(): { program: string; suites: SuiteMaker[] }[] {
    return [
        { program: "core-door-tests", suites: doorSuites() },
        { program: "core-admin-tests", suites: adminSuites() },
    ]
}

export function allSuites(): SuiteMaker[] {
    const all: SuiteMaker[] = []
    for (const part of vmParts()) for (const make of part.suites) all.push(make)
    return all
}

/** How many cases a list of suites holds. */
export function caseCount(suites: SuiteMaker[]): number {
    let n = 0
    for (const make of suites) n += make().cases.length
    return n
}
