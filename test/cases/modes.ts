/** Operating modes (Vacation, Privacy, Passage, NoRemoteLockUnlock) and remote lock and unlock. */
import { OperatingMode } from "../../src/core/index"
import { Suite } from "./check"
import { has, list, str } from "./compare"
import { audits, auditsFull, kinds, MASTER, opened, Rig, RIG_RECOVERY, USER, withUser } from "./rig"

async function inMode(rig: Rig, mode: number) {
    await rig.boot([{ slot: 2, code: USER }], { mode: mode })
}

export function modesSuite(): Suite {
    return {
        name: "operating modes",
        cases: [
            {
                name: "Vacation: only the Programming user opens",
                run: async check => {
                    const rig = new Rig(check)
                    await inMode(rig, OperatingMode.Vacation)
                    check.eq(list(audits(await rig.enter(USER))), "audit RestrictedMode 2", "a user")
                    check.eq(str(opened(await rig.enter(MASTER))), "true", "the master")
                },
            },
            {
                name: "Privacy: nobody opens while locked, the menu still opens",
                run: async check => {
                    const rig = new Rig(check)
                    await inMode(rig, OperatingMode.Privacy)
                    check.eq(list(audits(await rig.enter(MASTER))), "audit RestrictedMode 1", "the master")
                    check.eq(str(opened(await rig.enter("*" + RIG_RECOVERY))), "false", "the recovery code")
                    check.eq(rig.st("menu"), "menu=", "no menu yet")
                    await rig.menu()
                    check.eq(rig.st("menu"), "menu=top", "the menu")
                },
            },
            {
                name: "Passage: opens at once and stays open; leaving it locks; a reboot opens again after locking",
                run: async check => {
                    const rig = await withUser(check)
                    await rig.menu()
                    await rig.enter("6")
                    check.eq(has(kinds(await rig.enter("4")), "latch unlocked"), "yes", "opens at once")
                    await rig.press("*")
                    check.eq(list(kinds(await rig.wait(120000))), "", "no relock")
                    rig.send({ type: "keyDown", key: "#" })
                    check.eq(list(kinds(await rig.wait(5000))), "", "no long-press lock")
                    rig.send({ type: "keyUp", key: "#" })
                    check.eq(rig.st("locked"), "locked=false", "open")
                    check.eq(list(kinds(await rig.boot([{ slot: 2, code: USER }], { mode: OperatingMode.Passage }))), "latch locked, latch unlocked", "reboot")
                    await rig.menu()
                    await rig.enter("6")
                    check.eq(has(kinds(await rig.enter("0")), "latch locked"), "yes", "back to Normal")
                    check.eq(rig.st("locked"), "locked=true", "locked")
                },
            },
            {
                name: "NoRemoteLockUnlock refuses remote operations, the keypad works",
                run: async check => {
                    const rig = new Rig(check)
                    await inMode(rig, OperatingMode.NoRemoteLockUnlock)
                    const out = rig.send({ type: "remote", op: "unlock", slot: 2 })
                    check.eq(str(opened(out)), "false", "remote unlock")
                    check.eq(list(audits(out)), "audit RemoteRefused 2", "audit")
                    check.eq(str(opened(await rig.enter(USER))), "true", "the keypad")
                },
            },
            {
                name: "remote unlock and lock in Normal; refused in setup mode; an unknown mode reads as Normal",
                run: async check => {
                    const rig = await withUser(check)
                    const out = rig.send({ type: "remote", op: "unlock", slot: 2 })
                    check.eq(str(opened(out)), "true", "remote unlock")
                    check.eq(list(audits(out)), "audit Unlock 2", "audit")
                    check.eq(list(auditsFull(out)), "audit Unlock 2 source 7 time 0", "from a remote")
                    check.eq(list(kinds(rig.send({ type: "remote", op: "lock", slot: 2 }))), "latch locked, sound locked", "remote lock")
                    const fresh = new Rig(check)
                    check.eq(str(opened(fresh.send({ type: "remote", op: "unlock", slot: 0 }))), "false", "setup mode")
                    const odd = new Rig(check)
                    await odd.boot([], { mode: 9 })
                    check.eq(odd.st("mode"), "mode=0", "mode 9")
                },
            },
        ],
    }
}
