/**
 * The lock board's profile: the parsed and validated form of devs.json.
 *
 * Pure (no I/O): `scripts/build.ts` reads devs.json, validates it here and generates
 * `profile.g.ts` for the firmware; the simulator validates the same file at start-up.
 */

import type { BoardPins, NetworkProfile, Profile } from "./types"
import { ArchInfo, archMaxGpio, BoardCatalog, boardPins, builtinButtonOn, describeNeed, PinNeed, pinMeets, settingsAreaBytes } from "./boards"
import { AUDIT_SEGMENT_BYTES, AUDIT_SEGMENTS } from "../core/audit"
import { COMPANION_RECORDS } from "../core/enrolment"
import { COMPANION_KEY_BYTES } from "../core/remote"
import { NAME_BYTES, NAME_CHUNKS, NAMES_PER_CHUNK, USER_CHUNKS, USER_RECORD_BYTES, USERS_PER_CHUNK } from "../core/users"

export type { BoardPins, Profile } from "./types"

/** A devs.json that does not describe a usable lock; `problems` lists every field at fault. */
export class ProfileError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid lock profile:\n  ${problems.join("\n  ")}`)
        this.name = "ProfileError"
    }
}

const KEYPAD_KEYS = "0123456789*#"
/**
 * Highest GPIO number accepted without the board catalog (the pure validation the fuzzer runs):
 * the ESP32's, the shipping board's family. With the catalog (every build, flash and simulator
 * run), the limit is the board's family's: ESP32 39, ESP32-S3 48, ESP32-C3 21, RP2040 29 (the
 * highest GPIO its pin specs name), so an S3's GPIO 40-48 are not refused by a range.
 */
const ANY_MAX_GPIO = 39

/** One live setting in the flash store (jd_fstor.c): a 24-byte entry plus its value, 8-byte aligned. */
const fstorEntry = (valueBytes: number) => 24 + ((valueBytes + 7) & ~7)
const TAG = 4
/**
 * The most the lock keeps in the settings store at once (see src/firmware/store.ts and
 * docs/architecture.md, "What is on flash"): the store's 24-byte header, the device key, two
 * counter records, meta, every user chunk, every name chunk, every audit segment, every companion
 * record and the highest companion key id issued: 13 920 bytes.
 * (Measured, `npm run bench:verify`: a full lock without companions keeps 12.8 KB.)
 */
export const LOCK_SETTINGS_BYTES =
    24 +
    fstorEntry(32) +
    2 * fstorEntry(9 + TAG) +
    fstorEntry(20 + TAG) +
    USER_CHUNKS * fstorEntry(USERS_PER_CHUNK * USER_RECORD_BYTES + TAG) +
    NAME_CHUNKS * fstorEntry(NAMES_PER_CHUNK * NAME_BYTES + TAG) +
    AUDIT_SEGMENTS * fstorEntry(AUDIT_SEGMENT_BYTES) +
    COMPANION_RECORDS * fstorEntry(6 + COMPANION_KEY_BYTES + TAG) +
    fstorEntry(1 + TAG)

const kb = (bytes: number) => `${Math.round(bytes / 102.4) / 10} KB`

type Obj = { [key: string]: unknown }

function isObject(v: unknown): v is Obj {
    return typeof v === "object" && v !== null && !Array.isArray(v)
}

function show(v: unknown): string {
    return v === undefined ? "nothing" : JSON.stringify(v)
}

/** Collects problems while walking a parsed devs.json. */
class Checker {
    readonly problems: string[] = []

    fail(path: string, reason: string, got: unknown) {
        if (got === undefined) this.problems.push(`${path}: missing (${reason})`)
        else this.problems.push(`${path}: ${reason} (got ${show(got)})`)
    }

    section(parent: Obj, key: string, path: string, allowed: string[]): Obj {
        const v = parent[key]
        const at = path ? `${path}.${key}` : key
        if (!isObject(v)) {
            this.fail(at, "must be an object", v)
            return {}
        }
        for (const k of Object.keys(v))
            if (allowed.indexOf(k) < 0)
                this.problems.push(`${at}.${k}: unknown field (expected one of ${allowed.join(", ")})`)
        return v
    }

    num(o: Obj, key: string, path: string, min: number, max: number, integer: boolean, fallback?: number): number {
        const v = o[key]
        if (v === undefined && fallback !== undefined) return fallback
        const kind = integer ? "an integer" : "a number"
        if (typeof v !== "number" || !isFinite(v) || (integer && Math.floor(v) !== v) || v < min || v > max) {
            this.fail(`${path}.${key}`, `must be ${kind} from ${min} to ${max}`, v)
            return min
        }
        return v
    }

    bool(o: Obj, key: string, path: string, fallback?: boolean): boolean {
        const v = o[key]
        if (v === undefined && fallback !== undefined) return fallback
        if (typeof v !== "boolean") {
            this.fail(`${path}.${key}`, "must be true or false", v)
            return false
        }
        return v
    }

    str(o: Obj, key: string, path: string): string {
        const v = o[key]
        if (typeof v !== "string" || v.length === 0) {
            this.fail(`${path}.${key}`, "must be a non-empty string", v)
            return ""
        }
        return v
    }

    pinList(o: Obj, key: string, path: string, count: number, maxGpio: number): number[] {
        const v = o[key]
        if (!Array.isArray(v) || v.length !== count) {
            this.fail(`${path}.${key}`, `must be a list of ${count} GPIO numbers`, v)
            return []
        }
        const out: number[] = []
        for (let i = 0; i < v.length; i++) out.push(this.num(v as unknown as Obj, "" + i, `${path}.${key}`, 0, maxGpio, true))
        return out
    }
}

/** Default for `keypad.debounceMs` (the issue's 20-50 ms window). */
export const DEFAULT_DEBOUNCE_MS = 30
/** Default for `latch.jamTimeoutMs`: a hobby servo turns 90 degrees in well under half of it. */
export const DEFAULT_JAM_TIMEOUT_MS = 1500

/** What each wire of the lock needs from its GPIO. */
const PIN_NEEDS: { [field: string]: PinNeed } = {
    keypadRows: "output",
    keypadColumns: "pullUpInput",
    servo: "output",
    buzzer: "output",
    programButton: "pullUpInput",
    doorSensor: "pullUpInput",
    latchSensor: "pullUpInput",
}

/** Checks every pin against the board's catalog entry: present, and able to do its job. */
function checkBoardPins(c: Checker, catalog: BoardCatalog, boardId: string, pins: BoardPins) {
    const board = catalog.boards[boardId]
    if (!board) {
        c.fail("board.id", `must be a DeviceScript board (one of ${Object.keys(catalog.boards).sort().join(", ")})`, boardId)
        return
    }
    const available = boardPins(catalog, board)
    const usable = available.map(p => p.gpio).join(", ")
    const check = (field: string, path: string, gpio: number | undefined) => {
        if (gpio === undefined) return
        if (c.problems.some(p => p.startsWith(`${path}:`) || p.startsWith(`${path}[`))) return // already refused
        if (field === "programButton" && builtinButtonOn(board, gpio)) return // the board's own button
        const pin = available.find(p => p.gpio === gpio)
        if (!pin) {
            c.problems.push(`${path}: GPIO ${gpio} is not a pin ${boardId} offers to programs (usable: ${usable})`)
            return
        }
        const need = PIN_NEEDS[field]
        if (!pinMeets(pin.functions, need))
            c.problems.push(
                `${path}: GPIO ${gpio} (${pin.label}) cannot be used here on ${boardId}: it needs ${describeNeed(need)}, ` +
                    `and GPIO ${gpio} is ${pin.functions.join(", ")}`,
            )
    }
    pins.keypadRows.forEach((g, i) => check("keypadRows", `board.pins.keypadRows[${i}]`, g))
    pins.keypadColumns.forEach((g, i) => check("keypadColumns", `board.pins.keypadColumns[${i}]`, g))
    for (const f of ["servo", "buzzer", "programButton", "doorSensor", "latchSensor"])
        check(f, `board.pins.${f}`, (pins as unknown as { [k: string]: number | undefined })[f])
    // a second button would be indistinguishable from the board's own to the firmware's "program" role
    const own = (board.$services ?? []).filter(s => s.service === "button")
    if (own.length && !builtinButtonOn(board, pins.programButton))
        c.problems.push(
            `board.pins.programButton: ${boardId} has its own button (${own.map(s => `${s.name} on GPIO ${s.pin}`).join(", ")}); ` +
                `use that pin for the program button, or the firmware cannot tell the two buttons apart (got ${pins.programButton})`,
        )
}

/**
 * Refuses a board whose flash store cannot hold the lock's settings: the store keeps them in its
 * header pages, 1/16 of its pages (jd_fstor.c), and a full lock needs LOCK_SETTINGS_BYTES there.
 * A store that fills up fails the lock's writes (users, failure counter, audit) at run time.
 */
function checkSettingsFlash(c: Checker, boardId: string, arch: ArchInfo) {
    const area = settingsAreaBytes(arch)
    if (area === undefined) {
        c.problems.push(`board.id: the board catalog does not say how large ${boardId}'s flash store is (no fstorPages), so the lock's settings cannot be checked to fit`)
        return
    }
    if (area < LOCK_SETTINGS_BYTES)
        c.problems.push(
            `board.id: ${boardId} (${arch.name}) has too little flash for the lock's settings: its settings area is ${kb(area)} ` +
                `(1/16 of ${arch.fstorPages} flash-store pages of ${kb(arch.flashPageSize ?? 0)}), and a full lock keeps up to ` +
                `${kb(LOCK_SETTINGS_BYTES)} there (250 named users, the audit ring, companions); use a board with at least ` +
                `${Math.ceil(LOCK_SETTINGS_BYTES / (arch.flashPageSize ?? 4096)) * 16} flash-store pages (the ESP32 families have 64) (got "${boardId}")`,
        )
}

/** Default broker ports: MQTT over TLS, and plain MQTT. */
export const MQTT_TLS_PORT = 8883
export const MQTT_PLAIN_PORT = 1883
/** Default `network.topicPrefix`. */
export const DEFAULT_TOPIC_PREFIX = "latchkey"
/** Default `network.homeAssistant.discoveryPrefix` (Home Assistant's own default). */
export const DEFAULT_DISCOVERY_PREFIX = "homeassistant"
/**
 * Longest topic prefix accepted: the longest topic the lock uses is a discovery config's,
 * `<discoveryPrefix>/binary_sensor/latchkey_<16 hex digits>/door/config`, and every topic the lock
 * builds stays well under what one MQTT packet's 2-byte length prefix allows.
 */
export const MAX_TOPIC_PREFIX = 64

const isLetterOrDigit = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")

/**
 * A topic prefix: levels of letters, digits, "_" and "-" joined by "/" (no MQTT wildcard "+" or
 * "#", no empty level, no leading or trailing "/"), so every topic the lock builds from it is an
 * exact topic that any broker and Home Assistant accept.
 */
export function prefixProblem(v: string): string | null {
    if (v.length === 0 || v.length > MAX_TOPIC_PREFIX) return `must be 1 to ${MAX_TOPIC_PREFIX} characters`
    for (const level of v.split("/")) {
        if (level.length === 0) return "must not start or end with \"/\" or hold an empty level (\"//\")"
        for (const c of level)
            if (!isLetterOrDigit(c) && c !== "_" && c !== "-")
                return `may hold only letters, digits, "_" and "-" in levels joined by "/" (no MQTT wildcard "+" or "#"); "${c}" is not allowed`
    }
    return null
}

/** A host name or IPv4 address: dot-separated labels of letters, digits and inner "-". */
function hostProblem(v: string): string | null {
    if (v.length === 0 || v.length > 253) return "must be a host name or IPv4 address of 1 to 253 characters"
    for (const label of v.split(".")) {
        if (label.length === 0 || label.length > 63) return "must be a host name or IPv4 address (dot-separated labels of 1 to 63 characters)"
        if (label[0] === "-" || label[label.length - 1] === "-") return "must be a host name or IPv4 address (a label may not start or end with \"-\")"
        for (const c of label)
            if (!isLetterOrDigit(c) && c !== "-") return `must be a host name or IPv4 address (letters, digits, "-" and "."); "${c}" is not allowed (no scheme such as mqtt://, no port: put that in network.broker.port)`
    }
    return null
}

/**
 * The `network` section. Absent: the network is off, with every default. The broker's host is
 * required only when the network is on. Credentials are refused here by name: they belong in
 * `.env.local`, never in devs.json.
 */
function checkNetwork(c: Checker, root: Obj): NetworkProfile {
    const raw = root.network === undefined ? {} : root.network
    for (const secret of ["user", "username", "password", "pass", "ssid", "wifi"])
        if (isObject(raw) && (raw[secret] !== undefined || (isObject(raw.broker) && raw.broker[secret] !== undefined)))
            c.problems.push(
                `network${raw[secret] !== undefined ? "" : ".broker"}.${secret}: secrets never go in devs.json: put the broker's MQTT_USER and MQTT_PASS ` +
                    "(and the Wi-Fi's WIFI_SSID and WIFI_PWD) in .env.local, which the deploy writes to the board's settings",
            )
    const net = c.section({ network: raw }, "network", "", ["enabled", "broker", "topicPrefix", "publishState", "homeAssistant"])
    const enabled = c.bool(net, "enabled", "network", false)
    const broker = c.section({ broker: net.broker === undefined ? {} : net.broker }, "broker", "network", ["host", "port", "tls"])
    const tls = c.bool(broker, "tls", "network.broker", true)
    const port = c.num(broker, "port", "network.broker", 1, 65535, true, tls ? MQTT_TLS_PORT : MQTT_PLAIN_PORT)
    let host = ""
    if (broker.host !== undefined || enabled) {
        if (typeof broker.host !== "string") c.fail("network.broker.host", "must be the broker's host name or IPv4 address (a string)", broker.host)
        else if (broker.host.length > 0 || enabled) {
            const why = hostProblem(broker.host)
            if (why) c.fail("network.broker.host", why, broker.host)
            else host = broker.host
        }
    }
    const prefix = (key: string, path: string, o: Obj, fallback: string): string => {
        const v = o[key]
        if (v === undefined) return fallback
        if (typeof v !== "string") {
            c.fail(`${path}.${key}`, "must be a string", v)
            return fallback
        }
        const why = prefixProblem(v)
        if (why) c.fail(`${path}.${key}`, why, v)
        return v
    }
    const topicPrefix = prefix("topicPrefix", "network", net, DEFAULT_TOPIC_PREFIX)
    const publishState = c.bool(net, "publishState", "network", true)
    const ha = c.section({ homeAssistant: net.homeAssistant === undefined ? {} : net.homeAssistant }, "homeAssistant", "network", [
        "discovery", "discoveryPrefix", "allowLock",
    ])
    return {
        enabled,
        broker: { host, port, tls },
        topicPrefix,
        publishState,
        homeAssistant: {
            discovery: c.bool(ha, "discovery", "network.homeAssistant", true),
            discoveryPrefix: prefix("discoveryPrefix", "network.homeAssistant", ha, DEFAULT_DISCOVERY_PREFIX),
            allowLock: c.bool(ha, "allowLock", "network.homeAssistant", false),
        },
    }
}

/**
 * Validates a parsed devs.json and returns it typed. Throws {@link ProfileError} naming every
 * field at fault and why; unknown fields are errors too, so a typo never silently keeps a default.
 * With `catalog` (DeviceScript's board catalog) every pin is also checked against the board:
 * a GPIO the board does not offer, or one that cannot do its job, is refused.
 */
export function validateProfile(raw: unknown, catalog?: BoardCatalog): Profile {
    const c = new Checker()
    const root: Obj = isObject(raw) ? raw : {}
    if (!isObject(raw)) c.fail("(top level)", "must be a JSON object", raw)
    for (const k of Object.keys(root))
        if (["$schema", "name", "board", "keypad", "latch", "codes", "lockout", "timing", "network"].indexOf(k) < 0)
            c.problems.push(`${k}: unknown field`)

    const name = c.str(root, "name", "(top level)")
    const board = c.section(root, "board", "", ["id", "pins"])
    const pinsRaw = c.section(board, "pins", "board", [
        "keypadRows", "keypadColumns", "servo", "buzzer", "programButton", "doorSensor", "latchSensor",
    ])
    // the GPIO range is the board's family's when the catalog knows the board
    const known = catalog && typeof board.id === "string" ? catalog.boards[board.id] : undefined
    const arch = known && catalog ? catalog.archs[known.archId] : undefined
    const maxGpio = arch ? archMaxGpio(arch) : ANY_MAX_GPIO
    const pins: BoardPins = {
        keypadRows: c.pinList(pinsRaw, "keypadRows", "board.pins", 4, maxGpio),
        keypadColumns: c.pinList(pinsRaw, "keypadColumns", "board.pins", 3, maxGpio),
        servo: c.num(pinsRaw, "servo", "board.pins", 0, maxGpio, true),
        buzzer: c.num(pinsRaw, "buzzer", "board.pins", 0, maxGpio, true),
        programButton: c.num(pinsRaw, "programButton", "board.pins", 0, maxGpio, true),
    }
    if (pinsRaw.doorSensor !== undefined) pins.doorSensor = c.num(pinsRaw, "doorSensor", "board.pins", 0, maxGpio, true)
    if (pinsRaw.latchSensor !== undefined) pins.latchSensor = c.num(pinsRaw, "latchSensor", "board.pins", 0, maxGpio, true)
    const used: { [pin: string]: string } = {}
    const claim = (pin: number, what: string) => {
        const prev = used["" + pin]
        if (prev !== undefined) c.problems.push(`board.pins.${what}: GPIO ${pin} is already used by ${prev}`)
        else used["" + pin] = what
    }
    pins.keypadRows.forEach((p, i) => claim(p, `keypadRows[${i}]`))
    pins.keypadColumns.forEach((p, i) => claim(p, `keypadColumns[${i}]`))
    claim(pins.servo, "servo")
    claim(pins.buzzer, "buzzer")
    claim(pins.programButton, "programButton")
    if (pins.doorSensor !== undefined) claim(pins.doorSensor, "doorSensor")
    if (pins.latchSensor !== undefined) claim(pins.latchSensor, "latchSensor")
    const boardId = c.str(board, "id", "board")
    if (catalog && boardId) checkBoardPins(c, catalog, boardId, pins)
    if (known && arch) checkSettingsFlash(c, known.id, arch)

    const keypad = c.section(root, "keypad", "", ["labels", "debounceMs"])
    const debounceMs = c.num(keypad, "debounceMs", "keypad", 20, 50, true, DEFAULT_DEBOUNCE_MS)
    const labels = c.str(keypad, "labels", "keypad")
    if (labels) {
        let ok = labels.length === KEYPAD_KEYS.length
        for (let i = 0; ok && i < KEYPAD_KEYS.length; i++)
            if (labels.indexOf(KEYPAD_KEYS[i]) < 0) ok = false
        if (!ok) c.fail("keypad.labels", "must list the 12 keys 0-9, * and # once each, row by row", labels)
    }

    const latch = c.section(root, "latch", "", ["lockedAngle", "unlockedAngle", "jamTimeoutMs"])
    const jamTimeoutMs = c.num(latch, "jamTimeoutMs", "latch", 200, 10000, true, DEFAULT_JAM_TIMEOUT_MS)
    const lockedAngle = c.num(latch, "lockedAngle", "latch", -90, 180, false)
    const unlockedAngle = c.num(latch, "unlockedAngle", "latch", -90, 180, false)
    if (Math.abs(lockedAngle - unlockedAngle) < 10 && c.problems.length === 0)
        c.fail("latch.unlockedAngle", "must differ from latch.lockedAngle by at least 10 degrees", unlockedAngle)

    const codes = c.section(root, "codes", "", ["minLength", "maxLength"])
    const minLength = c.num(codes, "minLength", "codes", 4, 12, true)
    const maxLength = c.num(codes, "maxLength", "codes", 4, 12, true)
    if (maxLength < minLength) c.fail("codes.maxLength", `must be at least codes.minLength (${minLength})`, maxLength)

    const lockout = c.section(root, "lockout", "", ["freeFailures", "baseSeconds", "maxSeconds"])
    const freeFailures = c.num(lockout, "freeFailures", "lockout", 1, 10, true)
    const baseSeconds = c.num(lockout, "baseSeconds", "lockout", 1, 86400, false)
    const maxSeconds = c.num(lockout, "maxSeconds", "lockout", 1, 30 * 86400, false)
    if (maxSeconds < baseSeconds) c.fail("lockout.maxSeconds", `must be at least lockout.baseSeconds (${baseSeconds})`, maxSeconds)

    const timing = c.section(root, "timing", "", [
        "autoRelockSeconds", "entryTimeoutSeconds", "longPressMs", "setupTimeoutSeconds", "menuTimeoutSeconds", "resetHoldSeconds",
        "doorAjarSeconds",
    ])
    const out: Profile = {
        name,
        board: { id: boardId, pins },
        keypad: { labels, debounceMs },
        latch: { lockedAngle, unlockedAngle, jamTimeoutMs },
        codes: { minLength, maxLength },
        lockout: { freeFailures, baseSeconds, maxSeconds },
        timing: {
            autoRelockSeconds: c.num(timing, "autoRelockSeconds", "timing", 0, 3600, false),
            entryTimeoutSeconds: c.num(timing, "entryTimeoutSeconds", "timing", 1, 300, false),
            longPressMs: c.num(timing, "longPressMs", "timing", 300, 5000, true),
            setupTimeoutSeconds: c.num(timing, "setupTimeoutSeconds", "timing", 1, 600, false),
            menuTimeoutSeconds: c.num(timing, "menuTimeoutSeconds", "timing", 1, 600, false),
            resetHoldSeconds: c.num(timing, "resetHoldSeconds", "timing", 1, 60, false),
            doorAjarSeconds: c.num(timing, "doorAjarSeconds", "timing", 1, 3600, false, 60),
        },
        network: checkNetwork(c, root),
    }
    if (c.problems.length) throw new ProfileError(c.problems)
    return out
}

/** Deep-merges `overrides` onto `base` (objects field by field; arrays and values replaced). */
export function mergeProfile(base: unknown, overrides: unknown): unknown {
    if (!isObject(base) || !isObject(overrides)) return overrides === undefined ? base : overrides
    const out: Obj = {}
    for (const k of Object.keys(base)) out[k] = base[k]
    for (const k of Object.keys(overrides)) out[k] = mergeProfile(base[k], overrides[k])
    return out
}
