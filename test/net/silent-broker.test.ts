/**
 * A broker that accepts the lock and then goes silent (a half-open TCP connection: the peer is
 * gone, the socket is not): the link notices that its pings go unanswered, drops the connection
 * and dials again. The "broker" is a bare TCP server on 127.0.0.1 that answers the CONNECT with
 * a CONNACK and then never sends another byte.
 */
import { createServer, Server, Socket } from "node:net"
import { join } from "node:path"
import { afterAll, beforeAll, expect, it } from "vitest"
import { loadProfile } from "../../host/profile-io"
import { ROOT } from "../../host/paths"
import { settingValue, writeDeviceSettings } from "../../host/device-settings"
import { SimulatedBoard } from "../../sim/board"
import { InProcessDevice } from "../../sim/devices/device"
import { HOST } from "../../bench/lib/brokers"

const PROFILE = loadProfile([join(ROOT, "test", "fixtures", "fast-timing.json"), join(ROOT, "test", "fixtures", "network.json")])

let server: Server
let port = 0
let connections = 0
const sockets: Socket[] = []
let board: SimulatedBoard
const device = new InProcessDevice()

beforeAll(async () => {
    server = createServer(s => {
        connections++
        sockets.push(s)
        let answered = false
        s.on("data", () => {
            // CONNACK, session not present, accepted; then nothing, ever
            if (!answered) s.write(Buffer.from([0x20, 2, 0, 0]))
            answered = true
        })
        s.on("error", () => {})
    })
    await new Promise<void>(r => server.listen(0, HOST, () => r()))
    port = (server.address() as { port: number }).port
    board = new SimulatedBoard({ profile: PROFILE, firmware: "firmware-net", echo: !!process.env.LATCHKEY_ECHO, device })
    await board.powerOn()
}, 60000)

afterAll(async () => {
    await board?.dispose()
    for (const s of sockets) s.destroy()
    await new Promise<void>(r => server.close(() => r()))
})

it("drops a connection whose broker stopped answering its pings, and dials again", async () => {
    const mark = board.logs.length
    await writeDeviceSettings(board.bus, device.deviceId, new Map([["MQTT_HOST", settingValue(HOST)], ["MQTT_PORT", settingValue(port)]]))
    await board.waitForLog(new RegExp(`net: connected to ${HOST.replace(/\./g, "\\.")}:${port}`), 20000, mark)
    const first = connections
    await board.waitForLog(/net: connection to .* lost/, 45000, mark)
    await board.waitForLog(/net: connected to/, 20000, board.logs.length - 1)
    expect(connections).toBeGreaterThan(first)
}, 120000)
