import { describe, expect, it } from "vitest"
import { codeSyntaxError, COMMON_CODES, DEFAULT_POLICY, isDigitKey, isKey, weakCodeReason } from "../../src/core/index"

const TOP_20 = [
    "1234", "1111", "0000", "1212", "7777", "1004", "2000", "4444", "2222", "6969",
    "9999", "3333", "5555", "6666", "1122", "1313", "8888", "4321", "2001", "1010",
]
const COMMON_LONG = [
    "123456", "654321", "111111", "000000", "123123", "121212", "112233", "159753",
    "12345678", "87654321", "11111111",
]

describe("weakCodeReason", () => {
    it("refuses the 20 most common 4-digit PINs", () => {
        for (const c of TOP_20) expect(weakCodeReason(c), c).not.toBeNull()
    })

    it("refuses common 6- and 8-digit PINs", () => {
        for (const c of COMMON_LONG) expect(weakCodeReason(c), c).not.toBeNull()
    })

    it("refuses everything on its own blocklist", () => {
        for (const c of COMMON_CODES) expect(weakCodeReason(c), c).not.toBeNull()
    })

    it("names blocklisted codes that match no pattern 'common code'", () => {
        for (const c of ["1004", "2000", "1122", "2001", "159753", "112233", "2580"])
            expect(weakCodeReason(c), c).toBe("common code")
    })

    it("refuses all-same digits of any length", () => {
        for (const c of ["0000", "5555", "22222", "999999", "7777777", "33333333"])
            expect(weakCodeReason(c), c).toBe("all same digit")
    })

    it("refuses straight runs up and down, wrapping 9->0 and 0->9", () => {
        for (const c of ["1234", "2345", "6789", "7890", "8901", "9012", "0123456", "34567890"])
            expect(weakCodeReason(c), c).toBe("straight run")
        for (const c of ["4321", "9876", "3210", "2109", "1098", "0987", "876543", "43210987"])
            expect(weakCodeReason(c), c).toBe("straight run")
    })

    it("refuses repeated patterns", () => {
        for (const c of ["1212", "4747", "0909", "12121", "121212", "38383838", "123123", "5275275", "19841984"])
            expect(weakCodeReason(c), c).toBe("repeated pattern")
    })

    it("accepts ordinary codes", () => {
        for (const c of ["7391", "5820", "2468", "1357", "9146", "194730", "38561029", "60217", "8402715"])
            expect(weakCodeReason(c), c).toBeNull()
    })

    it("does not treat near misses as runs or patterns", () => {
        for (const c of ["1235", "1243", "1213", "1221", "4320", "7891"]) expect(weakCodeReason(c), c).toBeNull()
    })

    it("never returns the code in its reason", () => {
        for (const c of [...TOP_20, ...COMMON_LONG, "7890", "121212", "2580"]) {
            const r = weakCodeReason(c)
            expect(r).not.toBeNull()
            expect(r).not.toContain(c)
            expect(r!.length).toBeLessThan(20)
        }
    })

    it("refuses the empty code", () => {
        expect(weakCodeReason("")).toBe("empty code")
    })
})

describe("codeSyntaxError", () => {
    const p = DEFAULT_POLICY

    it("accepts digits within 4..8", () => {
        for (const c of ["7391", "73915", "739152", "7391520", "73915204"]) expect(codeSyntaxError(p, c)).toBeNull()
    })

    it("refuses short, long and non-digit codes", () => {
        expect(codeSyntaxError(p, "")).toBe("too short")
        expect(codeSyntaxError(p, "739")).toBe("too short")
        expect(codeSyntaxError(p, "739152048")).toBe("too long")
        expect(codeSyntaxError(p, "73a1")).toBe("digits only")
        expect(codeSyntaxError(p, "7 91")).toBe("digits only")
        expect(codeSyntaxError(p, "73#1")).toBe("digits only")
        expect(codeSyntaxError(p, "/391")).toBe("digits only")
        expect(codeSyntaxError(p, ":391")).toBe("digits only")
    })

    it("follows the policy lengths", () => {
        const q = { ...p, minCodeLength: 6, maxCodeLength: 6 }
        expect(codeSyntaxError(q, "73915")).toBe("too short")
        expect(codeSyntaxError(q, "739152")).toBeNull()
        expect(codeSyntaxError(q, "7391520")).toBe("too long")
    })
})

describe("keys", () => {
    it("knows the 12 keypad keys", () => {
        for (const k of "0123456789*#") expect(isKey(k), k).toBe(true)
        for (const k of ["", "A", "10", "**", " ", "/", ":"]) expect(isKey(k), k).toBe(false)
        expect(isDigitKey("0")).toBe(true)
        expect(isDigitKey("9")).toBe(true)
        expect(isDigitKey("#")).toBe(false)
        expect(isDigitKey("*")).toBe(false)
    })
})
