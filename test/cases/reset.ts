/** The reset ritual: holding the program button 10 s wipes the lock, once per hold, whatever it was doing. */
import { Suite } from "./check"
import { contains, list, str } from "./compare"
import { audits, auditsFull, count, kinds, logs, MASTER, opened, Rig, USER, withUser } from "./rig"

export function resetSuite(): Suite {
    return {
        name: "the reset ritual",
        cases: [
            {
                name: "10 s of the program button wipe everything; 9.9 s do nothing",
                run: async check => {
                    const rig = await withUser(check)
                    check.eq(list(kinds(await rig.hold(9900))), "", "9.9 s")
                    check.eq(contains(logs(rig.history).join(","), "program button released after 9900 ms"), "yes", "logged")
                    const out = await rig.hold(10000)
                    check.eq(list(kinds(out)), "latch locked, factoryReset, alarm LockFactoryReset, sound reset", "10 s")
                    check.eq(list(audits(out)), "audit LockFactoryReset 0", "audit")
                    check.eq(list(auditsFull(out)), "audit LockFactoryReset 0 source 5 time 0", "from the button")
                    check.eq(
                        rig.st("setup users mode failures hasRecovery locked"),
                        "setup=true users=0 mode=0 failures=0 hasRecovery=false locked=true",
                        "status",
                    )
                    check.eq(str(opened(await rig.enter(MASTER))), "false", "the master")
                    check.eq(str(opened(await rig.enter(USER))), "false", "the user")
                },
            },
            {
                name: "the reset comes at 10 s while the button is still held",
                run: async check => {
                    const rig = await withUser(check)
                    rig.send({ type: "buttonDown" })
                    check.eq(list(kinds(await rig.wait(9900))), "", "9.9 s")
                    check.eq(list(kinds(await rig.wait(200))), "latch locked, factoryReset, alarm LockFactoryReset, sound reset", "10.1 s")
                    check.eq(rig.st("setup"), "setup=true", "setup mode")
                    check.eq(str(opened(await rig.enter(MASTER))), "false", "the master")
                },
            },
            {
                name: "resets once per hold, also during a lockout, a menu or in setup mode",
                run: async check => {
                    const rig = await withUser(check)
                    for (let i = 0; i < 6; i++) await rig.enter("8402")
                    check.eq(rig.status().lockoutRemainingMs > 0 ? "locked out" : "not", "locked out", "a lockout")
                    const out = await rig.hold(25000)
                    check.eq(str(count(out, "factoryReset")), "1", "resets in a 25 s hold")
                    check.eq(rig.st("lockoutRemainingMs"), "lockoutRemainingMs=0", "the lockout is gone")
                    const menu = await withUser(check)
                    await menu.menu()
                    await menu.hold(10000)
                    check.eq(menu.st("menu"), "menu=", "the menu is closed")
                    const setup = new Rig(check)
                    await setup.boot([{ slot: 1, code: MASTER }])
                    await setup.hold(10000)
                    check.eq(list(kinds(await setup.hold(10000))), "sound step, latch locked, factoryReset, alarm LockFactoryReset, sound reset", "in setup mode")
                },
            },
        ],
    }
}
