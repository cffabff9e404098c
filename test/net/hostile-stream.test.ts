/**
 * What a broker (or anyone between the lock and it) can write into the lock's socket: a burst of
 * thousands of tiny packets, a packet far larger than any the lock reads, a malformed length.
 * The real test firmware (build/firmware-net.devs: its link hands each request to the protocol 2
 * frame handler) in the in-process VM, whose socket data arrives 128 bytes at a time as on an ESP32
 * (sim/vm.ts SOCKET_CHUNK_BYTES), against a bare TCP "broker" that writes raw bytes
 * (test/support/raw-broker.ts). The lock must not panic, must stay connected where the stream is
 * still in step, and must keep answering.
 */
import { join } from "node:path"
import { afterAll, beforeAll, expect, it } from "vitest"
import { loadProfile } from "../../host/profile-io"
import { ROOT } from "../../host/paths"
import { settingValue, writeDeviceSettings } from "../../host/device-settings"
import { SimulatedBoard } from "../../sim/board"
import { InProcessDevice } from "../../sim/devices/device"
import { lockTopics } from "../../src/core/topics"
import { HOST } from "../../bench/lib/brokers"
import { packet, publishPacket } from "../../bench/lib/mqtt-frames"
import { RawBroker } from "../support/raw-broker"
import { CHALLENGE_BYTES, echoOf, FRAME_NONCE, nonceRequest } from "../../src/core/frames"
import { lockIdOf } from "../../sim/lock-id"
import { attempt, MASTER, setUpMaster } from "../scenario/helpers"

const PROFILE = loadProfile([join(ROOT, "test", "fixtures", "fast-timing.json"), join(ROOT, "test", "fixtures", "network.json")])
const device = new InProcessDevice()
let topics: ReturnType<typeof lockTopics>
let broker: RawBroker
let board: SimulatedBoard

/** Sends a request (a challenge for key id 1) and resolves once the lock's answer came back. */
async function answered() {
    const from = broker.published.length
    broker.write(publishPacket(topics.req, Buffer.from(nonceRequest(1))))
    await board.waitUntil(() => broker.published.slice(from).some(p => p.topic === topics.ans && p.payload.length > 0), "the lock's answer to a request", 10000)
}

function panics(): string[] {
    return board.logs.filter(l => /PANIC|InfiniteLoop|OutOfMemory|stop program/.test(l))
}

beforeAll(async () => {
    broker = await RawBroker.start()
    board = new SimulatedBoard({ profile: PROFILE, firmware: "firmware-net", echo: !!process.env.LATCHKEY_ECHO, device })
    await board.powerOn()
    topics = lockTopics(PROFILE.network.topicPrefix, lockIdOf(board))
    const mark = board.logs.length
    await writeDeviceSettings(board.bus, device.deviceId, new Map([["MQTT_HOST", settingValue(HOST)], ["MQTT_PORT", settingValue(broker.port)]]))
    await board.waitForLog(new RegExp(`net: connected to ${HOST.replace(/\./g, "\\.")}:${broker.port}`), 20000, mark)
    await answered()
}, 60000)

afterAll(async () => {
    await board?.dispose()
    await broker?.stop()
})

it("answers requests that come together in one write, in order, each repeating its own tag (two companions at once are both answered)", async () => {
    const from = broker.published.length
    const requests = [1, 2, 3, 4].map(tag => Buffer.from(nonceRequest(tag, [tag, 0xc0, 0xff, 0xee])))
    broker.write(Buffer.concat(requests.map(r => publishPacket(topics.req, r))))
    const answers = () => broker.published.slice(from).filter(p => p.topic === topics.ans)
    await board.waitUntil(() => answers().length >= requests.length, "an answer to each request", 10000)
    // a challenge (24 bytes) after version and kind, then the request's key id and tag
    expect(answers().map(a => [...a.payload.subarray(2 + CHALLENGE_BYTES)])).toEqual(requests.map(r => echoOf(r)))
    expect(answers().every(a => a.payload[1] === FRAME_NONCE)).toBe(true)
    expect(panics()).toEqual([])
}, 30000)

it("takes a burst of 2,000 tiny packets in one write without a panic, stays connected and answers the next request", async () => {
    // PINGRESP is two bytes: 4,000 bytes reach the firmware as 32 pieces it reads without waiting
    const burst = Buffer.alloc(4000)
    for (let i = 0; i < burst.length; i += 2) burst[i] = 0xd0
    broker.write(burst)
    await answered()
    expect(panics()).toEqual([])
    expect(broker.connections).toBe(1)
}, 30000)

it("skips a 5 KB packet unread and stays connected: a stranger who may publish cannot kick the lock off its broker", async () => {
    broker.write(publishPacket(topics.req, Buffer.alloc(5000, 0x41)))
    await answered()
    expect(panics()).toEqual([])
    expect(broker.connections).toBe(1)
}, 30000)

it("drops the connection on a malformed length field and dials again", async () => {
    const mark = board.logs.length
    broker.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))
    await board.waitForLog(/net: connection to .* lost/, 10000, mark)
    await board.waitForLog(/net: connected to/, 20000, mark)
    await answered()
    expect(broker.connections).toBe(2)
    expect(panics()).toEqual([])
}, 40000)

it("keeps the keypad working after all of it", async () => {
    await setUpMaster(board)
    expect(await attempt(board, MASTER)).toBe("success")
    expect(panics()).toEqual([])
}, 30000)
