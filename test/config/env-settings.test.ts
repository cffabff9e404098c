/**
 * DeviceScript's settings files as `devs` reads them (@devicescript/cli 2.16.4 parseToSettings):
 * what the deploy writes to the board for the network link, and that no value is ever echoed.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { parseEnv, readEnvSettings, settingValue } from "../../host/device-settings"

const text = (m: Map<string, Uint8Array>) => Object.fromEntries([...m].map(([k, v]) => [k, new TextDecoder().decode(v)]))

describe(".env settings", () => {
    it("keeps a value that parses as JSON as that value and anything else as a string, each stored as JSON text", () => {
        const m = parseEnv(["MQTT_HOST=192.168.1.10", "MQTT_PORT=1883", "MQTT_USER=front-door", 'MQTT_PASS="1e3"', "FLAG=true"].join("\n"), ".env.local")
        expect(text(m)).toEqual({ MQTT_HOST: '"192.168.1.10"', MQTT_PORT: "1883", MQTT_USER: '"front-door"', MQTT_PASS: '"1e3"', FLAG: "true" })
        // devs's own quirk, kept: an unquoted value that is a JSON number becomes that number
        expect(text(parseEnv("MQTT_PASS=1e3", "x"))).toEqual({ MQTT_PASS: "1000" })
        expect(settingValue("a b")).toEqual(new TextEncoder().encode('"a b"'))
    })

    it("skips comments, any line holding a '#', lines without '=' and empty values", () => {
        const m = parseEnv(["# a comment", "WIFI_PWD=abc#def", "NOEQUALS", "EMPTY=", "WIFI_SSID=home"].join("\r\n"), ".env.local")
        expect(text(m)).toEqual({ WIFI_SSID: '"home"' })
    })

    it("refuses a setting name longer than the firmware's 13 characters, naming the key, never the value", () => {
        expect(() => parseEnv("MQTT_PASSWORD_X=hunter2", ".env.local")).toThrow(/\.env\.local: setting name "MQTT_PASSWORD_X" is too long/)
        try {
            parseEnv("MQTT_PASSWORD_X=hunter2", ".env.local")
        } catch (e) {
            expect((e as Error).message).not.toContain("hunter2")
        }
    })

    it("lets .env.local override .env.defaults, and reads neither when absent", () => {
        const dir = mkdtempSync(join(tmpdir(), "latchkey-env-"))
        expect(readEnvSettings(dir).size).toBe(0)
        writeFileSync(join(dir, ".env.defaults"), "MQTT_HOST=broker.lan\nMQTT_PORT=1883\n")
        writeFileSync(join(dir, ".env.local"), "MQTT_PORT=8883\nMQTT_PASS=s3cret\n")
        expect(text(readEnvSettings(dir))).toEqual({ MQTT_HOST: '"broker.lan"', MQTT_PORT: "8883", MQTT_PASS: '"s3cret"' })
    })
})
