/**
 * DeviceScript's settings files, `.env.defaults` (committed, no secrets) and `.env.local` (secrets,
 * never committed; it wins), read the way `devs` reads them (@devicescript/cli 2.16.4: one
 * `KEY=value` a line, `#` starts a comment, a value that parses as JSON is kept as that JSON value,
 * anything else as a string; every value is stored as its JSON text), and written to a device's
 * settings service the way `devs deploy` writes them: WIFI_SSID and WIFI_PWD go to the device's
 * Wi-Fi service (a network it remembers), everything else to its settings. Node only; values are
 * never printed.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { JDBus, JDService, SettingsClient, SRV_SETTINGS, SRV_WIFI, WifiCmd } from "jacdac-ts"

/** The longest setting key the firmware's settings accept (`devs` refuses longer ones in .env files). */
export const MAX_SETTING_KEY = 13

/** A setting's stored form: the UTF-8 of its JSON text (what the firmware's JSON.parse reads). */
export function settingValue(v: string | number | boolean): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(v))
}

/** Parses one `.env` file's text as `devs` does; throws naming a key that is too long (never a value). */
export function parseEnv(text: string, file: string): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>()
    for (const line of text.split(/\r?\n/)) {
        if (/\s*#/.test(line)) continue
        const m = /(?<key>[^=]+)\s*=(?<value>[^#]*)#?/.exec(line)
        if (!m?.groups) continue
        const key = m.groups.key
        const value = m.groups.value
        if (!value.length) continue
        if (key.length > MAX_SETTING_KEY) throw new Error(`${file}: setting name "${key}" is too long (at most ${MAX_SETTING_KEY} characters)`)
        let parsed: unknown
        try {
            parsed = JSON.parse(value)
        } catch {
            parsed = value
        }
        out.set(key, new TextEncoder().encode(JSON.stringify(parsed)))
    }
    return out
}

/** `.env.defaults` then `.env.local` of `dir` (either may be missing). */
export function readEnvSettings(dir: string): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>()
    for (const name of [".env.defaults", ".env.local"]) {
        let text: string
        try {
            text = readFileSync(join(dir, name), "utf8")
        } catch {
            continue
        }
        for (const [k, v] of parseEnv(text, name)) out.set(k, v)
    }
    return out
}

/** The settings service of device `deviceId` on `bus`, waiting up to `timeoutMs` for it to appear. */
export async function settingsService(bus: JDBus, deviceId: string, timeoutMs = 10000): Promise<JDService> {
    const end = Date.now() + timeoutMs
    for (;;) {
        const s = bus.services({ serviceClass: SRV_SETTINGS }).find(x => x.device.deviceId === deviceId)
        if (s) return s
        if (Date.now() > end) throw new Error(`no settings service on device ${deviceId}`)
        await new Promise(r => setTimeout(r, 100))
    }
}

/**
 * Writes `settings` to device `deviceId` as `devs deploy` does: WIFI_SSID / WIFI_PWD to its Wi-Fi
 * service (when it has one), every other key to its settings service. Returns the keys written.
 */
export async function writeDeviceSettings(bus: JDBus, deviceId: string, settings: Map<string, Uint8Array>): Promise<string[]> {
    const service = await settingsService(bus, deviceId)
    const client = new SettingsClient(service)
    const written: string[] = []
    for (const [key, value] of settings) {
        if (key === "WIFI_SSID" || key === "WIFI_PWD") continue
        await client.setValue(key, value)
        written.push(key)
    }
    const ssid = settings.get("WIFI_SSID")
    if (ssid) {
        const text = (b: Uint8Array | undefined) => (b ? String(JSON.parse(new TextDecoder().decode(b))) : "")
        for (const wifi of service.device.services({ serviceClass: SRV_WIFI })) {
            await wifi.sendCmdPackedAsync(WifiCmd.AddNetwork, [text(ssid), text(settings.get("WIFI_PWD"))], true)
            written.push("WIFI_SSID", "WIFI_PWD")
        }
    }
    return written
}
