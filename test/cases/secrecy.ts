/** Secrecy: no effect but "hash" ever carries a typed code, no log a digest; digests nobody asked for are ignored. */
import { Effect } from "../../src/core/index"
import { Suite } from "./check"
import { contains, hex, list, str } from "./compare"
import { CODE, full, kinds, MASTER, OTHER, ready, Rig, RIG_RECOVERY, USER, withUser } from "./rig"

/** The effects (all but "hash") whose full text holds one of the secrets, named once each. */
function leaks(history: Effect[], secrets: string[]): string {
    const out: string[] = []
    for (const e of history) {
        if (e.type === "hash") continue
        const text = full(e)
        for (const secret of secrets) if (text.indexOf(secret) >= 0) out.push(`${secret} in "${text}"`)
    }
    return list(out)
}

export function secrecySuite(): Suite {
    return {
        name: "secrecy",
        cases: [
            {
                name: "no effect but 'hash' ever carries the code, no log carries a digest",
                run: async check => {
                    const rig = new Rig(check)
                    rig.bootCodes([])
                    rig.button()
                    for (const code of ["1234", CODE, OTHER, CODE, CODE, OTHER, "739", CODE + "12345"]) await rig.enter(code)
                    for (let i = 0; i < 8; i++) await rig.enter(OTHER)
                    await rig.wait(100000)
                    await rig.enter(CODE)
                    await rig.wait(40000)
                    const hexes = [hex(rig.hmac(CODE)), hex(rig.hmac(OTHER))]
                    check.eq(leaks(rig.history, [CODE, OTHER, "739", "1234", hexes[0], hexes[1]]), "", "codes or digests in effects")
                    let logged = 0
                    const prefixes: string[] = []
                    for (const e of rig.history)
                        if (e.type === "log") {
                            logged++
                            for (const h of hexes) if (contains(e.message, h.slice(0, 8)) === "yes") prefixes.push(e.message)
                        }
                    check.eq(list(prefixes), "", "logs holding the start of a digest")
                    check.eq(logged > 10 ? "logged" : str(logged), "logged", "more than 10 log lines")
                    check.eq(rig.history.length > 20 ? "checked" : str(rig.history.length), "checked", "more than 20 effects")
                },
            },
            {
                name: "ignores an unexpected digest",
                run: async check => {
                    const rig = ready(check)
                    check.eq(list(kinds(rig.send({ type: "digest", digest: rig.hmac(CODE) }))), "", "effects")
                    check.eq(rig.st("locked"), "locked=true", "locked")
                },
            },
            {
                name: "no effect but 'hash' carries a code, across menu, recovery and reset",
                run: async check => {
                    const rig = await withUser(check)
                    await rig.enter("8402")
                    await rig.menu()
                    for (const step of ["1", "0", "2468", "2468"]) await rig.enter(step)
                    await rig.press("*")
                    await rig.enter("*" + RIG_RECOVERY)
                    await rig.enter("3917")
                    await rig.enter("3917")
                    await rig.hold(10000)
                    check.eq(leaks(rig.history, [MASTER, USER, "8402", "2468", "3917", RIG_RECOVERY]), "", "codes in effects")
                },
            },
        ],
    }
}
