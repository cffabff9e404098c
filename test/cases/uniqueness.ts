/**
 * "Code already in use" is not an oracle: each answer costs what a wrong code at the
 * keypad costs. In the menu and in setup after a recovery it is a failed keypad attempt (the same
 * counter, the same lockout); a companion's `users add` counts every uniqueness check and, past
 * the keypad's free failures, waits as long as a keypad lockout would. So mapping the codes
 * through any channel is no faster than guessing them at the keypad.
 */
import { lockoutDurationMs, LockState, RemoteAction, STATUS_INVALID, STATUS_OK, STATUS_REFUSED, userAddArgs } from "../../src/core/index"
import { Check, Suite } from "./check"
import { contains, list, str, textOf } from "./compare"
import { audits, logs, MASTER, Rig, RIG_RECOVERY, USER, withUser } from "./rig"

/**
 * The wait the try just typed imposed on the keypad (0: none): the lockout's end less the time its
 * '#' went down, 100 ms before now (rig.press waits 50 ms before the key is up and 50 ms after).
 */
function keypadWait(rig: Rig): number {
    const s: LockState = rig.state
    return s.lockoutActive ? s.lockoutUntil - (rig.now - 100) : 0
}

/** A companion's `users add` of `code`: the answer's status and text (a breath first: each is a scan). */
async function companionAdd(rig: Rig, code: string): Promise<string> {
    await rig.check.breathe()
    rig.send({ type: "remoteAttempt" })
    const action: RemoteAction = "userAdd"
    const out = rig.send({ type: "remoteResult", ok: true, action: action, keyId: 1, args: userAddArgs(0, null, code, "") })
    for (const e of out) if (e.type === "remoteReply") return `${e.status} ${textOf(e.detail)}`
    return "no answer"
}

/** The waits after each of `n` wrong codes at the keypad, each typed once the keypad takes codes. */
async function keypadWaits(check: Check, n: number): Promise<string> {
    const rig = await withUser(check)
    const waits: string[] = []
    for (let i = 0; i < n; i++) {
        rig.advance(rig.state.lockoutActive ? rig.state.lockoutUntil - rig.now : 0)
        await rig.enter("840" + i)
        waits.push(str(keypadWait(rig)))
    }
    return list(waits)
}

export function uniquenessSuite(): Suite {
    return {
        name: "code uniqueness is not an oracle",
        cases: [
            {
                name: "in the menu, a code in use is a failed keypad attempt: counted, audited, and it locks out as wrong codes do",
                run: async check => {
                    const rig = await withUser(check)
                    const waits: string[] = []
                    await rig.menu()
                    await rig.enter("1")
                    await rig.enter("0")
                    const first = await rig.enter(USER)
                    check.eq(contains(logs(first).join(","), "menu: refused: code already in use (failures 1)"), "yes", "the answer")
                    check.eq(list(audits(first)), "audit InvalidCredential 0", "audited as a wrong code, no slot")
                    waits.push(str(keypadWait(rig)))
                    for (let i = 1; i < 6; i++) {
                        await rig.enter(USER)
                        waits.push(str(keypadWait(rig)))
                    }
                    check.eq(rig.st("failures"), "failures=6", "counted")
                    check.eq(list(waits), await keypadWaits(check, 6), "the same waits as six wrong codes at the keypad")
                },
            },
            {
                name: "in setup after a recovery, a code in use is a failed keypad attempt",
                run: async check => {
                    const rig = await withUser(check)
                    await rig.enter("*" + RIG_RECOVERY)
                    await rig.enter(USER)
                    const out = await rig.enter(USER)
                    check.eq(contains(logs(out).join(","), "already in use, enter new code again (failures 1)"), "yes", "refused")
                    check.eq(rig.st("failures setupStage"), "failures=1 setupStage=new", "counted; asks again")
                },
            },
            {
                name: "a companion's code checks wait like the keypad after its free failures; the wait is answered",
                run: async check => {
                    const rig = await withUser(check)
                    const answers: string[] = []
                    for (let i = 0; i < 6; i++) answers.push(await companionAdd(rig, i % 2 === 0 ? USER : MASTER))
                    check.eq(list(answers), repeatText(`${STATUS_INVALID} code already in use`, 6), "six checks answered")
                    const waited = await companionAdd(rig, "2468")
                    check.eq(waited, `${STATUS_REFUSED} code checks wait ${lockoutDurationMs(rig.state.policy, 6) / 1000} s`, "the seventh waits")
                    check.eq(str(rig.state.userCount), "2", "nothing added while it waits")
                    check.eq(rig.st("failures"), "failures=0", "the keypad's counter is the keypad's")
                    rig.advance(lockoutDurationMs(rig.state.policy, 6))
                    check.eq(await companionAdd(rig, "2468"), `${STATUS_OK} ` + textOf([3]), "after the wait: added")
                    check.eq(contains(await companionAdd(rig, "3579"), "code checks wait 60 s"), "yes", "the next waits twice as long")
                },
            },
            {
                name: "mapping codes through the companion is no faster than guessing at the keypad: the same wait after each try",
                run: async check => {
                    const rig = await withUser(check)
                    const waits: string[] = []
                    for (let i = 0; i < 8; i++) {
                        rig.advance(rig.state.codeChecksUntil > rig.now ? rig.state.codeChecksUntil - rig.now : 0)
                        await companionAdd(rig, USER)
                        waits.push(str(rig.state.codeChecksUntil > rig.now ? rig.state.codeChecksUntil - rig.now : 0))
                    }
                    check.eq(list(waits), await keypadWaits(check, 8), "waits after each of 8 tries")
                },
            },
            {
                name: "a right code at the keypad forgives the companion's code checks",
                run: async check => {
                    const rig = await withUser(check)
                    for (let i = 0; i < 6; i++) await companionAdd(rig, USER)
                    check.eq(contains(await companionAdd(rig, "2468"), "code checks wait"), "yes", "waits")
                    await rig.enter(MASTER)
                    check.eq(await companionAdd(rig, "2468"), `${STATUS_OK} ` + textOf([3]), "forgiven")
                },
            },
        ],
    }
}

function repeatText(s: string, n: number): string {
    const out: string[] = []
    for (let i = 0; i < n; i++) out.push(s)
    return list(out)
}
