/** Which codes the lock accepts: weak codes (weakCodeReason), code syntax, and the keypad's keys. */
import { codeSyntaxError, COMMON_CODES, DEFAULT_POLICY, isDigitKey, isKey, Policy, weakCodeReason } from "../../src/core/index"
import { Check, Suite } from "./check"
import { str } from "./compare"

const TOP_20 = [
    "1234", "1111", "0000", "1212", "7777", "1004", "2000", "4444", "2222", "6969",
    "9999", "3333", "5555", "6666", "1122", "1313", "8888", "4321", "2001", "1010",
]
const COMMON_LONG = ["123456", "654321", "111111", "000000", "123123", "121212", "112233", "159753", "12345678", "87654321", "11111111"]

function verdict(code: string): string {
    const r = weakCodeReason(code)
    return r === null ? "accepted" : "refused"
}

/** Each code's reason (weakCodeReason reads the whole blocklist: the VM breathes between codes). */
async function reasons(check: Check, codes: string[], expected: string) {
    for (const c of codes) {
        check.eq(str(weakCodeReason(c)), expected, c)
        await check.breathe()
    }
}

async function refused(check: Check, codes: string[]) {
    for (const c of codes) {
        check.eq(verdict(c), "refused", c)
        await check.breathe()
    }
}

export function codesSuite(): Suite {
    return {
        name: "which codes the lock accepts",
        cases: [
            {
                name: "weakCodeReason refuses the 20 most common 4-digit PINs",
                run: async check => {
                    await refused(check, TOP_20)
                },
            },
            {
                name: "weakCodeReason refuses common 6- and 8-digit PINs",
                run: async check => {
                    await refused(check, COMMON_LONG)
                },
            },
            {
                name: "weakCodeReason refuses everything on its own blocklist",
                run: async check => {
                    await refused(check, COMMON_CODES)
                },
            },
            {
                name: "weakCodeReason names blocklisted codes that match no pattern 'common code'",
                run: async check => {
                    await reasons(check, ["1004", "2000", "1122", "2001", "159753", "112233", "2580"], "common code")
                },
            },
            {
                name: "weakCodeReason refuses all-same digits of any length",
                run: async check => {
                    await reasons(check, ["0000", "5555", "22222", "999999", "3333333", "7777777", "33333333"], "all same digit")
                },
            },
            {
                name: "weakCodeReason refuses straight runs up and down, wrapping 9->0 and 0->9",
                run: async check => {
                    await reasons(check, ["1234", "2345", "6789", "7890", "8901", "9012", "0123456", "34567890"], "straight run")
                    await reasons(check, ["4321", "9876", "3210", "2109", "1098", "0987", "876543", "43210987"], "straight run")
                },
            },
            {
                name: "weakCodeReason refuses repeated patterns",
                run: async check => {
                    await reasons(check, ["1212", "4747", "0909", "12121", "121212", "38383838", "123123", "5275275", "19841984"], "repeated pattern")
                },
            },
            {
                name: "weakCodeReason accepts ordinary codes",
                run: async check => {
                    await reasons(check, ["7391", "5820", "2468", "1357", "9146", "194730", "38561029", "60217", "8402715"], "null")
                },
            },
            {
                name: "weakCodeReason does not treat near misses as runs or patterns",
                run: async check => {
                    await reasons(check, ["1235", "1243", "1213", "1221", "4320", "7891"], "null")
                },
            },
            {
                name: "weakCodeReason never returns the code in its reason",
                run: async check => {
                    const codes: string[] = []
                    for (const c of TOP_20) codes.push(c)
                    for (const c of COMMON_LONG) codes.push(c)
                    codes.push("7890")
                    codes.push("121212")
                    codes.push("2580")
                    for (const c of codes) {
                        await check.breathe()
                        const r = weakCodeReason(c)
                        check.eq(r === null ? "no reason" : "a reason", "a reason", `${c} refused`)
                        if (r === null) continue
                        check.eq(r.indexOf(c) >= 0 ? "names the code" : "silent", "silent", `${c}: the reason leaves the code out`)
                        check.eq(r.length < 20 ? "short" : r, "short", `${c}: the reason is short`)
                    }
                },
            },
            {
                name: "weakCodeReason refuses the empty code",
                run: async check => {
                    check.eq(str(weakCodeReason("")), "empty code", "empty")
                },
            },
            {
                name: "codeSyntaxError accepts digits within 4..8",
                run: async check => {
                    for (const c of ["7391", "73915", "739152", "7391520", "73915204"]) check.eq(str(codeSyntaxError(DEFAULT_POLICY, c)), "null", c)
                },
            },
            {
                name: "codeSyntaxError refuses short, long and non-digit codes",
                run: async check => {
                    const p = DEFAULT_POLICY
                    check.eq(str(codeSyntaxError(p, "")), "too short", "empty")
                    check.eq(str(codeSyntaxError(p, "739")), "too short", "3 digits")
                    check.eq(str(codeSyntaxError(p, "739152048")), "too long", "9 digits")
                    for (const c of ["73a1", "7 91", "73#1", "/391", ":391"]) check.eq(str(codeSyntaxError(p, c)), "digits only", c)
                },
            },
            {
                name: "codeSyntaxError follows the policy lengths",
                run: async check => {
                    const q: Policy = { ...DEFAULT_POLICY, minCodeLength: 6, maxCodeLength: 6 }
                    check.eq(str(codeSyntaxError(q, "73915")), "too short", "5 digits")
                    check.eq(str(codeSyntaxError(q, "739152")), "null", "6 digits")
                    check.eq(str(codeSyntaxError(q, "7391520")), "too long", "7 digits")
                },
            },
            {
                name: "knows the 12 keypad keys",
                run: async check => {
                    const keys = "0123456789*#"
                    for (let i = 0; i < keys.length; i++) check.eq(str(isKey(keys.charAt(i))), "true", keys.charAt(i))
                    for (const k of ["", "A", "10", "**", " ", "/", ":"]) check.eq(str(isKey(k)), "false", `"${k}"`)
                    check.eq(str(isDigitKey("0")), "true", "0 is a digit")
                    check.eq(str(isDigitKey("9")), "true", "9 is a digit")
                    check.eq(str(isDigitKey("#")), "false", "# is no digit")
                    check.eq(str(isDigitKey("*")), "false", "* is no digit")
                },
            },
        ],
    }
}
