/**
 * What the companion CLI does beyond one command: the user list (page by page), adding a user
 * with a schedule, the wall clock, and reading the audit log with its hash chain checked here,
 * with the chain key the lock hands to an authenticated companion. Every call is a sealed
 * command (./companion.ts); the lock's answers are sealed too.
 */
import { createHmac } from "node:crypto"
import {
    AUDIT_KEY_SEGMENT,
    AUDIT_SEGMENT_BYTES,
    AUDIT_SEGMENTS,
    auditEntryName,
    checkSegment,
    civilToSeconds,
    daysInMonth,
    entryKind,
    entrySlot,
    entrySource,
    entryTime,
    formatWallTime,
    MODE_COUNT,
    modeName,
    parseDays,
    parseUserListPage,
    PARAMS_BYTES,
    putUint,
    segmentCount,
    segmentFirstSeq,
    startChainCheck,
    u32Args,
    userAddArgs,
    UserListEntry,
    UserStatus,
    UserType,
    userTypeName,
} from "../src/core/index"
import { KeyStore, request } from "./protocol"
import { OPERATION_SOURCES } from "../host/lock-client"
import type { LockLink } from "./transport"

/** A user as `users list` shows it: metadata only. */
export interface UserInfo {
    slot: number
    type: string
    enabled: boolean
    name: string
    schedule: string
}

const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]

function hhmm(minute: number): string {
    return `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`
}

function u(p: number[], at: number, n: number): number {
    let v = 0
    for (let i = n - 1; i >= 0; i--) v = v * 256 + p[at + i]
    return v
}

/** A user's schedule in words ("" when its type has none). */
export function describeSchedule(type: number, p: number[]): string {
    if (type === UserType.WeekDaySchedule) {
        const days = DAY_NAMES.filter((_, d) => (p[0] >> d) & 1)
        return `${days.join(",")} ${hhmm(u(p, 1, 2))}-${hhmm(u(p, 3, 2))}`
    }
    if (type === UserType.YearDaySchedule) return `${formatWallTime(u(p, 0, 4))} to ${formatWallTime(u(p, 4, 4))}`
    if (type === UserType.Expiring) {
        const first = u(p, 2, 4)
        return `${u(p, 0, 2)} min after first use${first ? ` (first used ${formatWallTime(first)})` : " (not used yet)"}`
    }
    return ""
}

function userInfo(e: UserListEntry): UserInfo {
    return {
        slot: e.slot,
        type: userTypeName(e.type),
        enabled: e.status === UserStatus.OccupiedEnabled,
        name: e.name,
        schedule: describeSchedule(e.type, e.params),
    }
}

/** Every user, asked page by page. */
export async function listUsers(client: LockLink, store: KeyStore): Promise<UserInfo[]> {
    const out: UserInfo[] = []
    let from = 1
    for (let pages = 0; pages < 64; pages++) {
        const page = parseUserListPage(await request(client, store, "user-list", [from]))
        if (!page) throw new Error("the lock's user list page is malformed")
        out.push(...page.users.map(userInfo))
        if (page.next === 0) return out
        if (page.next <= from) throw new Error("the lock's user list does not advance")
        from = page.next
    }
    throw new Error("the lock's user list does not end")
}

/** How `users add` describes the new user (everything but the code). */
export interface NewUser {
    type: number
    name: string
    params: number[]
}

/** Adds a user; resolves with the slot the lock chose. The code travels sealed and is never kept. */
export async function addUser(client: LockLink, store: KeyStore, user: NewUser, code: string): Promise<number> {
    const answer = await request(client, store, "user-add", userAddArgs(user.type, user.params, code, user.name))
    if (answer.length !== 1) throw new Error("the lock's answer to user-add is malformed")
    return answer[0]
}

/** Sets the lock's wall clock: `seconds` is local time in seconds since 1970. */
export async function setClock(client: LockLink, store: KeyStore, seconds: number): Promise<void> {
    await request(client, store, "clock", u32Args(seconds))
}

/** One audit entry, decoded. */
export interface AuditRow {
    seq: number
    /** "YYYY-MM-DD hh:mm" local time, or "" when the clock was not set. */
    time: string
    event: string
    source: string
    slot: number
}

/** The audit log as read, with the verdict on its chain. */
export interface AuditLog {
    intact: boolean
    /** First entry found broken or missing, -1 when intact. */
    brokenAt: number
    entries: AuditRow[]
}

/** Reads every audit segment and checks the hash chain with the chain key the lock hands over. */
export async function readAudit(client: LockLink, store: KeyStore): Promise<AuditLog> {
    const key = await request(client, store, "audit-read", [AUDIT_KEY_SEGMENT])
    if (key.length !== 32) throw new Error("the lock's audit chain key is malformed")
    const segments: Buffer[] = []
    for (let i = 0; i < AUDIT_SEGMENTS; i++) {
        const seg = await request(client, store, "audit-read", [i])
        if (seg.length === 0) continue
        if (seg.length !== AUDIT_SEGMENT_BYTES) throw new Error(`audit segment ${i} is malformed (${seg.length} bytes)`)
        segments.push(seg)
    }
    segments.sort((a, b) => segmentFirstSeq(a) - segmentFirstSeq(b))
    const mac = (m: { length: number; [i: number]: number }) => createHmac("sha256", key).update(Uint8Array.from(m as ArrayLike<number>)).digest()
    const check = startChainCheck()
    const entries: AuditRow[] = []
    for (const seg of segments) {
        checkSegment(check, seg, mac)
        const first = segmentFirstSeq(seg)
        for (let i = 0; i < segmentCount(seg); i++) {
            const t = entryTime(seg, i)
            const kind = entryKind(seg, i)
            const slot = entrySlot(seg, i)
            entries.push({
                seq: first + i,
                time: t ? formatWallTime(t) : "",
                event: auditEntryName(kind, slot) + (kind === 17 ? ` ${modeName(slot)}` : ""),
                source: OPERATION_SOURCES[entrySource(seg, i)] ?? "Unknown",
                slot: kind === 17 ? 0 : slot,
            })
        }
    }
    return { intact: check.brokenAt < 0, brokenAt: check.brokenAt, entries }
}

/** A user type from its Matter name (any case, without spaces) or number. */
export function parseUserType(s: string): number {
    const names: { [k: string]: number } = {
        unrestricted: UserType.Unrestricted,
        yeardayschedule: UserType.YearDaySchedule,
        yearday: UserType.YearDaySchedule,
        weekdayschedule: UserType.WeekDaySchedule,
        weekday: UserType.WeekDaySchedule,
        nonaccess: UserType.NonAccess,
        forced: UserType.Forced,
        disposable: UserType.Disposable,
        expiring: UserType.Expiring,
        remoteonly: UserType.RemoteOnly,
    }
    const k = s.toLowerCase().replace(/[^a-z0-9]/g, "")
    if (/^\d+$/.test(k) && Object.values(names).includes(Number(k))) return Number(k)
    if (names[k] !== undefined) return names[k]
    throw new Error(`unknown user type "${s}" (one of Unrestricted, WeekDaySchedule, YearDaySchedule, NonAccess, Forced, Disposable, Expiring, RemoteOnly)`)
}

/** An operating mode from its name (any case) or number. */
export function parseMode(s: string): number {
    for (let m = 0; m < MODE_COUNT; m++) if (s.toLowerCase() === modeName(m).toLowerCase() || s === String(m)) return m
    throw new Error(`unknown mode "${s}" (one of ${Array.from({ length: MODE_COUNT }, (_, m) => modeName(m)).join(", ")})`)
}

/** "HH:MM" as a minute of the day (up to 24:00 when `end`). */
export function parseClockTime(s: string, end: boolean): number {
    const m = /^(\d{1,2}):(\d{2})$/.exec(s)
    const minute = m ? Number(m[1]) * 60 + Number(m[2]) : -1
    if (!m || Number(m[2]) > 59 || minute > (end ? 1440 : 1439)) throw new Error(`"${s}" is not a time of day (HH:MM)`)
    return minute
}

/** "YYYY-MM-DD HH:MM[:SS]" (or with a T) as seconds since 1970, read as the lock's local time. */
export function parseLocalDateTime(s: string): number {
    const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(s.trim())
    if (!m) throw new Error(`"${s}" is not a date and time (YYYY-MM-DD HH:MM)`)
    const [y, mo, d, h, mi, se] = m.slice(1).map(x => Number(x ?? 0))
    if (y < 2020 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || se > 59)
        throw new Error(`"${s}" is not a date and time between 2020 and 2099`)
    return civilToSeconds(y, mo, d, h, mi, se)
}

/** This computer's local time, as the lock keeps it (seconds since 1970, no time zone). */
export function localNowSeconds(now = new Date()): number {
    return Math.floor(now.getTime() / 1000) - now.getTimezoneOffset() * 60
}

/** The 8 schedule bytes of a new user from the CLI's options (checked again by the lock). */
export function scheduleParams(type: number, o: { days?: string; start?: string; end?: string; from?: string; until?: string; minutes?: string }): number[] {
    const p = new Array<number>(PARAMS_BYTES).fill(0)
    const need = (v: string | undefined, flag: string) => {
        if (v === undefined) throw new Error(`${userTypeName(type)} needs ${flag}`)
        return v
    }
    if (type === UserType.WeekDaySchedule) {
        const days = parseDays(need(o.days, "--days (1 Monday .. 7 Sunday, e.g. 12345)"))
        if (days < 0) throw new Error(`--days takes digits 1 (Monday) .. 7 (Sunday), not "${o.days}"`)
        const start = parseClockTime(need(o.start, "--start HH:MM"), false)
        const end = parseClockTime(need(o.end, "--end HH:MM"), true)
        if (end <= start) throw new Error("--end must come after --start")
        p[0] = days
        putUint(p, 1, 2, start)
        putUint(p, 3, 2, end)
    } else if (type === UserType.YearDaySchedule) {
        const from = parseLocalDateTime(need(o.from, '--from "YYYY-MM-DD HH:MM"'))
        const until = parseLocalDateTime(need(o.until, '--until "YYYY-MM-DD HH:MM"'))
        if (until <= from) throw new Error("--until must come after --from")
        putUint(p, 0, 4, from)
        putUint(p, 4, 4, until)
    } else if (type === UserType.Expiring) {
        const minutes = Number(need(o.minutes, "--minutes N (1..2880)"))
        if (!Number.isInteger(minutes) || minutes < 1 || minutes > 2880) throw new Error(`--minutes takes 1 to 2880, not "${o.minutes}"`)
        putUint(p, 0, 2, minutes)
    }
    return p
}
