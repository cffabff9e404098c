/** The recovery code: '*' and 12 digits open once, use it up, and ask for a new master code. */
import { Suite } from "./check"
import { contains, has, lastOf, list, str } from "./compare"
import { audits, kinds, logs, MASTER, opened, Rig, RIG_RECOVERY, sounds, tableOf, USER, withUser } from "./rig"

export function recoverySuite(): Suite {
    return {
        name: "the recovery code",
        cases: [
            {
                name: "opens once, is used up, and asks for a new master code (other users stay)",
                run: async check => {
                    const rig = await withUser(check)
                    const out = await rig.enter("*" + RIG_RECOVERY)
                    check.eq(str(opened(out)), "true", "opens")
                    const k = kinds(out)
                    check.eq(has(k, "saveRecovery none"), "yes", "used up on flash")
                    check.eq(k.indexOf("saveRecovery none") < k.indexOf("latch unlocked") ? "before" : "after", "before", "used up before the latch moves")
                    check.eq(list(audits(out)), "audit RecoveryUsed 0", "audit")
                    check.eq(rig.st("setupStage hasRecovery failures"), "setupStage=new hasRecovery=false failures=0", "status")
                    rig.recovery = "222233334444"
                    check.eq(lastOf(sounds(await rig.enter(USER))), "sound step", "a typed code goes to the new master flow")
                    check.eq(lastOf(sounds(await rig.enter("3917"))), "sound failure", "a mismatch")
                    await rig.enter("3917")
                    const saved = await rig.enter("3917")
                    for (const k2 of ["saveUsers 0", "issueRecovery", "saveRecovery set"]) check.eq(has(kinds(saved), k2), "yes", k2)
                    check.eq(contains(logs(saved).join(","), "new master code saved"), "yes", "logged")
                    check.eq(str(opened(await rig.enter(MASTER))), "false", "the old master")
                    check.eq(str(opened(await rig.enter("3917"))), "true", "the new master")
                    check.eq(str(opened(await rig.enter(USER))), "true", "the user")
                    check.eq(str(opened(await rig.enter("*" + RIG_RECOVERY))), "false", "the used recovery code")
                    check.eq(str(opened(await rig.enter("*222233334444"))), "true", "the new recovery code")
                },
            },
            {
                name: "opens once, then never, even after the new master flow times out",
                run: async check => {
                    const rig = new Rig(check)
                    rig.bootTable(tableOf([rig.hmac(MASTER)]), { recovery: true })
                    check.eq(str(opened(await rig.press("*" + RIG_RECOVERY + "#"))), "true", "once")
                    check.eq(rig.st("setupStage"), "setupStage=new", "asks for a new master")
                    await rig.press("*")
                    await rig.wait(130000)
                    check.eq(str(opened(await rig.press("*" + RIG_RECOVERY + "#"))), "false", "twice")
                    check.eq(rig.st("failures"), "failures=1", "counted")
                },
            },
            {
                name: "the new master may not be another user's code",
                run: async check => {
                    const rig = await withUser(check)
                    await rig.enter("*" + RIG_RECOVERY)
                    await rig.enter(USER)
                    check.eq(contains(logs(await rig.enter(USER)).join(","), "already in use"), "yes", "refused")
                    check.eq(rig.st("setupStage"), "setupStage=new", "asks again")
                },
            },
            {
                name: "never opens a lock without users, nor one whose code was used",
                run: async check => {
                    const rig = new Rig(check)
                    rig.bootTable(null, { recovery: true })
                    check.eq(str(opened(await rig.enter("*" + RIG_RECOVERY))), "false", "no users")
                    const used = new Rig(check)
                    await used.boot([], { recovery: false })
                    check.eq(str(opened(await used.enter("*" + RIG_RECOVERY))), "false", "used")
                    check.eq(used.st("failures"), "failures=1", "counted")
                },
            },
        ],
    }
}
