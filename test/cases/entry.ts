/** Typing at the keypad: digits, '*', the entry timeout, over-long entries, and the keypad grammar. */
import { Suite } from "./check"
import { has, list, repeat, str, tail } from "./compare"
import { CODE, count, kinds, opened, ready, shown, USER, withUser } from "./rig"

export function entrySuite(): Suite {
    return {
        name: "typing at the keypad",
        cases: [
            {
                name: "accumulates digits with a key tone",
                run: async check => {
                    const rig = ready(check)
                    check.eq(list(kinds(await rig.press("739"))), "sound key, sound key, sound key", "three digits")
                    check.eq(rig.st("entryLength"), "entryLength=3", "entry")
                },
            },
            {
                name: "clears on '*'",
                run: async check => {
                    const rig = ready(check)
                    await rig.press("739")
                    check.eq(list(kinds(await rig.press("*"))), "sound key", "star")
                    check.eq(rig.st("entryLength"), "entryLength=0", "cleared")
                    check.eq(has(kinds(await rig.enter(CODE)), "latch unlocked"), "yes", "a code after it opens")
                },
            },
            {
                name: "times out after 10 s without a key",
                run: async check => {
                    const rig = ready(check)
                    await rig.press("73")
                    const keyAt = rig.now - 100 // last keyDown
                    rig.advance(keyAt + 9999 - rig.now)
                    check.eq(list(shown(rig.tick())), "", "9,999 ms after the key")
                    check.eq(rig.st("entryLength"), "entryLength=2", "still there")
                    rig.advance(1)
                    check.eq(list(kinds(rig.tick())), "sound timeout", "10 s after the key")
                    check.eq(rig.st("entryLength"), "entryLength=0", "cleared")
                    check.eq(list(shown(rig.tick())), "", "once")
                },
            },
            {
                name: "each key restarts the idle timer",
                run: async check => {
                    const rig = ready(check)
                    for (let i = 0; i < 5; i++) {
                        await rig.press("1")
                        await rig.wait(9000)
                    }
                    check.eq(rig.st("entryLength"), "entryLength=5", "five digits kept")
                },
            },
            {
                name: "starts afresh when a key comes after the timeout but before the tick",
                run: async check => {
                    const rig = ready(check)
                    await rig.press("55")
                    rig.advance(20000)
                    check.eq(list(kinds(await rig.press("7"))), "sound timeout, sound key", "timeout, then the key")
                    check.eq(rig.st("entryLength"), "entryLength=1", "a new entry")
                    check.eq(has(kinds(await rig.press("391#")), "latch unlocked"), "yes", "it completes the code")
                },
            },
            {
                name: "ignores '#' on an empty entry while locked",
                run: async check => {
                    const rig = ready(check)
                    check.eq(list(shown(await rig.press("#"))), "", "nothing")
                    await rig.wait(5000)
                    check.eq(rig.st("failures locked"), "failures=0 locked=true", "no attempt")
                },
            },
            {
                name: "ignores unknown keys",
                run: async check => {
                    const rig = ready(check)
                    check.eq(list(shown(rig.send({ type: "keyDown", key: "A" }))), "", "A")
                    check.eq(list(shown(rig.send({ type: "keyDown", key: "12" }))), "", "12")
                    check.eq(list(shown(rig.send({ type: "keyDown", key: "" }))), "", "nothing")
                    check.eq(rig.st("entryLength"), "entryLength=0", "entry")
                },
            },
            {
                name: "keeps at most max+1 digits of an over-long entry, and fails it without hashing",
                run: async check => {
                    const rig = ready(check)
                    await rig.press(repeat("1", 100))
                    check.eq(rig.st("entryLength"), "entryLength=9", "status")
                    check.eq(str(rig.state.entry.length), "9", "digits kept")
                    check.eq(str(rig.state.overlong), "true", "marked over-long")
                    check.eq(list(kinds(await rig.press("#"))), "saveCounter 1 false, sound failure", "submitted")
                    check.eq(rig.st("failures"), "failures=1", "counted")
                },
            },
            {
                name: "digits then * then a digit: the * cleared them",
                run: async check => {
                    const rig = await withUser(check)
                    await rig.press("83*")
                    check.eq(rig.st("entryLength"), "entryLength=0", "cleared")
                    check.eq(str(opened(await rig.enter(USER))), "true", "a code after it opens")
                },
            },
            {
                name: "** and *# clear without an attempt",
                run: async check => {
                    const rig = await withUser(check)
                    await rig.press("**")
                    await rig.press("*#")
                    await rig.press("12**")
                    check.eq(rig.st("failures entryLength"), "failures=0 entryLength=0", "nothing counted")
                    check.eq(str(count(rig.history, "saveCounter")), "0", "counter writes")
                },
            },
            {
                name: "* then 12 digits then # is a counted recovery attempt; another length is an invalid entry",
                run: async check => {
                    const rig = await withUser(check)
                    rig.autoDigest = false
                    check.eq(tail(kinds(await rig.press("*123456789012#")), 2), "saveCounter 1 false, hash *123456789012", "12 digits")
                    rig.autoDigest = true
                    rig.send({ type: "digest", digest: rig.hmac("*123456789012") })
                    for (const bad of ["*12345678901#", "*1234567890123#"]) check.eq(tail(kinds(await rig.press(bad)), 1), "sound failure", bad)
                    check.eq(rig.st("failures"), "failures=3", "three attempts")
                },
            },
        ],
    }
}
