/** The companion CLI's broker options: what parseCli accepts, and the clear errors for the rest. */
import { afterEach, describe, expect, it, vi } from "vitest"
import { CliOptions, main, parseCli, UsageError } from "../../companion/cli"
import { credentialsFromEnv } from "../../companion/broker-options"

const parse = (...argv: string[]) => parseCli(argv) as CliOptions
const refusal = (...argv: string[]): string => {
    try {
        parseCli(argv)
    } catch (e) {
        expect(e).toBeInstanceOf(UsageError)
        return (e as Error).message
    }
    throw new Error(`accepted: ${argv.join(" ")}`)
}

describe("--mqtt, --lock, --topic-prefix", () => {
    it("takes mqtt:// and mqtts:// URLs, with the MQTT default ports", () => {
        expect(parse("--mqtt", "mqtt://127.0.0.1:1884", "unlock").mqtt).toBe("mqtt://127.0.0.1:1884")
        expect(parse("--mqtt", "mqtt://broker.lan", "unlock").mqtt).toBe("mqtt://broker.lan:1883")
        expect(parse("--mqtt", "mqtts://broker.lan", "status").mqtt).toBe("mqtts://broker.lan:8883")
        expect(parse("--mqtt", "mqtt://broker.lan/", "locks").command).toBe("locks")
        expect(parse("unlock").mqtt).toBeUndefined()
    })

    it("refuses other schemes, paths, malformed URLs, and credentials in the URL (never echoing them)", () => {
        expect(refusal("--mqtt", "http://broker.lan:1883", "unlock")).toMatch(/"http:" is not an MQTT scheme/)
        expect(refusal("--mqtt", "broker.lan:1883", "unlock")).toMatch(/--mqtt takes mqtt:\/\/HOST:PORT or mqtts:\/\/HOST:PORT/)
        expect(refusal("--mqtt", "not a url", "unlock")).toMatch(/--mqtt takes mqtt:\/\/HOST:PORT/)
        expect(refusal("--mqtt", "mqtt://broker.lan:1883/latchkey", "unlock")).toMatch(/no path, query or fragment/)
        expect(refusal("--mqtt", "mqtt://broker.lan:99999", "unlock")).toMatch(/--mqtt takes/)
        const creds = refusal("--mqtt", "mqtt://owner:hunter2@broker.lan", "unlock")
        expect(creds).toMatch(/user name or password in the URL is refused.*LATCHKEY_MQTT_USER and LATCHKEY_MQTT_PASSWORD/)
        expect(creds).not.toContain("hunter2")
        expect(refusal("--mqtt", "unlock")).toMatch(/--mqtt takes mqtt:\/\/HOST:PORT or mqtts:\/\/HOST:PORT, not "unlock"/)
        expect(refusal("unlock", "--mqtt")).toMatch(/--mqtt needs a value/)
    })

    it("takes --lock as 16 hex digits (any case) and a valid --topic-prefix, only with --mqtt", () => {
        const o = parse("--mqtt", "mqtt://h", "--lock", "1A7C4B3E9D2F0A55", "--topic-prefix", "home/locks", "unlock")
        expect(o.lock).toBe("1a7c4b3e9d2f0a55")
        expect(o.topicPrefix).toBe("home/locks")
        expect(refusal("--mqtt", "mqtt://h", "--lock", "front-door", "unlock")).toMatch(/--lock takes a lock id, 16 hex digits/)
        expect(refusal("--mqtt", "mqtt://h", "--lock", "1a7c4b3e9d2f0a5", "unlock")).toMatch(/16 hex digits/)
        expect(refusal("--mqtt", "mqtt://h", "--topic-prefix", "home/#", "unlock")).toMatch(/--topic-prefix may hold only letters.*"#" is not allowed/)
        expect(refusal("--mqtt", "mqtt://h", "--topic-prefix", "/home", "unlock")).toMatch(/must not start or end with "\/"/)
        expect(refusal("--lock", "1a7c4b3e9d2f0a55", "unlock")).toMatch(/--lock is an option of --mqtt/)
        expect(refusal("--topic-prefix", "home", "unlock")).toMatch(/--topic-prefix is an option of --mqtt/)
    })

    it("takes one way to the lock, and `locks` only with a broker", () => {
        expect(refusal("--tcp", "127.0.0.1:8082", "--mqtt", "mqtt://h", "unlock")).toMatch(/--tcp and --mqtt are two ways to reach the lock: give one/)
        expect(refusal("locks")).toMatch(/locks lists the locks an MQTT broker knows: give --mqtt URL/)
        expect(refusal("--mqtt", "mqtt://h", "locks", "all")).toMatch(/locks takes no arguments/)
    })

    it("reads the broker's credentials from the environment only", () => {
        expect(credentialsFromEnv({})).toEqual({})
        expect(credentialsFromEnv({ LATCHKEY_MQTT_USER: "phone", LATCHKEY_MQTT_PASSWORD: "pw" })).toEqual({ username: "phone", password: "pw" })
        expect(credentialsFromEnv({ LATCHKEY_MQTT_USER: "phone" })).toEqual({ username: "phone", password: undefined })
    })
})

describe("main() with --mqtt, before any broker is reached", () => {
    afterEach(() => vi.restoreAllMocks())

    it("refuses enrol over MQTT, saying why, with exit code 1 (nothing is dialled: the port is closed)", async () => {
        const err = vi.spyOn(console, "error").mockImplementation(() => {})
        expect(await main(["--mqtt", "mqtt://127.0.0.1:1", "enrol"])).toBe(1)
        const said = err.mock.calls.map(c => String(c[0])).join("\n")
        expect(said).toMatch(/enrol works only on the Jacdac bus.*no key agreement.*in the clear/)
        expect(said).not.toMatch(/cannot reach the broker/)
    })

    it("exits 2 on a URL with credentials", async () => {
        const err = vi.spyOn(console, "error").mockImplementation(() => {})
        expect(await main(["--mqtt", "mqtt://owner:hunter2@127.0.0.1:1", "unlock"])).toBe(2)
        expect(err.mock.calls.map(c => String(c[0])).join("\n")).not.toContain("hunter2")
    })
})
