// Built and run by bench/verify.ts (not part of the firmware): how long the pure core takes,
// inside the DeviceScript VM, to check a typed code against all 250 user slots.
import * as ds from "@devicescript/core"
import { hmac } from "@devicescript/crypto"
import { createUserTable, findUser, MAX_USERS, setUser, UserStatus, UserType } from "../src/core/index"

const table = createUserTable()
for (let s = 1; s <= MAX_USERS; s++) {
    const d = Buffer.alloc(8)
    for (let i = 0; i < 8; i++) d[i] = (s * 37 + i * 11 + 5) & 255
    setUser(table, s, UserType.Unrestricted, UserStatus.OccupiedEnabled, null, d)
    if (s % 25 === 0) await ds.sleep(0)
}
const key = Buffer.alloc(32)
const N = 500

// ds.millis() only moves across an await: time N rounds with an await each, minus N bare awaits
async function rounds(work: number): Promise<number> {
    await ds.sleep(5)
    const t0 = ds.millis()
    for (let i = 0; i < N; i++) {
        if (work === 1) hmac(key, "sha256", "73915820")
        if (work === 2) findUser(table, hmac(key, "sha256", "73915820"), 0)
        await ds.sleep(0)
    }
    return ds.millis() - t0
}

const base = await rounds(0)
const hashed = await rounds(1)
const verified = await rounds(2)
console.log(`bench: rounds ${N} base ${base} hmac ${hashed} verify ${verified}`)
console.log("bench: done")
