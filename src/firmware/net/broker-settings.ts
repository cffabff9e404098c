/**
 * Where the link dials and who it says it is: devs.json's broker, overridden by the settings
 * DeviceScript's deploy writes from `.env.defaults` / `.env.local` (MQTT_HOST, MQTT_PORT), and the
 * broker's user name and password, which only ever come from those settings (MQTT_USER,
 * MQTT_PASS). Read again before every connection attempt, so a deploy (or the simulator) can
 * point a running lock elsewhere. The user name and password are never logged.
 */
import { PROFILE } from "../../config/profile.g"
import { readRaw } from "../store"

export interface BrokerSettings {
    host: string
    port: number
    tls: boolean
    /** Empty: connect without a user name (and so without a password). */
    username: string
    password: string
}

/** A setting as DeviceScript's deploy writes it (a JSON value); null when missing or unreadable. */
async function readJsonSetting(key: string): Promise<any> {
    const raw = await readRaw(key)
    if (!raw) return null
    try {
        return JSON.parse(raw.toString())
    } catch (e) {
        console.log(`net: setting ${key} ignored: not a JSON value`)
        return null
    }
}

/** A string setting; numbers and booleans (what `.env` parsing makes of `1234` or `true`) become their text. */
async function readTextSetting(key: string): Promise<string> {
    const v = await readJsonSetting(key)
    if (v === null || v === undefined) return ""
    if (typeof v === "string") return v
    if (typeof v === "number" || typeof v === "boolean") return "" + v
    console.log(`net: setting ${key} ignored: not text`)
    return ""
}

function hostOk(h: string): boolean {
    if (h.length === 0 || h.length > 253) return false
    for (let i = 0; i < h.length; i++) {
        // character codes: DeviceScript does not order strings
        const c = h.charCodeAt(i)
        const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 45
        if (!ok) return false
    }
    return true
}

/** The broker and credentials for the next connection attempt. */
export async function brokerSettings(): Promise<BrokerSettings> {
    const out: BrokerSettings = {
        host: PROFILE.network.broker.host,
        port: PROFILE.network.broker.port,
        tls: PROFILE.network.broker.tls,
        username: "",
        password: "",
    }
    const host = await readTextSetting("MQTT_HOST")
    if (host.length > 0) {
        if (hostOk(host)) out.host = host
        else console.log(`net: setting MQTT_HOST ignored: not a host name or IPv4 address`)
    }
    const port = await readJsonSetting("MQTT_PORT")
    if (port !== null) {
        if (typeof port === "number" && Math.floor(port) === port && port >= 1 && port <= 65535) out.port = port
        else console.log(`net: setting MQTT_PORT ignored: not a port number from 1 to 65535`)
    }
    out.username = await readTextSetting("MQTT_USER")
    out.password = out.username.length > 0 ? await readTextSetting("MQTT_PASS") : ""
    return out
}
