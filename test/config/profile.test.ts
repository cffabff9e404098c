/** devs.json validation: every bad field is named with its reason, and the build refuses it. */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { LOCK_SETTINGS_BYTES, mergeProfile, ProfileError, validateProfile } from "../../src/config/profile"
import { networkSource } from "../../host/network-gen"
import { ROOT } from "../../host/paths"
import { loadBoardCatalog } from "../../host/boards-io"

const SHIPPING = JSON.parse(readFileSync(join(ROOT, "devs.json"), "utf8"))

function problemsOf(overrides: unknown): string[] {
    try {
        validateProfile(mergeProfile(SHIPPING, overrides), loadBoardCatalog())
    } catch (e) {
        if (e instanceof ProfileError) return e.problems
        throw e
    }
    return []
}

describe("devs.json validation", () => {
    it("accepts the shipping devs.json and the fast test timings", () => {
        expect(problemsOf({})).toEqual([])
        const fast = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "fast-timing.json"), "utf8"))
        expect(problemsOf(fast)).toEqual([])
    })

    it.each([
        [{ lockout: { baseSeconds: -3 } }, /lockout\.baseSeconds: must be a number from 1 to 86400 \(got -3\)/],
        [{ lockout: { freeFailures: "5" } }, /lockout\.freeFailures: must be an integer from 1 to 10 \(got "5"\)/],
        [{ codes: { minLength: 3 } }, /codes\.minLength: must be an integer from 4 to 12 \(got 3\)/],
        [{ codes: { minLength: 8, maxLength: 6 } }, /codes\.maxLength: must be at least codes\.minLength \(8\)/],
        [{ lockout: { maxSeconds: 10, baseSeconds: 30 } }, /lockout\.maxSeconds: must be at least lockout\.baseSeconds/],
        [{ latch: { unlockedAngle: 3 } }, /latch\.unlockedAngle: must differ from latch\.lockedAngle/],
        [{ latch: { lockedAngle: 500 } }, /latch\.lockedAngle: must be a number from -90 to 180 \(got 500\)/],
        [{ keypad: { labels: "1234567890*" } }, /keypad\.labels: must list the 12 keys/],
        [{ keypad: { labels: "1234567899*#" } }, /keypad\.labels: must list the 12 keys/],
        [{ timing: { autoRelockSecs: 30 } }, /timing\.autoRelockSecs: unknown field/],
        [{ timing: { entryTimeoutSeconds: 0 } }, /timing\.entryTimeoutSeconds: must be a number from 1 to 300 \(got 0\)/],
        [{ board: { pins: { servo: 13 } } }, /board\.pins\.servo: GPIO 13 is already used by keypadRows\[0\]/],
        [{ board: { pins: { buzzer: 40 } } }, /board\.pins\.buzzer: must be an integer from 0 to 39 \(got 40\)/],
        [{ board: { pins: { keypadRows: [1, 2, 3] } } }, /board\.pins\.keypadRows: must be a list of 4 GPIO numbers/],
        [{ lockout: null }, /lockout: must be an object \(got null\)/],
        [{ keypad: { debounceMs: 5 } }, /keypad\.debounceMs: must be an integer from 20 to 50 \(got 5\)/],
        [{ latch: { jamTimeoutMs: 50 } }, /latch\.jamTimeoutMs: must be an integer from 200 to 10000 \(got 50\)/],
        [{ board: { pins: { latchSensor: 18 } } }, /board\.pins\.latchSensor: GPIO 18 is already used by servo/],
        // the board: a GPIO it does not offer, one that cannot do the job, its own button, an unknown board
        [{ board: { pins: { keypadRows: [13, 12, 14, 27] } } }, /board\.pins\.keypadRows\[1\]: GPIO 12 is not a pin esp32_devkit_c offers to programs \(usable: 4, 13, 14, /],
        [{ board: { pins: { keypadColumns: [25, 33, 34] } } }, /board\.pins\.keypadColumns\[2\]: GPIO 34 \(P34\) cannot be used here on esp32_devkit_c: it needs an input with a pull-up/],
        [{ board: { pins: { latchSensor: 36 } } }, /board\.pins\.latchSensor: GPIO 36 \(VP\) cannot be used here/],
        [{ board: { pins: { programButton: 4 } } }, /board\.pins\.programButton: esp32_devkit_c has its own button \(buttonIO0 on GPIO 0\)/],
        [{ board: { id: "esp32_devkitc" } }, /board\.id: must be a DeviceScript board \(one of .*esp32_devkit_c/],
        [{ board: { id: "esp32_bare" } }, /board\.pins\.programButton: GPIO 0 is not a pin esp32_bare offers/],
        [{ colour: "red" }, /colour: unknown field/],
        [{ timing: { resetHoldSeconds: 0.5 } }, /timing\.resetHoldSeconds: must be a number from 1 to 60 \(got 0\.5\)/],
        [{ timing: { menuTimeoutSeconds: 900 } }, /timing\.menuTimeoutSeconds: must be a number from 1 to 600 \(got 900\)/],
    ])("refuses %j", (overrides, message) => {
        const problems = problemsOf(overrides)
        expect(problems.join("\n")).toMatch(message)
    })

    it("names a missing field as missing", () => {
        const raw = JSON.parse(JSON.stringify(SHIPPING)) as { board: { pins: { [k: string]: unknown } }; timing: { [k: string]: unknown } }
        delete raw.board.pins.servo
        delete raw.timing.longPressMs
        let problems: string[] = []
        try {
            validateProfile(raw, loadBoardCatalog())
        } catch (e) {
            problems = (e as ProfileError).problems
        }
        expect(problems).toContain("board.pins.servo: missing (must be an integer from 0 to 39)")
        expect(problems).toContain("timing.longPressMs: missing (must be an integer from 300 to 5000)")
    })

    it("accepts another DeviceScript board when the pins fit it", () => {
        expect(problemsOf({ board: { id: "esp32_bare", pins: { programButton: 4 } } })).toEqual([])
    })

    it("takes the GPIO range from the board's family: an ESP32-S3's GPIO 40-48 are pins, an ESP32's are not", () => {
        const s3 = { board: { id: "esp32s3_devkit_m", pins: { keypadRows: [40, 41, 42, 43], keypadColumns: [45, 47, 48], servo: 4, buzzer: 5, programButton: 6, doorSensor: 7, latchSensor: 8 } } }
        expect(problemsOf(s3)).toEqual([])
        // beyond the S3's highest GPIO (48), and the ESP32's (39)
        expect(problemsOf({ ...s3, board: { ...s3.board, pins: { ...s3.board.pins, buzzer: 49 } } }).join("\n")).toMatch(
            /board\.pins\.buzzer: must be an integer from 0 to 48 \(got 49\)/,
        )
        expect(problemsOf({ board: { pins: { buzzer: 40 } } }).join("\n")).toMatch(/board\.pins\.buzzer: must be an integer from 0 to 39 \(got 40\)/)
        // a pin number the S3 has but this S3 board does not offer is refused by the board, not by the range
        expect(problemsOf({ ...s3, board: { ...s3.board, pins: { ...s3.board.pins, buzzer: 44 } } }).join("\n")).toMatch(
            /board\.pins\.buzzer: GPIO 44 is not a pin esp32s3_devkit_m offers to programs/,
        )
    })

    it("refuses a board whose flash store is too small for the lock's settings (RP2040: 32 pages, an 8 KB settings area)", () => {
        const picoPins = { keypadRows: [2, 3, 4, 5], keypadColumns: [6, 7, 8], servo: 9, buzzer: 10, programButton: 11, doorSensor: 12, latchSensor: 13 }
        const problems = problemsOf({ board: { id: "pico", pins: picoPins } })
        // the pins fit the Pico: the flash is the only problem
        expect(problems).toHaveLength(1)
        expect(problems[0]).toMatch(/^board\.id: pico \(RP2040\) has too little flash for the lock's settings: its settings area is 8 KB \(1\/16 of 32 flash-store pages/)
        expect(problems[0]).toMatch(/a full lock keeps up to 13\.6 KB there/)
        expect(LOCK_SETTINGS_BYTES).toBeGreaterThan(8 * 1024)
        expect(LOCK_SETTINGS_BYTES).toBeLessThanOrEqual(16 * 1024)
        // every ESP32 family has 64 pages (16 KB): accepted; every RP2040 board: refused
        const catalog = loadBoardCatalog()
        for (const b of Object.values(catalog.boards)) {
            const pages = catalog.archs[b.archId].fstorPages
            const flash = problemsOf({ board: { id: b.id, pins: b.archId.startsWith("rp2040") ? picoPins : {} } }).filter(p => /too little flash/.test(p))
            expect([b.id, flash.length]).toEqual([b.id, pages! < 64 ? 1 : 0])
        }
    })

    it("refuses a too small board before anything is built (and so before anything is flashed)", () => {
        const dir = mkdtempSync(join(tmpdir(), "latchkey-profile-"))
        const bad = join(dir, "devs.json")
        writeFileSync(
            bad,
            JSON.stringify(
                mergeProfile(SHIPPING, {
                    board: { id: "pico", pins: { keypadRows: [2, 3, 4, 5], keypadColumns: [6, 7, 8], servo: 9, buzzer: 10, programButton: 11, doorSensor: 12, latchSensor: 13 } },
                }),
            ),
        )
        const firmware = join(ROOT, "build", "firmware.devs")
        const before = statSync(firmware).mtimeMs
        let stderr = ""
        let code = 0
        try {
            execFileSync(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "scripts", "build.ts"), "--profile", bad], { cwd: ROOT, stdio: "pipe" })
        } catch (e: any) {
            code = e.status
            stderr = e.stderr.toString()
        }
        expect(code).toBe(1)
        expect(stderr).toMatch(/devs\.json: board\.id: pico \(RP2040\) has too little flash/)
        expect(statSync(firmware).mtimeMs).toBe(before)
    })

    it("lists every problem at once, not just the first", () => {
        const problems = problemsOf({ codes: { minLength: 2 }, latch: { lockedAngle: "0" } })
        expect(problems.length).toBeGreaterThanOrEqual(2)
    })

    it("accepts the network test fixture, and a devs.json without a network section (network off, defaults)", () => {
        const fast = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "fast-timing.json"), "utf8"))
        const net = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "network.json"), "utf8"))
        expect(problemsOf(mergeProfile(fast, net))).toEqual([])
        const raw = JSON.parse(JSON.stringify(SHIPPING))
        delete raw.network
        const p = validateProfile(raw, loadBoardCatalog())
        expect(p.network).toEqual({
            enabled: false,
            broker: { host: "", port: 8883, tls: true },
            topicPrefix: "latchkey",
            publishState: true,
            homeAssistant: { discovery: true, discoveryPrefix: "homeassistant", allowLock: false },
        })
        // what validation returns validates again, unchanged
        expect(validateProfile(JSON.parse(JSON.stringify(p)), loadBoardCatalog())).toEqual(p)
    })

    it("ships with the network off, so the shipping firmware holds no network code", () => {
        const p = validateProfile(SHIPPING, loadBoardCatalog())
        expect(p.network.enabled).toBe(false)
        expect(networkSource(p)).not.toMatch(/import/)
        expect(networkSource(validateProfile(mergeProfile(SHIPPING, { network: { enabled: true, broker: { host: "broker.lan" } } }), loadBoardCatalog()))).toMatch(
            /import \{ startNetwork as startLockLink \} from "\.\/net\/lock-link"/,
        )
    })

    it("takes the plain MQTT port by default without TLS, the TLS one with it", () => {
        const on = (broker: object) => {
            const raw = JSON.parse(JSON.stringify(SHIPPING))
            raw.network.enabled = true
            raw.network.broker = broker
            return validateProfile(raw, loadBoardCatalog()).network.broker
        }
        expect(on({ host: "broker.lan", tls: false })).toEqual({ host: "broker.lan", port: 1883, tls: false })
        expect(on({ host: "10.0.0.2", tls: true })).toEqual({ host: "10.0.0.2", port: 8883, tls: true })
        expect(on({ host: "10.0.0.2" })).toEqual({ host: "10.0.0.2", port: 8883, tls: true })
    })

    it.each([
        [{ network: { enabled: true } }, /network\.broker\.host: must be a host name or IPv4 address of 1 to 253 characters \(got ""\)/],
        [{ network: { enabled: true, broker: { host: "mqtt://broker.lan" } } }, /network\.broker\.host: .*":" is not allowed \(no scheme such as mqtt:\/\/, no port/],
        [{ network: { enabled: true, broker: { host: "broker.lan:1883" } } }, /network\.broker\.host: .*":" is not allowed/],
        [{ network: { enabled: true, broker: { host: "-broker" } } }, /a label may not start or end with "-"/],
        [{ network: { broker: { port: 70000 } } }, /network\.broker\.port: must be an integer from 1 to 65535 \(got 70000\)/],
        [{ network: { broker: { tls: "yes" } } }, /network\.broker\.tls: must be true or false \(got "yes"\)/],
        [{ network: { enabled: 1 } }, /network\.enabled: must be true or false \(got 1\)/],
        [{ network: { topicPrefix: "home/+/locks" } }, /network\.topicPrefix: .*"\+" is not allowed/],
        [{ network: { topicPrefix: "home/#" } }, /network\.topicPrefix: .*"#" is not allowed/],
        [{ network: { topicPrefix: "/home" } }, /network\.topicPrefix: must not start or end with "\/"/],
        [{ network: { topicPrefix: "home//locks" } }, /network\.topicPrefix: must not start or end with "\/" or hold an empty level/],
        [{ network: { topicPrefix: "x".repeat(65) } }, /network\.topicPrefix: must be 1 to 64 characters/],
        [{ network: { homeAssistant: { discoveryPrefix: "home assistant" } } }, /network\.homeAssistant\.discoveryPrefix: .*" " is not allowed/],
        [{ network: { homeAssistant: { allowLock: "true" } } }, /network\.homeAssistant\.allowLock: must be true or false/],
        [{ network: { homeAssistant: { allowUnlock: true } } }, /network\.homeAssistant\.allowUnlock: unknown field \(expected one of discovery, discoveryPrefix, allowLock\)/],
        [{ network: { publishState: null } }, /network\.publishState: must be true or false \(got null\)/],
        [{ network: { broker: { password: "hunter2" } } }, /network\.broker\.password: secrets never go in devs\.json: put the broker's MQTT_USER and MQTT_PASS .* in \.env\.local/],
        [{ network: { user: "lock" } }, /network\.user: secrets never go in devs\.json/],
        [{ network: "on" }, /network: must be an object \(got "on"\)/],
    ])("refuses network %j", (overrides, message) => {
        expect(problemsOf(overrides).join("\n")).toMatch(message)
    })

    it("names a missing broker host as missing when the network is on", () => {
        const raw = JSON.parse(JSON.stringify(SHIPPING))
        raw.network.enabled = true
        delete raw.network.broker.host
        expect(() => validateProfile(raw, loadBoardCatalog())).toThrow(/network\.broker\.host: missing \(must be the broker's host name or IPv4 address/)
    })

    it("never repeats a secret it refuses", () => {
        const problems = problemsOf({ network: { broker: { password: "hunter2-secret" }, wifi: "MyWifiPassword" } }).join("\n")
        expect(problems).toMatch(/secrets never go in devs\.json/)
        expect(problems).not.toMatch(/hunter2-secret|MyWifiPassword/)
    })

    it("refuses a non-object", () => {
        expect(() => validateProfile([])).toThrow(/must be a JSON object/)
        expect(() => validateProfile(null)).toThrow(ProfileError)
    })

    it("stops the build with the field and the reason, before writing anything", () => {
        const dir = mkdtempSync(join(tmpdir(), "latchkey-profile-"))
        const bad = join(dir, "devs.json")
        writeFileSync(bad, JSON.stringify(mergeProfile(SHIPPING, { lockout: { baseSeconds: 0 } })))
        const firmware = join(ROOT, "build", "firmware.devs")
        const before = statSync(firmware).mtimeMs
        let stderr = ""
        let code = 0
        try {
            execFileSync(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "scripts", "build.ts"), "--profile", bad], {
                cwd: ROOT,
                stdio: "pipe",
            })
        } catch (e: any) {
            code = e.status
            stderr = e.stderr.toString()
        }
        expect(code).toBe(1)
        expect(stderr).toMatch(/devs\.json: lockout\.baseSeconds: must be a number from 1 to 86400 \(got 0\)/)
        expect(statSync(firmware).mtimeMs).toBe(before)
    })

    it("reports a devs.json that is not JSON", () => {
        const dir = mkdtempSync(join(tmpdir(), "latchkey-profile-"))
        const bad = join(dir, "devs.json")
        writeFileSync(bad, "{ lockout: ")
        let stderr = ""
        try {
            execFileSync(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "scripts", "build.ts"), "--profile", bad], { stdio: "pipe" })
        } catch (e: any) {
            stderr = e.stderr.toString()
        }
        expect(stderr).toMatch(/not valid JSON/)
    })
})
