/** Power-on: a new lock, and the boot event that restores what flash held (latch first, codes, counter). */
import { createLock, DEFAULT_POLICY, lockStatus } from "../../src/core/index"
import { Suite } from "./check"
import { has, list } from "./compare"
import { CODE, full, kinds, logs, OTHER, ready, Rig, statusText, STATUS_FIELDS } from "./rig"

export function bootSuite(): Suite {
    return {
        name: "power-on and boot",
        cases: [
            {
                name: "createLock starts locked, in setup mode, idle",
                run: async check => {
                    const st = createLock(DEFAULT_POLICY, 0)
                    check.eq(
                        statusText(lockStatus(st, 0), STATUS_FIELDS),
                        "setup=true setupStage=idle locked=true failures=0 lockoutRemainingMs=0 entryLength=0 busy=false mode=0 users=0 " +
                            "menu= clockSet=false door=unknown wallSeconds=0 hasRecovery=false",
                        "status",
                    )
                },
            },
            {
                name: "boot locks the latch first, then restores codes",
                run: async check => {
                    const rig = new Rig(check)
                    const out = rig.bootCodes([rig.hmac(CODE)])
                    check.eq(full(out[0]), "latch locked=true", "first effect")
                    check.eq(rig.st("setup locked failures"), "setup=false locked=true failures=0", "status")
                },
            },
            {
                name: "boot locks first even when the state was unlocked",
                run: async check => {
                    const rig = ready(check)
                    await rig.enter(CODE)
                    check.eq(rig.st("locked"), "locked=false", "opened")
                    const out = rig.bootCodes([rig.hmac(CODE)])
                    check.eq(full(out[0]), "latch locked=true", "first effect")
                    check.eq(rig.st("locked"), "locked=true", "locked")
                },
            },
            {
                name: "boot stays in setup mode without codes (empty list or all null)",
                run: async check => {
                    const empty = new Rig(check)
                    empty.bootCodes([])
                    check.eq(empty.st("setup"), "setup=true", "empty list")
                    const nulls = new Rig(check)
                    nulls.bootCodes([null, null])
                    check.eq(nulls.st("setup"), "setup=true", "all null")
                },
            },
            {
                name: "boot reads a user table of the wrong size as empty (setup mode)",
                run: async check => {
                    const rig = new Rig(check)
                    rig.bootTable(Buffer.alloc(100))
                    check.eq(rig.st("setup"), "setup=true", "setup")
                },
            },
            {
                name: "boot restores the failure counter",
                run: async check => {
                    const rig = new Rig(check)
                    rig.bootCodes([rig.hmac(CODE)], 3, false)
                    check.eq(rig.st("failures lockoutRemainingMs"), "failures=3 lockoutRemainingMs=0", "restored")
                    check.eq(list(kinds(await rig.enter(OTHER))), "sound key, sound key, sound key, sound key, saveCounter 4 false, hash 5820, sound failure", "the next failure")
                },
            },
            {
                name: "boot restarts an unserved lockout in full from boot time",
                run: async check => {
                    const rig = new Rig(check)
                    rig.advance(5000000)
                    rig.bootCodes([rig.hmac(CODE)], 7, false)
                    check.eq(rig.st("failures lockoutRemainingMs"), "failures=7 lockoutRemainingMs=60000", "in full")
                    check.eq(list(kinds(await rig.press("1"))), "sound lockout", "a key")
                    await rig.wait(59800)
                    check.eq(rig.status().lockoutRemainingMs > 0 ? "locked out" : "over", "locked out", "200 ms before its end")
                    check.eq(list(kinds(await rig.wait(200))), "saveCounter 7 true", "served")
                    check.eq(rig.st("lockoutRemainingMs"), "lockoutRemainingMs=0", "over")
                },
            },
            {
                name: "boot does not restart a served lockout",
                run: async check => {
                    const rig = new Rig(check)
                    rig.bootCodes([rig.hmac(CODE)], 7, true)
                    check.eq(rig.st("lockoutRemainingMs"), "lockoutRemainingMs=0", "no lockout")
                    check.eq(has(kinds(await rig.enter(CODE)), "latch unlocked"), "yes", "the code opens")
                },
            },
            {
                name: "boot never starts a lockout within the free failures",
                run: async check => {
                    const rig = new Rig(check)
                    rig.bootCodes([rig.hmac(CODE)], 5, false)
                    check.eq(rig.st("lockoutRemainingMs"), "lockoutRemainingMs=0", "five failures")
                },
            },
            {
                name: "boot treats a nonsense counter as zero",
                run: async check => {
                    const rig = new Rig(check)
                    rig.bootCodes([rig.hmac(CODE)], NaN, false)
                    check.eq(rig.st("failures"), "failures=0", "NaN")
                    rig.bootCodes([rig.hmac(CODE)], -4, false)
                    check.eq(rig.st("failures"), "failures=0", "-4")
                },
            },
            {
                name: "boot drops a partial entry and a pending hash",
                run: async check => {
                    const rig = ready(check)
                    rig.autoDigest = false
                    await rig.press("73")
                    rig.bootCodes([rig.hmac(CODE)])
                    check.eq(rig.st("entryLength busy"), "entryLength=0 busy=false", "partial entry dropped")
                    await rig.enter(CODE)
                    check.eq(rig.st("busy"), "busy=true", "a code being checked")
                    rig.bootCodes([rig.hmac(CODE)])
                    check.eq(rig.st("busy"), "busy=false", "the check dropped")
                    check.eq(list(logs(rig.send({ type: "digest", digest: rig.hmac(CODE) }))), "unexpected digest ignored", "a late digest")
                    check.eq(rig.st("locked"), "locked=true", "still locked")
                },
            },
        ],
    }
}
