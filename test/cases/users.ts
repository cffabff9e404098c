/**
 * The user table: records, the constant-time scan (findUser; its read count is checked in Node),
 * the chunks it is stored in on flash, and user names.
 */
import {
    Bytes,
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
import { Check, Suite } from "./check"
import { copyBytes, list, str } from "./compare"
import { DEVICE_KEY, kinds, logs, Rig } from "./rig"

function hmac(check: Check, message: string): Bytes {
    return check.hmac(DEVICE_KEY, message)
}

/** A table with every slot taken: slot s holds the code "code<s>". */
export async function fullTable(check: Check): Promise<Bytes> {
    const t = createUserTable()
    for (let s = 1; s <= MAX_USERS; s++) {
        setUser(t, s, UserType.Unrestricted, UserStatus.OccupiedEnabled, null, hmac(check, "code" + s))
        if (s % 25 === 0) await check.breathe()
    }
    return t
}

/** A cheap distinct 8-byte digest per slot (no HMAC). */
function fakeDigest(slot: number): Bytes {
    const d = Buffer.alloc(8)
    for (let i = 0; i < 8; i++) d[i] = (slot * 37 + i * 11 + 5) & 255
    return d
}

/** How many bytes differ between two sequences (and their lengths, when those differ). */
function differences(a: Bytes, b: Bytes): string {
    if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`
    let n = 0
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++
    return `${n} bytes differ`
}

export function usersSuite(): Suite {
    return {
        name: "the user table",
        cases: [
            {
                name: "has 250 slots of 17 bytes, stored in 21 chunks that fit a settings value",
                run: async check => {
                    check.eq(str(createUserTable().length), str(250 * 17), "table size")
                    check.eq(str(USER_CHUNKS * 12 >= MAX_USERS), "true", "the chunks hold every slot")
                    check.eq(str(userChunkBytes(0)), "204", "a chunk")
                    check.eq(str(userChunkBytes(20)), str(10 * 17), "the last chunk")
                    check.eq(str(userChunkBytes(21)), "0", "past the last chunk")
                    // 13-character key + NUL + value + 4-byte tag within the 232 bytes a packet carries
                    check.eq(str(13 + 1 + userChunkBytes(0) + 4 <= 232), "true", "a chunk fits a packet")
                    check.eq(str(NAME_CHUNKS * 20 >= MAX_USERS), "true", "the name chunks hold every slot")
                    check.eq(str(nameChunkBytes(12)), str(10 * 10), "the last name chunk")
                },
            },
            {
                name: "keeps Matter's numbers for types and statuses",
                run: async check => {
                    check.eq(list([str(UserType.Unrestricted), str(UserType.YearDaySchedule), str(UserType.WeekDaySchedule), str(UserType.Programming)]), "0, 1, 2, 3", "types 0..3")
                    check.eq(
                        list([str(UserType.NonAccess), str(UserType.Forced), str(UserType.Disposable), str(UserType.Expiring), str(UserType.RemoteOnly)]),
                        "4, 5, 6, 7, 9",
                        "types 4..9",
                    )
                    check.eq(list([str(UserStatus.Available), str(UserStatus.OccupiedEnabled), str(UserStatus.OccupiedDisabled)]), "0, 1, 3", "statuses")
                    check.eq(userTypeName(5), "Forced", "type 5")
                    check.eq(userTypeName(42), "Unknown", "type 42")
                },
            },
            {
                name: "sets, reads and clears a record",
                run: async check => {
                    const t = createUserTable()
                    setUser(t, 7, UserType.Expiring, UserStatus.OccupiedEnabled, null, hmac(check, "1"))
                    setUserParam(t, 7, 2, 4, 1740745800)
                    check.eq(str(userType(t, 7)), str(UserType.Expiring), "type")
                    check.eq(str(userStatus(t, 7)), str(UserStatus.OccupiedEnabled), "status")
                    check.eq(str(userParam(t, 7, 2, 4)), "1740745800", "a 4-byte parameter")
                    setUser(t, 8, UserType.YearDaySchedule, UserStatus.OccupiedEnabled, null, hmac(check, "2"))
                    setUserParam(t, 8, 4, 4, 4102444799)
                    check.eq(str(userParam(t, 8, 4, 4)), "4102444799", "a 4-byte parameter past 2^31")
                    clearUser(t, 8)
                    setUserStatus(t, 7, UserStatus.OccupiedDisabled)
                    check.eq(str(userType(t, 7)), str(UserType.Expiring), "the type survives a status change")
                    check.eq(str(userCount(t)), "1", "count")
                    clearUser(t, 7)
                    check.eq(str(isOccupied(t, 7)), "false", "cleared")
                    const chunk = userChunk(t, userChunkOf(7))
                    let set = 0
                    for (let i = 0; i < chunk.length; i++) if (chunk[i] !== 0) set++
                    check.eq(str(set), "0", "non-zero bytes left in its chunk")
                },
            },
            {
                name: "picks the lowest free slot above the master's",
                run: async check => {
                    const t = createUserTable()
                    check.eq(str(firstFreeSlot(t)), "2", "empty table")
                    setUser(t, 2, 0, 1, null, hmac(check, "a"))
                    setUser(t, 4, 0, 1, null, hmac(check, "b"))
                    check.eq(str(firstFreeSlot(t)), "3", "a gap")
                    check.eq(str(firstFreeSlot(await fullTable(check))), "0", "full")
                },
            },
            {
                name: "findUser finds any slot of a full table, and nothing for an unknown code",
                run: async check => {
                    const t = await fullTable(check)
                    for (const s of [1, 2, 125, 249, 250]) {
                        await check.breathe()
                        check.eq(str(findUser(t, hmac(check, "code" + s), 0)), str(s), `slot ${s}`)
                    }
                    await check.breathe()
                    check.eq(str(findUser(t, hmac(check, "nope"), 0)), "0", "unknown code")
                },
            },
            {
                name: "findUser scans all 250 slots: the first and the last, nothing past them",
                run: async check => {
                    const t = createUserTable()
                    for (let s = 1; s <= MAX_USERS; s++) {
                        setUser(t, s, UserType.Unrestricted, UserStatus.OccupiedEnabled, null, fakeDigest(s))
                        if (s % 25 === 0) await check.breathe()
                    }
                    check.eq(str(findUser(t, fakeDigest(250), 0)), "250", "the last slot")
                    await check.breathe()
                    check.eq(str(findUser(t, fakeDigest(1), 0)), "1", "the first slot")
                    await check.breathe()
                    check.eq(str(findUser(t, fakeDigest(251), 0)), "0", "no slot 251")
                    await check.breathe()
                    check.eq(str(findUser(t, fakeDigest(250), 250)), "0", "the last slot, skipped")
                },
            },
            {
                name: "findUser compares the first 8 bytes of the digest, all of them",
                run: async check => {
                    const t = await fullTable(check)
                    const d = hmac(check, "code9")
                    for (let i = 0; i < DIGEST_LENGTH; i++) {
                        const x = copyBytes(d)
                        x[i] = x[i] ^ 0x80
                        await check.breathe()
                        check.eq(str(findUser(t, x, 0)), "0", `byte ${i} changed`)
                    }
                    const rest = copyBytes(d)
                    rest[8] = rest[8] ^ 1 // beyond the truncated digest
                    await check.breathe()
                    check.eq(str(findUser(t, rest, 0)), "9", "byte 8 changed")
                },
            },
            {
                name: "findUser skips Available slots (even an all-zero digest) and the slot asked to skip",
                run: async check => {
                    const t = createUserTable()
                    check.eq(str(findUser(t, Buffer.alloc(32), 0)), "0", "all-zero digest, empty table")
                    setUser(t, 3, UserType.NonAccess, UserStatus.OccupiedDisabled, null, hmac(check, "x"))
                    check.eq(str(findUser(t, hmac(check, "x"), 0)), "3", "a disabled user is found")
                    check.eq(str(findUser(t, hmac(check, "x"), 3)), "0", "skipped")
                    setUser(t, 7, UserType.Forced, UserStatus.OccupiedDisabled, null, Buffer.alloc(8))
                    check.eq(str(findUser(t, Buffer.alloc(8), 0)), "7", "an occupied all-zero digest")
                },
            },
            {
                name: "findUser answers 0 when two slots hold the same digest (a forged table): fail secure",
                run: async check => {
                    const t = createUserTable()
                    setUser(t, 2, 0, 1, null, hmac(check, "x"))
                    setUser(t, 5, 0, 1, null, hmac(check, "x"))
                    check.eq(str(findUser(t, hmac(check, "x"), 0)), "0", "two hits")
                    check.eq(str(findUser(t, hmac(check, "x"), 5)), "2", "one skipped")
                },
            },
            {
                name: "truncates and compares digests",
                run: async check => {
                    const d = truncateDigest(hmac(check, "a"))
                    check.eq(str(d.length), "8", "length")
                    check.eq(str(sameDigest(d, hmac(check, "a"))), "true", "same")
                    check.eq(str(sameDigest(d, hmac(check, "b"))), "false", "another")
                },
            },
            {
                name: "round-trips users through flash chunks and refuses chunks of the wrong size",
                run: async check => {
                    const t = await fullTable(check)
                    const u = createUserTable()
                    for (let c = 0; c < USER_CHUNKS; c++) {
                        check.eq(str(loadUserChunk(u, c, userChunk(t, c))), "true", `chunk ${c}`)
                        await check.breathe()
                    }
                    check.eq(differences(u, t), "0 bytes differ", "the reloaded table")
                    check.eq(str(loadUserChunk(u, 0, Buffer.alloc(10))), "false", "a 10-byte chunk")
                },
            },
            {
                name: "turns records with an unknown type or status into empty slots",
                run: async check => {
                    const data = Buffer.alloc(204)
                    data[0] = (UserType.Unrestricted << 4) | 2 // status 2 does not exist
                    data[17] = (12 << 4) | 1 // type 12 does not exist
                    data[34] = (UserType.Forced << 4) | 3
                    const t = createUserTable()
                    loadUserChunk(t, 0, data)
                    check.eq(list([str(isOccupied(t, 1)), str(isOccupied(t, 2)), str(isOccupied(t, 3))]), "false, false, true", "slots 1..3")
                },
            },
            {
                name: "names: at most 10 printable ASCII characters, round-tripped",
                run: async check => {
                    check.eq(str(nameError("Alice")), "null", "Alice")
                    check.eq(str(nameError("0123456789")), "null", "10 characters")
                    check.eq(str(nameError("01234567890")), "name too long", "11 characters")
                    check.eq(str(nameError("\u00e9")), "printable ASCII only", "an accent")
                    const n = createNameTable()
                    setUserName(n, 250, "Zoe K.")
                    setUserName(n, 21, "Bob")
                    check.eq(userName(n, 250), "Zoe K.", "slot 250")
                    const m = createNameTable()
                    for (let c = 0; c < NAME_CHUNKS; c++) loadNameChunk(m, c, nameChunk(n, c))
                    check.eq(userName(m, 21), "Bob", "slot 21, reloaded")
                    check.eq(userName(m, 20), "", "slot 20, reloaded")
                },
            },
            {
                name: "the lock names an occupied slot; refuses bad names and empty slots",
                run: async check => {
                    const rig = new Rig(check)
                    await rig.boot([{ slot: 2, code: "5820" }])
                    check.eq(list(kinds(rig.send({ type: "setUserName", slot: 2, name: "Cleaner" }))), "saveNames 0", "named")
                    check.eq(userName(rig.state.names, 2), "Cleaner", "the name")
                    check.eq(list(logs(rig.send({ type: "setUserName", slot: 3, name: "x" }))), "name refused: no user in that slot", "empty slot")
                    check.eq(list(logs(rig.send({ type: "setUserName", slot: 2, name: "much too long" }))), "name refused: name too long", "too long")
                },
            },
        ],
    }
}
