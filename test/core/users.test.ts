import { describe, expect, it } from "vitest"
import {
    clearUser,
    createNameTable,
    createUserTable,
    DIGEST_LENGTH,
    findUser,
    firstFreeSlot,
    isOccupied,
    loadNameChunk,
    loadUserChunk,
    MAX_USERS,
    NAME_CHUNKS,
    nameChunk,
    nameChunkBytes,
    nameError,
    sameDigest,
    setUser,
    setUserName,
    setUserParam,
    setUserStatus,
    truncateDigest,
    USER_CHUNKS,
    userChunk,
    userChunkBytes,
    userChunkOf,
    userCount,
    userName,
    userParam,
    UserStatus,
    userStatus,
    UserType,
    userType,
    userTypeName,
} from "../../src/core/index"
import { hmac } from "./rig"

function full(): Uint8Array {
    const t = createUserTable() as Uint8Array
    for (let s = 1; s <= MAX_USERS; s++) setUser(t, s, UserType.Unrestricted, UserStatus.OccupiedEnabled, null, hmac("code" + s))
    return t
}

describe("user table", () => {
    it("has 250 slots of 17 bytes, stored in 21 chunks that fit a settings value", () => {
        expect(createUserTable().length).toBe(250 * 17)
        expect(USER_CHUNKS * 12).toBeGreaterThanOrEqual(MAX_USERS)
        expect(userChunkBytes(0)).toBe(204)
        expect(userChunkBytes(20)).toBe(10 * 17)
        expect(userChunkBytes(21)).toBe(0)
        // 13-character key + NUL + value + 4-byte tag within the 232 bytes a packet carries
        expect(13 + 1 + userChunkBytes(0) + 4).toBeLessThanOrEqual(232)
        expect(NAME_CHUNKS * 20).toBeGreaterThanOrEqual(MAX_USERS)
        expect(nameChunkBytes(12)).toBe(10 * 10)
    })

    it("keeps Matter's numbers for types and statuses", () => {
        expect([UserType.Unrestricted, UserType.YearDaySchedule, UserType.WeekDaySchedule, UserType.Programming]).toEqual([0, 1, 2, 3])
        expect([UserType.NonAccess, UserType.Forced, UserType.Disposable, UserType.Expiring, UserType.RemoteOnly]).toEqual([4, 5, 6, 7, 9])
        expect([UserStatus.Available, UserStatus.OccupiedEnabled, UserStatus.OccupiedDisabled]).toEqual([0, 1, 3])
        expect(userTypeName(5)).toBe("Forced")
        expect(userTypeName(42)).toBe("Unknown")
    })

    it("sets, reads and clears a record", () => {
        const t = createUserTable()
        setUser(t, 7, UserType.Expiring, UserStatus.OccupiedEnabled, null, hmac("1"))
        setUserParam(t, 7, 2, 4, 1740745800)
        expect(userType(t, 7)).toBe(UserType.Expiring)
        expect(userStatus(t, 7)).toBe(UserStatus.OccupiedEnabled)
        expect(userParam(t, 7, 2, 4)).toBe(1740745800)
        setUserStatus(t, 7, UserStatus.OccupiedDisabled)
        expect(userType(t, 7)).toBe(UserType.Expiring)
        expect(userCount(t)).toBe(1)
        clearUser(t, 7)
        expect(isOccupied(t, 7)).toBe(false)
        expect(Array.from(userChunk(t, userChunkOf(7)) as Uint8Array).every(b => b === 0)).toBe(true)
    })

    it("picks the lowest free slot above the master's", () => {
        const t = createUserTable()
        expect(firstFreeSlot(t)).toBe(2)
        setUser(t, 2, 0, 1, null, hmac("a"))
        setUser(t, 4, 0, 1, null, hmac("b"))
        expect(firstFreeSlot(t)).toBe(3)
        expect(firstFreeSlot(full())).toBe(0)
    })
})

describe("findUser (constant-time scan of all slots)", () => {
    it("finds any slot of a full table, and nothing for an unknown code", () => {
        const t = full()
        for (const s of [1, 2, 125, 249, 250]) expect(findUser(t, hmac("code" + s), 0)).toBe(s)
        expect(findUser(t, hmac("nope"), 0)).toBe(0)
    })

    it("compares the first 8 bytes of the digest, all of them", () => {
        const t = full()
        const d = hmac("code9")
        for (let i = 0; i < DIGEST_LENGTH; i++) {
            const x = Uint8Array.from(d)
            x[i] ^= 0x80
            expect(findUser(t, x, 0)).toBe(0)
        }
        const tail = Uint8Array.from(d)
        tail[8] ^= 1 // beyond the truncated digest
        expect(findUser(t, tail, 0)).toBe(9)
    })

    it("skips Available slots (even an all-zero digest) and the slot asked to skip", () => {
        const t = createUserTable()
        expect(findUser(t, new Uint8Array(32), 0)).toBe(0)
        setUser(t, 3, UserType.NonAccess, UserStatus.OccupiedDisabled, null, hmac("x"))
        expect(findUser(t, hmac("x"), 0)).toBe(3)
        expect(findUser(t, hmac("x"), 3)).toBe(0)
    })

    it("answers 0 when two slots hold the same digest (a forged table): fail secure", () => {
        const t = createUserTable()
        setUser(t, 2, 0, 1, null, hmac("x"))
        setUser(t, 5, 0, 1, null, hmac("x"))
        expect(findUser(t, hmac("x"), 0)).toBe(0)
        expect(findUser(t, hmac("x"), 5)).toBe(2)
    })

    it("does the same work whatever matches: no early exit (read count)", () => {
        const t = full()
        let reads = 0
        const counting = new Proxy(t, {
            get(target, p) {
                if (typeof p === "string" && /^\d+$/.test(p)) reads++
                return Reflect.get(target, p)
            },
        })
        const counts = ["code1", "code250", "absent"].map(c => {
            reads = 0
            findUser(counting as unknown as Uint8Array, hmac(c), 0)
            return reads
        })
        expect(counts[0]).toBe(250 * 9)
        expect(new Set(counts).size).toBe(1)
    })

    it("truncates and compares digests", () => {
        const d = truncateDigest(hmac("a"))
        expect(d.length).toBe(8)
        expect(sameDigest(d, hmac("a"))).toBe(true)
        expect(sameDigest(d, hmac("b"))).toBe(false)
    })
})

describe("flash chunks", () => {
    it("round-trips users and refuses chunks of the wrong size", () => {
        const t = full()
        const u = createUserTable()
        for (let c = 0; c < USER_CHUNKS; c++) expect(loadUserChunk(u, c, userChunk(t, c))).toBe(true)
        expect(Array.from(u as Uint8Array)).toEqual(Array.from(t))
        expect(loadUserChunk(u, 0, new Uint8Array(10))).toBe(false)
    })

    it("turns records with an unknown type or status into empty slots", () => {
        const data = new Uint8Array(204)
        data[0] = (UserType.Unrestricted << 4) | 2 // status 2 does not exist
        data[17] = (12 << 4) | 1 // type 12 does not exist
        data[34] = (UserType.Forced << 4) | 3
        const t = createUserTable()
        loadUserChunk(t, 0, data)
        expect([isOccupied(t, 1), isOccupied(t, 2), isOccupied(t, 3)]).toEqual([false, false, true])
    })

    it("names: at most 10 printable ASCII characters, round-tripped", () => {
        expect(nameError("Alice")).toBeNull()
        expect(nameError("0123456789")).toBeNull()
        expect(nameError("01234567890")).toBe("name too long")
        expect(nameError("é")).toBe("printable ASCII only")
        const n = createNameTable()
        setUserName(n, 250, "Zoe K.")
        setUserName(n, 21, "Bob")
        expect(userName(n, 250)).toBe("Zoe K.")
        const m = createNameTable()
        for (let c = 0; c < NAME_CHUNKS; c++) loadNameChunk(m, c, nameChunk(n, c))
        expect(userName(m, 21)).toBe("Bob")
        expect(userName(m, 20)).toBe("")
    })
})
