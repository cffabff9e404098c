/**
 * Companion (phone) commands: the framing and the checks of the challenge-response protocol of
 * services/latchkey.md, without the cryptography (the adapter decrypts; Node's CLI encrypts).
 * Pure: no I/O, no clock (time is an argument).
 */
import { Bytes } from "./ct"
import { RemoteAction } from "./state"
import { getUint, isOccupied, MAX_USERS, NAME_BYTES, PARAMS_BYTES, putUint, userName, userStatus, userType, userParam } from "./users"

/** Bytes in a challenge nonce. */
export const NONCE_BYTES = 16
/** Bytes in a companion key (AES-256). */
export const COMPANION_KEY_BYTES = 32
/** AES-CCM tag length used by every sealed command and answer. */
export const TAG_BYTES = 16
/** AES-CCM IV length. */
export const IV_BYTES = 13
/** A nonce is good for one command within this time. */
export const NONCE_LIFETIME_MS = 30000
/** Enrolment needs the program button pressed within this time. */
export const PRESENCE_WINDOW_MS = 30000
/** Companion keys the lock keeps. */
export const MAX_COMPANIONS = 8
export const CMD_UNLOCK = 1
export const CMD_LOCK = 2
export const CMD_CLEAR_LOCKOUT = 3
export const CMD_REVOKE = 4
export const CMD_LOST_PHONE = 5
/** Operating mode: args [mode]. */
export const CMD_MODE = 6
/** Wall clock: args u32 LE seconds since 1970, local time. */
export const CMD_CLOCK = 7
/** Add a user: args from userAddArgs(); the answer is [slot]. */
export const CMD_USER_ADD = 8
/** Remove, enable, disable a user: args [slot]. */
export const CMD_USER_REMOVE = 9
export const CMD_USER_ENABLE = 10
export const CMD_USER_DISABLE = 11
/** Name a user: args [slot, name bytes (0..10 printable ASCII)]. */
export const CMD_USER_NAME = 12
/** A page of users from a slot on: args [first slot]; the answer is a userListPage(). */
export const CMD_USER_LIST = 13
/** One audit segment: args [segment 0..21]; [AUDIT_KEY_SEGMENT] answers the audit MAC key. */
export const CMD_AUDIT_READ = 14
/**
 * The companion found the lock's store behind (an answer's generation below the highest it saw):
 * args u32 LE, that highest generation. The lock raises its generation past it, audits
 * StoreRolledBack and raises the StoreLost alarm.
 */
export const CMD_ROLLED_BACK = 15
/** Highest command number. */
export const CMD_LAST = 15
/** CMD_AUDIT_READ's argument asking for the key that checks the audit chain. */
export const AUDIT_KEY_SEGMENT = 255

/** CommandStatus of services/latchkey.md. */
export const STATUS_OK = 0
export const STATUS_NO_PRESENCE = 1
export const STATUS_FULL = 2
export const STATUS_BAD_FRAME = 3
export const STATUS_UNKNOWN_KEY = 4
export const STATUS_REVOKED = 5
export const STATUS_STALE_NONCE = 6
export const STATUS_REPLAY = 7
export const STATUS_BAD_TAG = 8
export const STATUS_REFUSED = 9
export const STATUS_BUSY = 10
/** Authentic, but the lock will not do it (the answer holds the reason as text). */
export const STATUS_INVALID = 11
/** A frame of another protocol version (a companion older than the lock): update the companion. */
export const STATUS_UPDATE_COMPANION = 12

/**
 * Most bytes of payload in an answer: one frame of at most 236 bytes holds the version and kind
 * (2), the answer's header (11: core/frames.ts) and its tag.
 */
export const REPLY_MAX_PLAIN = 236 - 2 - 11 - TAG_BYTES

/** One enrolled companion as the lock keeps it. */
export interface Companion {
    /** 1..254 */
    id: number
    key: Bytes
    /** Highest counter accepted so far. */
    counter: number
    revoked: boolean
}

/** Index of the companion with `keyId`, or -1. */
export function companionIndex(companions: Companion[], keyId: number): number {
    for (let i = 0; i < companions.length; i++) if (companions[i].id === keyId) return i
    return -1
}

/**
 * Checks an opened command against its frame: the key id inside is the frame's, the counter is
 * above any this key used, the command exists and its arguments have the right length.
 */
export function checkOpened(command: number, innerKeyId: number, keyId: number, counter: number, lastCounter: number, nArgs: number): boolean {
    if (innerKeyId !== keyId) return false
    if (!(counter > lastCounter) || counter > 0xffffffff) return false
    if (command < CMD_UNLOCK || command > CMD_LAST) return false
    return argsFit(command, nArgs)
}

/** Whether a command has the right number of argument bytes (their values are checked later). */
export function argsFit(command: number, n: number): boolean {
    if (command === CMD_UNLOCK || command === CMD_LOCK || command === CMD_CLEAR_LOCKOUT || command === CMD_LOST_PHONE) return n === 0
    if (command === CMD_CLOCK || command === CMD_ROLLED_BACK) return n === 4
    if (command === CMD_USER_ADD) return n >= USER_ADD_FIXED && n <= USER_ADD_FIXED + 16 + NAME_BYTES
    if (command === CMD_USER_NAME) return n >= 1 && n <= 1 + NAME_BYTES
    return n === 1
}

/**
 * What the lock itself does for each command, by number (revocations are the adapter's own:
 * "none"). A table costs less function code than a chain of tests; it is split when asked, so it
 * holds no heap between commands (a literal string lives in the program image).
 */
const ACTIONS = "none unlock lock clearLockout none none mode clock userAdd userRemove userEnable userDisable userName userList auditRead rolledBack"

/** What the lock itself does for an authentic command (revocations are the adapter's own). */
export function commandAction(command: number): RemoteAction {
    return (command >= 0 && command <= CMD_LAST ? ACTIONS.split(" ")[command] : "none") as RemoteAction
}

/** Bytes of CMD_USER_ADD's arguments before the code: type, 8 schedule bytes, code length. */
export const USER_ADD_FIXED = 2 + PARAMS_BYTES

/** CMD_USER_ADD's arguments: type, schedule parameters (8 bytes), code length, code digits, name. */
export function userAddArgs(type: number, params: Bytes | null, code: string, name: string): number[] {
    const out: number[] = [type & 0xff]
    for (let i = 0; i < PARAMS_BYTES; i++) out.push(params && i < params.length ? params[i] & 0xff : 0)
    out.push(code.length & 0xff)
    for (let i = 0; i < code.length; i++) out.push(code.charCodeAt(i) & 0xff)
    for (let i = 0; i < name.length; i++) out.push(name.charCodeAt(i) & 0xff)
    return out
}

/** A parsed CMD_USER_ADD (the code is only ever held long enough to be hashed). */
export interface UserAddRequest {
    type: number
    params: number[]
    code: string
    name: string
}

/** Parses CMD_USER_ADD's arguments; null when the lengths do not add up. */
export function parseUserAdd(args: Bytes): UserAddRequest | null {
    if (!args || args.length < USER_ADD_FIXED) return null
    const params: number[] = []
    for (let i = 0; i < PARAMS_BYTES; i++) params.push(args[1 + i])
    const codeLength = args[1 + PARAMS_BYTES]
    if (USER_ADD_FIXED + codeLength > args.length) return null
    let code = ""
    for (let i = 0; i < codeLength; i++) code = code + String.fromCharCode(args[USER_ADD_FIXED + i])
    let name = ""
    for (let i = USER_ADD_FIXED + codeLength; i < args.length; i++) name = name + String.fromCharCode(args[i])
    return { type: args[0], params: params, code: code, name: name }
}

/** Bytes per user in a user list page: slot, type, status, 8 schedule bytes, 10 name bytes. */
export const USER_ENTRY_BYTES = 3 + PARAMS_BYTES + NAME_BYTES

/**
 * A page of the user list, metadata only (never a code or digest): [next slot to ask for, 0 =
 * the end] then one USER_ENTRY_BYTES entry per occupied slot from `from` on.
 */
export function userListPage(users: Bytes, names: Bytes, from: number): number[] {
    const out: number[] = [0]
    const room = Math.floor((REPLY_MAX_PLAIN - 1) / USER_ENTRY_BYTES)
    let n = 0
    let slot = from < 1 ? 1 : from
    for (; slot <= MAX_USERS; slot++) {
        if (!isOccupied(users, slot)) continue
        if (n === room) break
        out.push(slot, userType(users, slot), userStatus(users, slot))
        for (let i = 0; i < PARAMS_BYTES; i++) out.push(userParam(users, slot, i, 1))
        const name = userName(names, slot)
        for (let i = 0; i < NAME_BYTES; i++) out.push(i < name.length ? name.charCodeAt(i) : 0)
        n++
    }
    out[0] = slot <= MAX_USERS ? slot : 0
    return out
}

/** One user of a list page, as the companion reads it. */
export interface UserListEntry {
    slot: number
    type: number
    status: number
    params: number[]
    name: string
}

/** Parses a userListPage(); null when malformed. */
export function parseUserListPage(page: Bytes): { next: number; users: UserListEntry[] } | null {
    if (!page || page.length < 1 || (page.length - 1) % USER_ENTRY_BYTES !== 0) return null
    const users: UserListEntry[] = []
    for (let o = 1; o < page.length; o += USER_ENTRY_BYTES) {
        const params: number[] = []
        for (let i = 0; i < PARAMS_BYTES; i++) params.push(page[o + 3 + i])
        let name = ""
        for (let i = 0; i < NAME_BYTES; i++) {
            const c = page[o + 3 + PARAMS_BYTES + i]
            if (c === 0) break
            name = name + String.fromCharCode(c)
        }
        users.push({ slot: page[o], type: page[o + 1], status: page[o + 2], params: params, name: name })
    }
    return { next: page[0], users: users }
}

/** Text as bytes (ASCII; a refusal's reason in an answer). */
export function textBytes(s: string): number[] {
    const out: number[] = []
    for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0x7f)
    return out
}

/** u32 LE of a 4-byte argument list (CMD_CLOCK). */
export function argU32(args: Bytes): number {
    return getUint(args, 0, 4)
}

/** A u32 LE as 4 argument bytes. */
export function u32Args(value: number): number[] {
    const b: number[] = [0, 0, 0, 0]
    putUint(b, 0, 4, value)
    return b
}
