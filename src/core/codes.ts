import { Policy } from "./policy"

/** Char code of "0". */
const CHAR_0 = 48

/**
 * The most used PINs (4, 6 and 8 digits). Codes that the pattern rules below
 * already refuse (all same digit, straight runs, repeated pairs) are listed
 * anyway: the list documents what is refused.
 */
export const COMMON_CODES: string[] = (
    // top 20 four-digit PINs (about a quarter of all real PINs)
    "1234 1111 0000 1212 7777 1004 2000 4444 2222 6969 " +
    "9999 3333 5555 6666 1122 1313 8888 4321 2001 1010 " +
    // keypad shapes
    "2580 0852 1379 1397 1470 3690 1590 " +
    // six digits
    "123456 654321 111111 000000 123123 121212 112233 159753 " +
    "123321 666666 696969 131313 222222 555555 777777 888888 " +
    "999999 101010 147258 258369 789456 520520 112211 102030 " +
    // eight digits
    "12345678 87654321 11111111 00000000 12341234 11223344 " +
    "12121212 88888888 11112222 12344321"
).split(" ") // one string: DeviceScript compiles an array literal into function code, ~4 B a code

/** True if `code` holds exactly the same characters as `candidate`, reading all of `candidate`. */
function sameCode(code: string, candidate: string): boolean {
    if (code.length !== candidate.length) return false
    let diff = 0
    for (let i = 0; i < candidate.length; i++) diff = diff | (code.charCodeAt(i) ^ candidate.charCodeAt(i))
    return diff === 0
}

function digitAt(code: string, i: number): number {
    return code.charCodeAt(i) - CHAR_0
}

function allSameDigit(code: string): boolean {
    for (let i = 1; i < code.length; i++) if (digitAt(code, i) !== digitAt(code, 0)) return false
    return true
}

/** Each digit is the previous one plus `stepBy` (mod 10): 7890 ascends, 2109 descends. */
function isRun(code: string, stepBy: number): boolean {
    for (let i = 1; i < code.length; i++)
        if (digitAt(code, i) !== (digitAt(code, i - 1) + stepBy) % 10) return false
    return true
}

/** The code repeats a block of `period` digits: 1212, 12121, 123123, 12341234. */
function repeatsWithPeriod(code: string, period: number): boolean {
    for (let i = period; i < code.length; i++) if (digitAt(code, i) !== digitAt(code, i - period)) return false
    return true
}

function isRepeatedPattern(code: string): boolean {
    for (let period = 2; period * 2 <= code.length; period++) if (repeatsWithPeriod(code, period)) return true
    return false
}

function isCommon(code: string): boolean {
    let hit = false
    for (const candidate of COMMON_CODES) hit = sameCode(code, candidate) || hit
    return hit
}

/**
 * Why `code` is too easy to guess, or null if it is acceptable.
 *
 * Refuses all-same digits ("all same digit"), straight runs up or down by one
 * with 9→0 / 0→9 wrapping ("straight run"), codes repeating a block of two or
 * more digits ("repeated pattern") and the most common PINs ("common code").
 * The reason never contains the code.
 */
export function weakCodeReason(code: string): string | null {
    if (code.length === 0) return "empty code"
    if (allSameDigit(code)) return "all same digit"
    if (isRun(code, 1) || isRun(code, 9)) return "straight run"
    if (isRepeatedPattern(code)) return "repeated pattern"
    if (isCommon(code)) return "common code"
    return null
}

/**
 * Why `code` is not a well-formed code under `policy`, or null if it is:
 * digits only, length within `minCodeLength..maxCodeLength`.
 */
export function codeSyntaxError(policy: Policy, code: string): string | null {
    for (let i = 0; i < code.length; i++) {
        const d = digitAt(code, i)
        if (d < 0 || d > 9) return "digits only"
    }
    if (code.length < policy.minCodeLength) return "too short"
    if (code.length > policy.maxCodeLength) return "too long"
    return null
}

/** True for the keys of the keypad: "0".."9", "*", "#". */
export function isKey(key: string): boolean {
    return key.length === 1 && (isDigitKey(key) || key === "*" || key === "#")
}

/** True for "0".."9". */
export function isDigitKey(key: string): boolean {
    if (key.length !== 1) return false
    const d = digitAt(key, 0)
    return d >= 0 && d <= 9
}
