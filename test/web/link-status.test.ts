/**
 * The Network panel's logic: the lock's link state read from the firmware's console lines
 * (sim/link-status.ts), the badge the page draws for it (web/logic.ts) and the page's broker
 * request (web/protocol.ts). The lines are the firmware's own (src/firmware/net/link.ts and
 * lock-link.ts), as the VM prints them.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { ROOT } from "../../host/paths"
import { linkLine, LinkStatus } from "../../sim/link-status"
import { linkBadge } from "../../web/logic"
import { parseClientMessage, type NetStatus } from "../../web/protocol"

const LOCK = "1a7c4b3e9d2f0a55"

describe("the link state from the firmware's console", () => {
    it("reads connected, lost (reconnecting), unreachable and refused (offline), and the lock id", () => {
        expect(linkLine(`> net: lock id ${LOCK}, topics latchkey/${LOCK}/`)).toEqual({ lockId: LOCK })
        expect(linkLine("> net: connected to 127.0.0.1:42731")).toEqual({ link: "connected", detail: "connected to 127.0.0.1:42731" })
        expect(linkLine("> net: connected to broker.example:8883 (tls)")).toEqual({ link: "connected", detail: "connected to broker.example:8883" })
        expect(linkLine("> net: connection to 127.0.0.1:42731 lost")).toEqual({ link: "reconnecting", detail: "connection to 127.0.0.1:42731 lost; dialling again" })
        expect(linkLine("> net: broker 127.0.0.1:1 unreachable (1 attempt(s)); trying again in 1000 ms")).toEqual({
            link: "offline",
            detail: "127.0.0.1:1 unreachable (1 attempt)",
        })
        expect(linkLine("> net: broker 127.0.0.1:1 unreachable (20 attempt(s)); trying again in 8914 ms")?.detail).toBe("127.0.0.1:1 unreachable (20 attempts)")
        expect(linkLine("> net: the broker refused the connection: code 4 (bad user name or password)")).toEqual({
            link: "offline",
            detail: "the broker refused the lock: code 4 (bad user name or password)",
        })
        expect(linkLine("> net: no broker host (devs.json network.broker.host or the MQTT_HOST setting): not connecting")?.link).toBe("offline")
    })

    it("ignores every other line: the lock's own, the simulator's notes, a net line not from the firmware's console", () => {
        for (const line of [
            "> lock: ready",
            "> net: LOCK from the broker (Home Assistant)",
            "> net: 3 request(s) dropped (larger than 512 bytes)",
            "> net: setting MQTT_PORT ignored: not a port number from 1 to 65535",
            "sim: net: connected to 127.0.0.1:1",
            "net: connected to 127.0.0.1:1",
            "? socket tcp://127.0.0.1:1 error tcp://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1",
            "",
        ])
            expect(linkLine(line), line).toBeUndefined()
    })

    it("follows a broker taken down and brought up, and starts over when the VM stops or boots", () => {
        const s = new LinkStatus()
        expect(s.current.link).toBe("off")
        s.reset("starting")
        expect(s.take(`> net: lock id ${LOCK}, topics latchkey/${LOCK}/`)).toBe(true)
        expect(s.take("> lock: ready")).toBe(false)
        expect(s.take("> net: connected to 127.0.0.1:5000")).toBe(true)
        expect(s.current).toEqual({ link: "connected", detail: "connected to 127.0.0.1:5000", lockId: LOCK })
        expect(s.take("> net: connected to 127.0.0.1:5000")).toBe(false)
        s.take("> net: connection to 127.0.0.1:5000 lost")
        expect(s.current.link).toBe("reconnecting")
        s.take("> net: broker 127.0.0.1:5000 unreachable (1 attempt(s)); trying again in 1000 ms")
        expect(s.current.link).toBe("offline")
        s.take("> net: connected to 127.0.0.1:5000")
        expect(s.current.link).toBe("connected")
        s.reset("off")
        expect(s.current).toEqual({ link: "off", lockId: LOCK })
        s.reset("starting")
        expect(s.current.link).toBe("starting")
    })

    it("knows every line the firmware prints about its connection (a new one would need reading here)", () => {
        const src = readFileSync(join(ROOT, "src", "firmware", "net", "link.ts"), "utf8")
        for (const said of ["net: connected to ", "net: connection to ", "net: broker ", "net: no broker host"]) expect(src).toContain(said)
    })
})

describe("the Network panel's badge", () => {
    const net = (over: Partial<NetStatus>): NetStatus => ({ broker: "mqtt://127.0.0.1:5000", brokerUp: true, link: "connected", ...over })
    it("shows each state in its colour", () => {
        expect(linkBadge(net({}))).toEqual({ text: "connected", cls: "running" })
        expect(linkBadge(net({ link: "reconnecting" }))).toEqual({ text: "reconnecting…", cls: "booting" })
        expect(linkBadge(net({ link: "offline", brokerUp: false }))).toEqual({ text: "offline", cls: "crashed" })
        expect(linkBadge(net({ link: "starting" })).cls).toBe("booting")
        expect(linkBadge(net({ link: "off" })).cls).toBe("off")
    })
    it("says when the simulator runs without a broker", () => {
        expect(linkBadge(net({ broker: null, brokerUp: false, link: "off" }))).toEqual({ text: "no broker (--no-broker)", cls: "off" })
    })
})

describe("the page's broker request", () => {
    it("takes down and up, and refuses anything else with the reason", () => {
        expect(parseClientMessage('{"t":"broker","action":"down"}')).toEqual({ t: "broker", action: "down" })
        expect(parseClientMessage('{"t":"broker","action":"up"}')).toEqual({ t: "broker", action: "up" })
        expect(() => parseClientMessage('{"t":"broker","action":"restart"}')).toThrow('broker: action must be "down" or "up"')
        expect(() => parseClientMessage('{"t":"broker"}')).toThrow(/broker: action/)
    })
})
