/**
 * `latchkey`: the companion CLI. Reaches the lock over Jacdac through a devtools-style TCP hub
 * (the simulator, `npm start`, serves one on 127.0.0.1:8082; or `devs devtools` with a board), or
 * with `--mqtt` through an MQTT broker the lock is connected to (./mqtt-transport.ts): the same
 * protocol 2 frames either way (./transport.ts). Enrolment is the bus's alone.
 * Parsing and the commands live here; bin/latchkey.js runs main().
 *
 *   latchkey [options] <command> [args]      (USAGE below lists them all)
 */
import { createRequire } from "node:module"
import { createNodeSocketTransport, JDBus } from "jacdac-ts"
import { addUser, listUsers, localNowSeconds, parseLocalDateTime, parseMode, parseUserType, readAudit, scheduleParams, setClock } from "./admin"
import {
    AlreadyEnrolled,
    command,
    defaultKeyFile,
    enrol,
    ENROL_BUS_ONLY,
    EnrolNotRemote,
    KeyStore,
    LockRefusal,
    ProtocolMismatch,
    storeGeneration,
    UnprovenAnswer,
    UnsafeKeyFile,
} from "./protocol"
import { LockBusy } from "./file-lock"
import { BACKUP_COMMANDS, brokerRefusal, checkBackupArgs, runBackupCommand } from "./backup-command"
import { BackupFileError } from "./backup-file"
import { RestoreRefused } from "./backup"
import { LatchkeyClient } from "../host/lock-client"
import { formatWallTime, modeName, UserType } from "../src/core/index"
import { topicLockId } from "../src/core/topics"
import { prefixProblem } from "../src/config/profile"
import { loadProfile } from "../host/profile-io"
import { BusTransport, LockLink, NoAnswer, transportOf } from "./transport"
import { BrokerError, KnownLock, MqttTransport } from "./mqtt-transport"
import { BrokerCredentials, credentialsFromEnv, parseBrokerUrl, PASSWORD_ENV, USER_ENV } from "./broker-options"
import { canPrompt, promptLine } from "./prompt"

// jacdac-ts's ESM build loads "net" through a lazy require()
;(globalThis as { require?: NodeRequire }).require ??= createRequire(import.meta.url)

export const USAGE = `usage: latchkey [options] <command> [args]

commands:
  status                   the lock's state, mode, failure count and lockout
  enrol [--replace]        pair this computer as a companion (press the lock's program button first);
                           refused when the key file already holds a key for this lock; --replace
                           enrols a new key, then revokes the old one with it
  unlock | lock            open or lock the door (challenge-response, AES-256-CCM)
  clear-lockout            clear the keypad's failure counter and lockout
  revoke KEY_ID            revoke one companion key (1..254; refused for an id the lock does not
                           know; a revoked key stays revoked, and its id is never issued again);
                           this computer's own key is then removed from the key file
  lost-phone               revoke every companion key at once (keypad codes keep working)
  keys                     list the companion keys this computer holds (never the keys themselves)
  users list               every user: slot, type, enabled, name, schedule (never a code)
  users add [user options] add a user; the code is read from standard input (prompted twice,
                           hidden, on a terminal); the lock answers the slot it chose
  users remove SLOT        delete a user (not slot 1, the master)
  users enable SLOT | users disable SLOT
  users name SLOT NAME     name a user (up to 10 printable ASCII characters; "" clears it)
  mode [MODE]              show, or set, the operating mode
                           (Normal, Vacation, Privacy, NoRemoteLockUnlock, Passage)
  clock set [WHEN]         set the lock's clock to this computer's local time, or to WHEN
                           ("YYYY-MM-DD HH:MM[:SS]", the lock's local time); needed after every
                           power-on for schedule users
  audit                    the audit log, oldest first, with its hash chain checked here
                           (exit code 3 when the chain is broken)
  locks                    (--mqtt only) the locks the broker knows: their retained availability
  backup FILE              save everything the lock keeps (device key, users, names, mode, companion
                           records, audit log) to a new FILE, encrypted under a passphrase
  restore FILE [--replace-board]
                           put a backup back into a lock in setup mode (a lost or wiped store), over
                           the bus only: press the lock's program button first (30 s); refused onto
                           another board unless --replace-board. The passphrase: typed on the
                           terminal, or LATCHKEY_BACKUP_PASSPHRASE for scripts (never an argument)

user options (users add):
  --type TYPE              Unrestricted (default), WeekDaySchedule, YearDaySchedule, NonAccess,
                           Forced (duress: opens and raises an alarm), Disposable (one use),
                           Expiring, RemoteOnly; implied by the schedule options below
  --name NAME              the user's name
  --days DAYS --start HH:MM --end HH:MM     WeekDaySchedule: days 1 (Monday) .. 7 (Sunday), e.g. 12345
  --from "YYYY-MM-DD HH:MM" --until "..."   YearDaySchedule
  --minutes N              Expiring: minutes of validity after the first use (1..2880)

options:
  --tcp HOST:PORT          where the lock is reached (default 127.0.0.1:8082: \`npm start\` or \`devs devtools\`)
  --mqtt URL               reach the lock through an MQTT broker instead: mqtt://HOST[:PORT] or
                           mqtts://HOST[:PORT] (TLS); the broker's user name and password come from
                           ${USER_ENV} and ${PASSWORD_ENV}, or are asked on a terminal
                           (never in the URL). Every command but enrol works over MQTT; status and
                           mode read the broker's retained (unauthenticated) copy of the lock's state
  --lock ID                (--mqtt) the lock to address, by id (16 hex digits; \`latchkey locks\`);
                           needed only when the broker knows several
  --topic-prefix PREFIX    (--mqtt) the locks' topic prefix (default: devs.json's network.topicPrefix)
  --keys FILE              key file (default ${defaultKeyFile()}; set LATCHKEY_HOME to move it);
                           refused when it or its folder is a link, is another user's, or others
                           may change it (or read the file)
  --json                   machine-readable output
  --timeout MS             how long to look for the lock or the broker (default 5000)
  --help                   this text

exit codes: 0 done, 1 refused or failed, 2 usage error, 3 audit chain broken`

export interface CliOptions {
    host: string
    port: number
    keys: string
    json: boolean
    timeoutMs: number
    command: string
    args: string[]
    /** Options of `users add`. */
    user: { [name: string]: string }
    /** `enrol --replace`. */
    replace: boolean
    /** --mqtt: the broker's URL (checked); undefined: the bus (--tcp). */
    mqtt?: string
    /** --lock (lower-case hex). */
    lock?: string
    /** --topic-prefix, or devs.json's. */
    topicPrefix?: string
    /** `restore --replace-board`. */
    replaceBoard?: boolean
}

/** A usage error: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

const USER_OPTIONS = ["type", "name", "days", "start", "end", "from", "until", "minutes"]
/**
 * What `status` says about a lost store: the lock's own finding (store_lost), or, for a lock in
 * setup mode that this computer holds a companion key for, the companion's (a lock whose store
 * formatted itself as a whole keeps nothing that says so; a factory reset looks the same).
 */
/** How an owner gets a lost store back. */
const RECOVER_STORE =
    "with a backup: press the program button, then `latchkey restore FILE` over the bus, and every old code opens again; without one: set up again with the program button and re-add users"

function storeLossNote(s: { provisioned: boolean; storeLost: boolean }, heldKey: number | undefined): { text: string; lost: boolean } {
    if (s.storeLost)
        return { text: `; STORE LOST: the lock found settings it had written lost or damaged at a power cut (${RECOVER_STORE})`, lost: true }
    if (!s.provisioned && heldKey !== undefined)
        return { text: `; STORE LOST OR RESET: this computer holds companion key ${heldKey} for this lock, which is back in setup mode (a power cut during a flash write, or a factory reset; ${RECOVER_STORE})`, lost: true }
    return { text: "", lost: false }
}

const SIMPLE = ["status", "enrol", "keys", "unlock", "lock", "clear-lockout", "lost-phone", "audit"]
const COMMAND_NAMES = [...SIMPLE, "revoke", "users", "mode", "clock", "locks", ...BACKUP_COMMANDS]

function slotArg(s: string | undefined, what: string): number {
    if (s === undefined || !/^\d{1,3}$/.test(s) || Number(s) < 1 || Number(s) > 250) throw new UsageError(`${what} takes a slot from 1 to 250`)
    return Number(s)
}

export function parseCli(argv: string[]): CliOptions | "help" {
    const o: CliOptions = { host: "127.0.0.1", port: 8082, keys: defaultKeyFile(), json: false, timeoutMs: 5000, command: "", args: [], user: {}, replace: false }
    const broker = brokerRefusal(argv)
    if (broker) throw new UsageError(broker)
    const rest: string[] = []
    let tcp = false
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i]
        const value = () => {
            const v = argv[++i]
            if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`)
            return v
        }
        if (a === "--help" || a === "-h") return "help"
        else if (a === "--json") o.json = true
        else if (a === "--replace") o.replace = true
        else if (a === "--replace-board") o.replaceBoard = true
        else if (a === "--keys") o.keys = value()
        else if (a === "--tcp") {
            const m = /^([^:]+):(\d{1,5})$/.exec(value())
            if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new UsageError(`--tcp takes HOST:PORT, e.g. 127.0.0.1:8082`)
            o.host = m[1]
            o.port = Number(m[2])
            tcp = true
        } else if (a === "--mqtt") {
            try {
                o.mqtt = parseBrokerUrl(value())
            } catch (e) {
                throw new UsageError((e as Error).message)
            }
        } else if (a === "--lock") {
            const v = value()
            const id = topicLockId(v)
            if (id === null) throw new UsageError(`--lock takes a lock id, 16 hex digits (\`latchkey --mqtt URL locks\` lists them), not "${v}"`)
            o.lock = id
        } else if (a === "--topic-prefix") {
            const v = value()
            const why = prefixProblem(v)
            if (why) throw new UsageError(`--topic-prefix ${why}`)
            o.topicPrefix = v
        } else if (a === "--timeout") {
            const v = value()
            if (!/^\d+$/.test(v) || Number(v) < 100) throw new UsageError(`--timeout takes milliseconds (>= 100), not "${v}"`)
            o.timeoutMs = Number(v)
        } else if (a.startsWith("--") && USER_OPTIONS.includes(a.slice(2))) {
            // a name may be empty ("" clears it); other values may not
            const v = argv[++i]
            if (v === undefined || (v === "" && a !== "--name")) throw new UsageError(`${a} needs a value`)
            o.user[a.slice(2)] = v
        } else if (a.startsWith("-") && a !== "-" && !/^-?\d/.test(a)) throw new UsageError(`unknown option ${a}`)
        else rest.push(a)
    }
    if (rest.length === 0) throw new UsageError("no command given")
    if (tcp && o.mqtt) throw new UsageError("--tcp and --mqtt are two ways to reach the lock: give one")
    if (!o.mqtt && o.lock !== undefined) throw new UsageError("--lock is an option of --mqtt (on the bus, the lock is the one on it)")
    if (!o.mqtt && o.topicPrefix !== undefined) throw new UsageError("--topic-prefix is an option of --mqtt")
    o.command = rest[0]
    o.args = rest.slice(1)
    const args = o.args
    if (!COMMAND_NAMES.includes(o.command)) throw new UsageError(`unknown command "${o.command}" (one of ${COMMAND_NAMES.join(", ")})`)
    const userAdd = o.command === "users" && args[0] === "add"
    if (Object.keys(o.user).length && !userAdd) throw new UsageError(`--${Object.keys(o.user)[0]} is an option of \`users add\` only`)
    if (o.replace && o.command !== "enrol") throw new UsageError("--replace is an option of `enrol` only")
    if (o.command === "locks" && !o.mqtt) throw new UsageError("locks lists the locks an MQTT broker knows: give --mqtt URL")
    if (o.command === "revoke") {
        if (args.length !== 1 || !/^\d+$/.test(args[0]) || Number(args[0]) < 1 || Number(args[0]) > 254)
            throw new UsageError("revoke takes one key id from 1 to 254")
    } else if (o.command === "users") {
        const sub = args[0]
        if (sub === "list" || sub === "add") {
            if (args.length !== 1) throw new UsageError(`users ${sub} takes no arguments${sub === "add" ? " (the code is read from standard input)" : ""}`)
        } else if (sub === "remove" || sub === "enable" || sub === "disable") {
            slotArg(args[1], `users ${sub}`)
            if (args.length !== 2) throw new UsageError(`users ${sub} takes one slot`)
        } else if (sub === "name") {
            slotArg(args[1], "users name")
            if (args.length !== 3) throw new UsageError('users name takes a slot and a name (use "" to clear it)')
        } else throw new UsageError(`users takes list, add, remove, enable, disable or name${sub ? `, not "${sub}"` : ""}`)
    } else if (o.command === "mode") {
        if (args.length > 1) throw new UsageError("mode takes at most one mode")
        if (args.length === 1)
            try {
                parseMode(args[0])
            } catch (e) {
                throw new UsageError((e as Error).message)
            }
    } else if (o.command === "clock") {
        if (args[0] !== "set" || args.length > 2) throw new UsageError('clock takes: set [WHEN] (WHEN: "YYYY-MM-DD HH:MM")')
        if (args[1] !== undefined)
            try {
                parseLocalDateTime(args[1])
            } catch (e) {
                throw new UsageError((e as Error).message)
            }
    } else if (BACKUP_COMMANDS.includes(o.command)) {
        const why = checkBackupArgs(o.command, args)
        if (why) throw new UsageError(why)
    } else if (args.length) throw new UsageError(`${o.command} takes no arguments`)
    if (o.replaceBoard && o.command !== "restore") throw new UsageError("--replace-board is an option of `restore` only")
    return o
}

/** Reads a line from a non-terminal stdin, or prompts twice without echo on a terminal. */
export async function readCode(): Promise<string> {
    const stdin = process.stdin
    if (!stdin.isTTY) {
        let data = ""
        for await (const chunk of stdin) {
            data += chunk
            if (data.includes("\n")) break
        }
        return data.split(/\r?\n/)[0].trim()
    }
    const hidden = (prompt: string) => promptLine(prompt, true)
    const first = await hidden("new code: ")
    const again = await hidden("the same code again: ")
    if (first !== again) throw new Error("the two codes differ: nothing was sent")
    return first
}

/** Runs one command against the lock; returns what to print (text, an object for --json) and the exit code. */
export async function runCommand(
    o: CliOptions,
    link: LockLink,
    code: () => Promise<string> = readCode,
): Promise<{ text: string; data: object; exit?: number }> {
    const store = new KeyStore(o.keys)
    const t = transportOf(link)
    const a = o.args
    if (o.command === "keys") {
        const keys = store.all().map(k => ({ lock: k.lock, keyId: k.keyId, counter: k.counter }))
        return { text: keys.length ? keys.map(k => `lock ${k.lock}: key ${k.keyId} (counter ${k.counter})`).join("\n") : "no companion keys", data: { keys } }
    }
    // `users add` reads the code before the lock is asked anything (and before a nonce ages)
    let newCode = ""
    if (o.command === "users" && a[0] === "add") {
        newCode = await code()
        if (!/^\d+$/.test(newCode)) throw new Error("the code must be digits only (read from standard input)")
    }
    if (BACKUP_COMMANDS.includes(o.command)) {
        if (!(t instanceof BusTransport)) throw new Error("backup and restore go over the bus only (USB or the simulator's TCP bus), never a broker")
        return await runBackupCommand(o, t.client, store)
    }
    const lockId = await t.lockId(o.timeoutMs)
    if (o.command === "status" || (o.command === "mode" && a.length === 0)) {
        if (t instanceof MqttTransport) return await brokerStatus(o, t, lockId)
        if (!(t instanceof BusTransport)) throw new Error("status needs the lock's service on the bus, or the broker's retained state")
        const s = await t.client.status()
        if (o.command === "mode") return { text: `mode ${s.operatingMode}`, data: { mode: s.operatingMode } }
        const lockout =
            s.lockoutRemainingMs > 0 ? `; keypad LOCKED OUT: ${Math.ceil(s.lockoutRemainingMs / 1000)} s left (\`latchkey clear-lockout\` ends it)` : ""
        const lost = storeLossNote(s, store.get(lockId)?.keyId)
        const gen = await generationNote(t, store, lockId)
        return {
            text: `${s.provisioned ? s.lockState : "not set up (setup mode)"}, mode ${s.operatingMode}, ${s.failureCount} failed attempt(s)${lockout}${lost.text}${gen.text}`,
            data: { ...s, storeLost: lost.lost, ...gen.data },
        }
    }
    if (o.command === "enrol") {
        if (!(t instanceof BusTransport)) throw new EnrolNotRemote()
        const lock = lockId
        const held = store.get(lock)
        // a second key would orphan the first on the lock (it would stay live, one of its 8)
        if (held && !o.replace) throw new AlreadyEnrolled(lock, held.keyId, store.path)
        const rec = await enrol(t, store)
        const text = `enrolled as companion key ${rec.keyId} of lock ${rec.lock}; key saved in ${store.path}`
        if (!held) return { text, data: { lock: rec.lock, keyId: rec.keyId } }
        // the lock issued this id again: it no longer knows the old key (a factory reset)
        if (held.keyId === rec.keyId) return { text: `${text} (the lock had forgotten old key ${held.keyId})`, data: { lock: rec.lock, keyId: rec.keyId, replaced: held.keyId } }
        try {
            await command(t, store, "revoke", [held.keyId])
        } catch (e) {
            const why = e instanceof LockRefusal && e.reason === "no such companion key" ? null : (e as Error).message
            if (why === null) return { text: `${text}; old key ${held.keyId} was not known to the lock`, data: { lock: rec.lock, keyId: rec.keyId, replaced: held.keyId } }
            return {
                text: `${text}; but revoking old key ${held.keyId} FAILED (${why}): the new key is kept; run \`latchkey revoke ${held.keyId}\``,
                data: { lock: rec.lock, keyId: rec.keyId, replaced: held.keyId, revokeFailed: why },
                exit: 1,
            }
        }
        return { text: `${text}; old key ${held.keyId} revoked`, data: { lock: rec.lock, keyId: rec.keyId, replaced: held.keyId } }
    }
    if (o.command === "users") {
        const sub = a[0]
        if (sub === "list") {
            const users = await listUsers(t, store)
            const text = users
                .map(u => `${String(u.slot).padStart(3)}  ${u.type.padEnd(16)} ${u.enabled ? "enabled " : "disabled"}  ${u.name.padEnd(10)}  ${u.schedule}`.trimEnd())
                .join("\n")
            return { text: `slot type             status    name        schedule\n${text}`, data: { users } }
        }
        if (sub === "add") {
            const opt = o.user
            const type =
                opt.type !== undefined
                    ? parseUserType(opt.type)
                    : opt.days !== undefined || opt.start !== undefined
                      ? UserType.WeekDaySchedule
                      : opt.from !== undefined || opt.until !== undefined
                        ? UserType.YearDaySchedule
                        : opt.minutes !== undefined
                          ? UserType.Expiring
                          : UserType.Unrestricted
            const slot = await addUser(t, store, { type, name: opt.name ?? "", params: scheduleParams(type, opt) }, newCode)
            return { text: `user added in slot ${slot}`, data: { slot } }
        }
        const slot = Number(a[1])
        if (sub === "name") {
            await command(t, store, "user-name", [slot, ...Buffer.from(a[2], "latin1")])
            return { text: a[2] ? `slot ${slot} named "${a[2]}"` : `slot ${slot}'s name cleared`, data: { slot, name: a[2] } }
        }
        await command(t, store, `user-${sub}`, [slot])
        const done = sub === "remove" ? "removed" : sub === "enable" ? "enabled" : "disabled"
        return { text: `slot ${slot} ${done}`, data: { slot, done } }
    }
    if (o.command === "mode") {
        const mode = parseMode(a[0])
        await command(t, store, "mode", [mode])
        return { text: `mode ${modeName(mode)}`, data: { mode: modeName(mode) } }
    }
    if (o.command === "clock") {
        const seconds = a[1] !== undefined ? parseLocalDateTime(a[1]) : localNowSeconds()
        await setClock(t, store, seconds)
        return { text: `clock set to ${formatWallTime(seconds)} (the lock's local time)`, data: { clock: formatWallTime(seconds), seconds } }
    }
    if (o.command === "audit") {
        const log = await readAudit(t, store)
        const rows = log.entries.map(e => `${String(e.seq).padStart(5)}  ${(e.time || "(clock not set)").padEnd(16)}  ${e.event.padEnd(26)} ${e.source.padEnd(11)} ${e.slot || ""}`.trimEnd())
        const verdict = log.intact
            ? `chain intact: ${log.entries.length} entries`
            : `chain BROKEN at entry ${log.brokenAt}: entries from there on cannot be trusted`
        return { text: `  seq  time              event                      source      slot\n${rows.join("\n")}\n${verdict}`, data: log, exit: log.intact ? 0 : 3 }
    }
    const args = o.command === "revoke" ? [Number(a[0])] : []
    try {
        await command(t, store, o.command, args)
    } catch (e) {
        if (o.command === "revoke" && e instanceof LockRefusal && e.status === "Invalid")
            throw new LockRefusal(e.status, `${e.reason}: the lock knows no companion key ${a[0]} (never issued, or revoked and its record since reused); nothing was revoked`)
        throw e
    }
    // this computer's own key no longer works: it leaves the key file (so `enrol` may run again)
    const lock = lockId
    const own = store.get(lock)
    const dropped = o.command === "lost-phone" || (o.command === "revoke" && own?.keyId === Number(a[0]))
    if (dropped) store.remove(lock)
    const done: { [c: string]: string } = {
        unlock: "unlocked",
        lock: "locked",
        "clear-lockout": "failure counter and lockout cleared",
        revoke: `companion key ${a[0]} is revoked (revoking it again changes nothing)`,
        "lost-phone": "every companion key revoked; keypad codes still work",
    }
    const text = dropped ? `${done[o.command]}; this computer's key removed from ${store.path}` : done[o.command]
    return { text, data: { command: o.command, ...(dropped ? { keyRemoved: true } : {}) } }
}

/**
 * What `status` says of the store's generation: read sealed with this computer's key (a sealed
 * read that changes nothing), with the highest this computer saw before; not known without a key.
 */
async function generationNote(t: LockLink, store: KeyStore, lockId: string): Promise<{ text: string; data: object }> {
    if (!store.get(lockId)) return { text: "; store generation not known (only a sealed answer carries it: this computer holds no key for this lock)", data: {} }
    try {
        const g = await storeGeneration(t, store)
        const behind = g.generation < g.remembered ? ` BEHIND the ${g.remembered} this computer saw: the store went back in time (reported and repaired above)` : ""
        return {
            text: `; store generation ${g.generation}${behind || (g.remembered > 0 ? ` (highest this computer saw before: ${g.remembered})` : " (the first this computer has seen)")}`,
            data: { generation: g.generation, generationSeen: g.remembered },
        }
    } catch (e) {
        return { text: `; store generation not read (${(e as Error).message.split("\n")[0]})`, data: {} }
    }
}

/** `status` and `mode` over a broker: its retained copy of the lock's state, said to be just that. */
async function brokerStatus(o: CliOptions, t: MqttTransport, lockId: string): Promise<{ text: string; data: object }> {
    const topic = `${t.prefix}/${lockId}/state`
    const raw = await t.retainedState()
    if (raw === null)
        throw new Error(
            `the broker holds no state for lock ${lockId} (${topic}): the lock publishes none (network.publishState off), or has not connected since the broker started. ` +
                "No sealed status command exists: on the bus (--tcp), `status` reads the lock's own registers",
        )
    let doc: { [k: string]: unknown }
    try {
        doc = JSON.parse(raw)
    } catch {
        doc = {}
    }
    const { lock, failures, lockout_s, mode, door } = doc
    if (typeof lock !== "string" || typeof mode !== "string" || typeof failures !== "number" || typeof lockout_s !== "number")
        throw new Error(`what the broker holds on ${topic} is not the lock's state document: ${JSON.stringify(raw.slice(0, 120))}`)
    const note = `the broker's retained copy of the lock's state, NOT authenticated: anyone allowed to publish on ${topic} could have written it`
    const data = {
        lockState: lock,
        operatingMode: mode,
        failureCount: failures,
        lockoutRemainingMs: lockout_s * 1000,
        ...(typeof door === "string" ? { door } : {}),
        authenticated: false,
        source: topic,
    }
    if (o.command === "mode") return { text: `mode ${mode} (${note})`, data: { mode, authenticated: false, source: topic } }
    const lockout = lockout_s > 0 ? `; keypad LOCKED OUT: ${lockout_s} s left` : ""
    return { text: `${lock}, mode ${mode}, ${failures} failed attempt(s)${lockout}${typeof door === "string" ? `, door ${door}` : ""} (${note})`, data }
}

/** Connects to the broker with the environment's credentials, or (refused, on a terminal) with ones asked for. */
async function connectBroker(o: CliOptions, prefix: string): Promise<MqttTransport> {
    const creds: BrokerCredentials = credentialsFromEnv()
    if (creds.username !== undefined && creds.password === undefined && canPrompt()) creds.password = await promptLine(`password for ${creds.username} at ${o.mqtt}: `, true)
    try {
        return await MqttTransport.connect({ url: o.mqtt!, ...creds, prefix, timeoutMs: o.timeoutMs })
    } catch (e) {
        if (!(e instanceof BrokerError && e.credentials && creds.username === undefined && canPrompt())) throw e
        process.stderr.write(`the broker at ${o.mqtt} wants a user name and password (${USER_ENV}, ${PASSWORD_ENV})\n`)
        const username = await promptLine("user name: ", false)
        const password = await promptLine("password: ", true)
        return await MqttTransport.connect({ url: o.mqtt!, username, password, prefix, timeoutMs: o.timeoutMs })
    }
}

function describeLocks(locks: KnownLock[]): string {
    return locks.map(l => `${l.id}  ${l.availability}`).join("\n")
}

/**
 * The lock a broker command addresses: --lock (which the broker must know, online), or the only
 * one it knows. Otherwise a message and an exit code.
 */
async function chooseLock(o: CliOptions, t: MqttTransport): Promise<{ id: string } | { message: string; code: string; exit: number; locks: KnownLock[] }> {
    const known = await t.locks()
    const where = `the broker at ${o.mqtt} (topics ${t.prefix}/…)`
    const offline = (id: string) => ({
        message: `lock ${id} is offline: ${where} holds its will ("offline"), so the lock is not connected now; nothing was sent`,
        code: "LockOffline",
        exit: 1,
        locks: known,
    })
    if (o.lock !== undefined) {
        const k = known.find(l => l.id === o.lock)
        if (!k)
            return {
                message: `${where} knows no lock ${o.lock}${known.length ? `; it knows: ${known.map(l => l.id).join(", ")}` : ""} (\`latchkey --mqtt URL locks\`); nothing was sent`,
                code: "UnknownLock",
                exit: 1,
                locks: known,
            }
        return MqttTransport.online(k) ? { id: k.id } : offline(k.id)
    }
    if (known.length === 0)
        return {
            message: `${where} knows no lock (no retained ${t.prefix}/<id>/availability): is the lock's network on and connected to this broker, and is the topic prefix right (--topic-prefix)?`,
            code: "NoLock",
            exit: 1,
            locks: known,
        }
    if (known.length > 1)
        return { message: `${where} knows ${known.length} locks: choose one with --lock ID\n${describeLocks(known)}`, code: "ChooseLock", exit: 2, locks: known }
    return MqttTransport.online(known[0]) ? { id: known[0].id } : offline(known[0].id)
}

/** The CLI: parses `argv`, runs the command, prints; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
    // jacdac-ts narrates its transports on console.debug; a CLI's output is its answer only
    if (!process.env.LATCHKEY_DEBUG) console.debug = () => {}
    let o: CliOptions | "help"
    try {
        o = parseCli(argv)
    } catch (e) {
        console.error(`latchkey: ${(e as Error).message}\n\n${USAGE}`)
        return 2
    }
    if (o === "help") {
        console.log(USAGE)
        return 0
    }
    const opts = o
    const fail = (message: string, code: string) => {
        if (opts.json) console.log(JSON.stringify({ ok: false, error: code, message }))
        else console.error(`latchkey: ${message}`)
        return 1
    }
    let bus: JDBus | undefined
    let broker: MqttTransport | undefined
    try {
        if (opts.mqtt && opts.command === "enrol") return fail(ENROL_BUS_ONLY, "EnrolNotRemote")
        if (opts.mqtt && opts.command !== "keys") {
            const prefix = opts.topicPrefix ?? loadProfile().network.topicPrefix
            broker = await connectBroker(opts, prefix)
            if (opts.command === "locks") {
                const locks = await broker.locks()
                const text = locks.length ? describeLocks(locks) : `the broker knows no lock under ${prefix}/`
                console.log(opts.json ? JSON.stringify({ ok: true, locks }) : text)
                return 0
            }
            const chosen = await chooseLock(opts, broker)
            if (!("id" in chosen)) {
                if (opts.json) console.log(JSON.stringify({ ok: false, error: chosen.code, message: chosen.message, locks: chosen.locks }))
                else console.error(`latchkey: ${chosen.message}`)
                return chosen.exit
            }
            broker.use(chosen.id)
            const out = await runCommand(opts, broker)
            console.log(opts.json ? JSON.stringify({ ok: (out.exit ?? 0) === 0, ...out.data }) : out.text)
            return out.exit ?? 0
        }
        if (opts.command !== "keys") {
            const transport = createNodeSocketTransport(opts.port, opts.host)
            bus = new JDBus([transport], { client: false, disableRoleManager: true })
            bus.start()
            // jacdac-ts retries a refused connection forever: give it the timeout, no more
            await Promise.race([bus.connect(true), new Promise(r => setTimeout(r, opts.timeoutMs))])
            if (!transport.connected) return fail(`cannot reach ${opts.host}:${opts.port} (is \`npm start\` running, or \`devs devtools\`?)`, "NoLock")
        }
        const client = new LatchkeyClient(bus ?? new JDBus([], { client: false }))
        const out = await runCommand(opts, new BusTransport(client, `${opts.host}:${opts.port}`))
        console.log(opts.json ? JSON.stringify({ ok: (out.exit ?? 0) === 0, ...out.data }) : out.text)
        return out.exit ?? 0
    } catch (e) {
        if (e instanceof AlreadyEnrolled) return fail(e.message, "AlreadyEnrolled")
        if (e instanceof BrokerError) return fail(e.message, e.credentials ? "BrokerRefused" : "BrokerUnreachable")
        if (e instanceof EnrolNotRemote) return fail(e.message, "EnrolNotRemote")
        if (e instanceof NoAnswer) return fail(e.message, "NoAnswer")
        if (e instanceof UnsafeKeyFile) return fail(e.message, "UnsafeKeyFile")
        if (e instanceof LockBusy) return fail(e.message, "KeyFileBusy")
        if (e instanceof UnprovenAnswer) return fail(e.message, "UnprovenAnswer")
        if (e instanceof ProtocolMismatch) return fail(e.message, "ProtocolMismatch")
        if (e instanceof BackupFileError || e instanceof RestoreRefused) return fail(e.message, e.reason)
        if (e instanceof LockRefusal) {
            if (opts.json) {
                console.log(JSON.stringify({ ok: false, error: e.status, reason: e.reason, message: e.message }))
                return 1
            }
            return fail(e.message, e.status)
        }
        const msg = (e as Error).message
        if (/no Latchkey lock service/.test(msg))
            return fail(`no lock found at ${opts.host}:${opts.port} (is \`npm start\` running, or \`devs devtools\` with a board?)`, "NoLock")
        return fail(msg, "Error")
    } finally {
        await broker?.close()
        await bus?.dispose()
    }
}
