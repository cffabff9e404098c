/** Checking a submitted code: the counter on flash first, the hash, the answer, and which entries count. */
import { Suite } from "./check"
import { has, list, str, tail } from "./compare"
import { CODE, count, full, kinds, logs, OTHER, ready, Rig, shown } from "./rig"

export function verifySuite(): Suite {
    return {
        name: "checking a code",
        cases: [
            {
                name: "saves the incremented counter first, then asks for the hash, and clears the entry",
                run: async check => {
                    const rig = ready(check)
                    rig.autoDigest = false
                    await rig.press(CODE)
                    const out = await rig.press("#")
                    check.eq(list([full(out[0]), full(out[1])]), `saveCounter failures=1 served=false, hash code=${CODE}`, "the first two effects")
                    check.eq(rig.st("entryLength busy failures"), "entryLength=0 busy=true failures=1", "status")
                    check.eq(rig.state.entry, "", "the entry")
                },
            },
            {
                name: "ignores keys while the hash is pending",
                run: async check => {
                    const rig = ready(check)
                    rig.autoDigest = false
                    await rig.enter(CODE)
                    check.eq(list(shown(await rig.press("123*#"))), "", "keys")
                    check.eq(list(shown(rig.send({ type: "buttonDown" }))), "", "the program button")
                    check.eq(rig.st("entryLength busy"), "entryLength=0 busy=true", "still checking")
                    check.eq(list(kinds(rig.send({ type: "digest", digest: rig.hmac(CODE) }))), "latch unlocked, saveCounter 0 false, sound success", "the answer")
                    check.eq(rig.st("busy locked"), "busy=false locked=false", "opened")
                },
            },
            {
                name: "opens on the right code: latch, counter reset, success tone",
                run: async check => {
                    const rig = ready(check)
                    await rig.enter(OTHER)
                    await rig.press(CODE)
                    const out = await rig.press("#")
                    check.eq(list(kinds(out)), `saveCounter 2 false, hash ${CODE}, latch unlocked, saveCounter 0 false, sound success`, "effects")
                    check.eq(logs(out).length > 0 ? "logged" : "silent", "logged", "a log line")
                    check.eq(rig.st("locked failures"), "locked=false failures=0", "status")
                },
            },
            {
                name: "finds the code in any slot",
                run: async check => {
                    const rig = new Rig(check)
                    const codes = [rig.hmac("1111"), null, rig.hmac(OTHER), null, rig.hmac(CODE)]
                    rig.bootCodes(codes, 2, true)
                    check.eq(has(kinds(await rig.enter(CODE)), "latch unlocked"), "yes", "slot 5")
                    check.eq(has(logs(rig.history), "unlocked (slot 5, Unrestricted)"), "yes", "logged")
                    check.eq(rig.st("failures locked"), "failures=0 locked=false", "counter cleared")
                    rig.bootCodes(codes)
                    check.eq(has(kinds(await rig.enter(OTHER)), "latch unlocked"), "yes", "slot 3")
                },
            },
            {
                name: "refuses a wrong code: failure tone, counter stays up, failures logged",
                run: async check => {
                    const rig = ready(check)
                    const out = await rig.enter(OTHER)
                    check.eq(tail(kinds(out), 3), `saveCounter 1 false, hash ${OTHER}, sound failure`, "effects")
                    check.eq(logs(out).join(" ").indexOf("failures 1") >= 0 ? "logged" : logs(out).join(" "), "logged", "the count")
                    check.eq(rig.st("locked failures"), "locked=true failures=1", "status")
                },
            },
            {
                name: "counts too-short entries as failures without hashing",
                run: async check => {
                    const rig = ready(check)
                    const out = await rig.enter("739")
                    check.eq(tail(kinds(out), 2), "saveCounter 1 false, sound failure", "effects")
                    check.eq(str(count(out, "hash")), "0", "hashes")
                    check.eq(rig.st("failures entryLength busy"), "failures=1 entryLength=0 busy=false", "status")
                },
            },
            {
                name: "counts over-long entries as failures, never truncating them to a valid code",
                run: async check => {
                    const rig = ready(check)
                    const out = await rig.enter(CODE + "00000") // 9 digits: its first 8 are not the code either way
                    check.eq(tail(kinds(out), 2), "saveCounter 1 false, sound failure", "effects")
                    check.eq(str(count(out, "hash")), "0", "hashes")
                    const rig2 = new Rig(check)
                    rig2.bootCodes([rig2.hmac("12345670")])
                    check.eq(has(kinds(await rig2.enter("123456709")), "latch unlocked"), "no", "the code and one digit more")
                    check.eq(has(kinds(await rig2.enter("1234567012345670")), "latch unlocked"), "no", "the code twice")
                    check.eq(rig2.st("failures"), "failures=2", "two failures")
                    check.eq(has(kinds(await rig2.enter("12345670")), "latch unlocked"), "yes", "the code itself")
                },
            },
            {
                name: "accepts codes of every allowed length",
                run: async check => {
                    for (const code of ["7391", "73915", "739152", "7391520", "73915204"]) {
                        const rig = new Rig(check)
                        rig.bootCodes([rig.hmac(code)])
                        check.eq(has(kinds(await rig.enter(code)), "latch unlocked"), "yes", code)
                    }
                },
            },
        ],
    }
}
