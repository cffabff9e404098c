/** Setup mode: the first master code, set with the program button and typed twice; the lock never opens meanwhile. */
import { Effect } from "../../src/core/index"
import { Check, Suite } from "./check"
import { bytesText, contains, has, list, sliceBytes, str, tail } from "./compare"
import { CODE, count, kinds, logs, opened, OTHER, ready, Rig } from "./rig"

function inSetup(check: Check): Rig {
    const rig = new Rig(check)
    rig.bootCodes([null, null])
    return rig
}

/** The program button, then the code twice. */
async function setUp(rig: Rig, code: string): Promise<Effect[]> {
    const out = rig.button()
    for (const e of await rig.enter(code)) out.push(e)
    for (const e of await rig.enter(code)) out.push(e)
    return out
}

export function setupSuite(): Suite {
    return {
        name: "setup mode",
        cases: [
            {
                name: "refuses digits before the program button and keeps nothing",
                run: async check => {
                    const rig = inSetup(check)
                    check.eq(list(kinds(await rig.press("73"))), "sound failure, sound failure", "two digits")
                    check.eq(rig.st("setup setupStage entryLength"), "setup=true setupStage=idle entryLength=0", "status")
                    check.eq(list(kinds(await rig.enter(CODE))), "sound failure, sound failure, sound failure, sound failure, sound failure", "a code")
                    check.eq(str(count(rig.history, "hash")), "0", "hashes")
                    check.eq(str(opened(rig.history)), "false", "opened")
                },
            },
            {
                name: "opens stage 'new' on the program button",
                run: async check => {
                    const rig = inSetup(check)
                    check.eq(list(kinds(rig.button())), "sound step", "button")
                    check.eq(rig.st("setupStage"), "setupStage=new", "stage")
                },
            },
            {
                name: "stores a code entered twice, and stays locked",
                run: async check => {
                    const rig = inSetup(check)
                    rig.button()
                    const first = await rig.enter(CODE)
                    check.eq(tail(kinds(first), 2), `hash ${CODE}, sound step`, "first time")
                    check.eq(rig.st("setupStage"), "setupStage=confirm", "stage")
                    const second = await rig.enter(CODE)
                    check.eq(tail(kinds(second), 6), `hash ${CODE}, saveUsers 0, saveCounter 0 true, issueRecovery, sound success, saveRecovery set`, "second time")
                    let saved = "none"
                    for (const e of second) if (e.type === "saveUsers") saved = bytesText(sliceBytes(e.data, 9, 17))
                    check.eq(saved, bytesText(sliceBytes(rig.hmac(CODE), 0, 8)), "slot 1's digest on flash")
                    check.eq(rig.st("setup setupStage locked"), "setup=false setupStage=idle locked=true", "status")
                    check.eq(str(opened(rig.history)), "false", "opened during setup")
                    check.eq(has(kinds(await rig.enter(CODE)), "latch unlocked"), "yes", "the code opens")
                },
            },
            {
                name: "refuses weak codes and stays in stage 'new'",
                run: async check => {
                    const rig = inSetup(check)
                    rig.button()
                    for (const weak of ["1234", "0000", "7890", "1212", "2000", "123456"]) {
                        const out = await rig.enter(weak)
                        check.eq(tail(kinds(out), 1), "sound failure", weak)
                        check.eq(str(count(out, "hash")), "0", `${weak}: hashes`)
                        check.eq(contains(logs(out).join(" "), "refused"), "yes", `${weak}: logged as refused`)
                        check.eq(contains(logs(out).join(" "), weak), "no", `${weak}: the log leaves the code out`)
                        check.eq(rig.st("setupStage"), "setupStage=new", `${weak}: stage`)
                    }
                },
            },
            {
                name: "refuses codes of the wrong length",
                run: async check => {
                    const rig = inSetup(check)
                    rig.button()
                    for (const bad of ["739", "739152048"]) {
                        const out = await rig.enter(bad)
                        check.eq(tail(kinds(out), 1), "sound failure", bad)
                        const text = logs(out).join(" ")
                        check.eq(text.indexOf("too short") >= 0 || text.indexOf("too long") >= 0 ? "why" : text, "why", `${bad}: too short or too long`)
                    }
                    check.eq(rig.st("setupStage"), "setupStage=new", "stage")
                },
            },
            {
                name: "goes back to 'new' when the confirmation differs",
                run: async check => {
                    const rig = inSetup(check)
                    rig.button()
                    await rig.enter(CODE)
                    check.eq(tail(kinds(await rig.enter(OTHER)), 2), `hash ${OTHER}, sound failure`, "another code")
                    check.eq(rig.st("setup setupStage"), "setup=true setupStage=new", "status")
                    check.eq(rig.state.setupFirst === null ? "forgotten" : "kept", "forgotten", "the first code is forgotten")
                    // entering it once more starts over
                    check.eq(tail(kinds(await rig.enter(CODE)), 1), "sound step", "first again")
                    check.eq(tail(kinds(await rig.enter(CODE)), 4), "saveCounter 0 true, issueRecovery, sound success, saveRecovery set", "confirmed")
                },
            },
            {
                name: "a confirmation of another length is a mismatch",
                run: async check => {
                    const rig = inSetup(check)
                    rig.button()
                    await rig.enter(CODE)
                    check.eq(tail(kinds(await rig.enter("73")), 1), "sound failure", "two digits")
                    check.eq(rig.st("setupStage"), "setupStage=new", "stage")
                },
            },
            {
                name: "times out after 2 minutes idle and forgets the first code",
                run: async check => {
                    const rig = inSetup(check)
                    rig.button()
                    await rig.enter(CODE)
                    check.eq(rig.st("setupStage"), "setupStage=confirm", "stage")
                    check.eq(list(kinds(await rig.wait(120000))), "sound timeout", "2 minutes")
                    check.eq(rig.st("setupStage"), "setupStage=idle", "stage")
                    check.eq(rig.state.setupFirst === null ? "forgotten" : "kept", "forgotten", "the first code is forgotten")
                    check.eq(list(kinds(await rig.press("7"))), "sound failure", "a digit")
                },
            },
            {
                name: "keys keep the setup open",
                run: async check => {
                    const rig = inSetup(check)
                    rig.button()
                    for (let i = 0; i < 5; i++) {
                        await rig.wait(100000)
                        await rig.press("*")
                    }
                    check.eq(rig.st("setupStage"), "setupStage=new", "stage")
                },
            },
            {
                name: "a partial entry times out in setup too",
                run: async check => {
                    const rig = inSetup(check)
                    rig.button()
                    await rig.press("73")
                    check.eq(list(kinds(await rig.wait(10000))), "sound timeout", "10 s")
                    check.eq(rig.st("setupStage entryLength"), "setupStage=new entryLength=0", "status")
                },
            },
            {
                name: "does not count toward the lockout counter",
                run: async check => {
                    const rig = inSetup(check)
                    rig.button()
                    for (let i = 0; i < 10; i++) await rig.enter("1234")
                    for (let i = 0; i < 10; i++) {
                        await rig.enter(CODE)
                        await rig.enter(OTHER)
                    }
                    check.eq(rig.st("failures lockoutRemainingMs"), "failures=0 lockoutRemainingMs=0", "status")
                    check.eq(str(count(rig.history, "saveCounter")), "0", "counter writes")
                },
            },
            {
                name: "never opens, whatever is typed",
                run: async check => {
                    const rig = inSetup(check)
                    rig.button()
                    for (const code of ["7391", "0000", "1234", "", "5820"]) {
                        await rig.enter(code)
                        await rig.press("#")
                    }
                    check.eq(str(opened(rig.history)), "false", "opened")
                    check.eq(rig.st("locked"), "locked=true", "locked")
                },
            },
            {
                name: "the program button restarts the flow",
                run: async check => {
                    const rig = inSetup(check)
                    rig.button()
                    await rig.enter(CODE)
                    check.eq(list(kinds(rig.button())), "sound step", "button again")
                    check.eq(rig.st("setupStage"), "setupStage=new", "stage")
                    check.eq(rig.state.setupFirst === null ? "forgotten" : "kept", "forgotten", "the first code is forgotten")
                },
            },
            {
                name: "the program button does nothing once a code is stored",
                run: async check => {
                    const rig = ready(check)
                    check.eq(list(kinds(rig.button())), "", "button")
                    check.eq(rig.st("setup setupStage"), "setup=false setupStage=idle", "status")
                },
            },
            {
                name: "works before the boot event too",
                run: async check => {
                    const rig = new Rig(check)
                    check.eq(tail(kinds(await setUp(rig, CODE)), 5), "saveUsers 0, saveCounter 0 true, issueRecovery, sound success, saveRecovery set", "stored")
                },
            },
        ],
    }
}
