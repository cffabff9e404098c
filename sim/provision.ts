/**
 * Prepares a lock's flash image from the host, in exactly the formats the firmware writes
 * (src/firmware/store.ts and src/firmware/auditlog.ts; the user table and the audit ring come
 * from the pure core itself): e.g. a lock with all 250 users named and a full audit log, for
 * the benchmark and for tests of what the firmware reads back. The device key is the one the
 * firmware already made (read from the image), so the firmware accepts every tag and link.
 */
import { createHmac } from "node:crypto"
import {
    appendAudit,
    AuditKind,
    AuditSource,
    AUDIT_SEGMENTS,
    Bytes,
    createAuditWriter,
    createNameTable,
    createUserTable,
    MAX_USERS,
    nameChunk,
    NAME_CHUNKS,
    segmentOf,
    setUser,
    setUserName,
    USER_CHUNKS,
    userChunk,
    UserStatus,
    UserType,
} from "../src/core/index"
import { fstorValue, writeFstorValue } from "./fstor"

const hmac = (key: Uint8Array, msg: Uint8Array | string) => new Uint8Array(createHmac("sha256", key).update(msg).digest())

function sealed(key: Uint8Array, kind: string, data: Uint8Array): Uint8Array {
    const tag = hmac(key, Buffer.concat([Buffer.from(kind), data])).slice(0, 4)
    return Uint8Array.from([...data, ...tag])
}

export interface ProvisionedUser {
    slot: number
    code: string
    type?: UserType
    name?: string
    /** Enrolled but disabled (OccupiedDisabled): its code is refused. */
    disabled?: boolean
}

export interface ProvisionOptions {
    users: ProvisionedUser[]
    /** Audit entries to write (the ring keeps the newest 505 to 528). */
    auditEntries?: number
    mode?: number
}

/** The device key the firmware saved in `image`. */
export function deviceKeyOf(image: Uint8Array): Uint8Array {
    const key = fstorValue(image, "$lk.key")
    if (!key || key.length !== 32) throw new Error("no device key in this flash image: boot the firmware once first")
    return key
}

/**
 * Writes users (replacing every user chunk the firmware had), names, meta and an audit ring into
 * `image`, keyed with the device key already in it. The failure counter is left as it is.
 */
export function provision(image: Uint8Array, opts: ProvisionOptions) {
    const key = deviceKeyOf(image)
    const table = createUserTable()
    const names = createNameTable()
    for (const u of opts.users) {
        setUser(table, u.slot, u.type ?? (u.slot === 1 ? UserType.Programming : UserType.Unrestricted), u.disabled ? UserStatus.OccupiedDisabled : UserStatus.OccupiedEnabled, null, hmac(key, u.code))
        if (u.name) setUserName(names, u.slot, u.name)
    }
    let userBits = 0
    let nameBits = 0
    for (let c = 0; c < USER_CHUNKS; c++) {
        writeFstorValue(image, `$lk.u${c}`, sealed(key, "U" + c, userChunk(table, c) as Uint8Array))
        userBits |= 1 << c
    }
    if (opts.users.some(u => u.name))
        for (let c = 0; c < NAME_CHUNKS; c++) {
            writeFstorValue(image, `$lk.n${c}`, sealed(key, "N" + c, nameChunk(names, c) as Uint8Array))
            nameBits |= 1 << c
        }
    let auditBits = 0
    if (opts.auditEntries) {
        const auditKey = hmac(key, "latchkey audit")
        const mac = (m: Bytes) => hmac(auditKey, m as Uint8Array)
        const w = createAuditWriter()
        const segs = new Map<number, Uint8Array>()
        for (let i = 0; i < opts.auditEntries; i++) {
            const seg = appendAudit(w, 1740000000 + i * 60, i % 3 === 0 ? AuditKind.InvalidCredential : AuditKind.Unlock, AuditSource.Keypad, (i % MAX_USERS) + 1, mac)
            segs.set(segmentOf(i), Uint8Array.from(seg as Uint8Array))
        }
        for (const [i, seg] of segs) {
            writeFstorValue(image, `$lk.a${i}`, seg)
            auditBits |= 1 << i
        }
        if (segs.size > AUDIT_SEGMENTS) throw new Error("more audit segments than the ring has")
    }
    const meta = new Uint8Array(20)
    meta[0] = 1
    meta[1] = opts.mode ?? 0
    meta[2] = userBits & 255
    meta[3] = (userBits >> 8) & 255
    meta[4] = (userBits >> 16) & 255
    meta[5] = nameBits & 255
    meta[6] = (nameBits >> 8) & 255
    meta[7] = auditBits & 255
    meta[8] = (auditBits >> 8) & 255
    meta[9] = (auditBits >> 16) & 255
    // no recovery code (meta[10] = 0): the firmware reports "no recovery code"
    writeFstorValue(image, "$lk.meta", sealed(key, "M", meta))
}
