/**
 * The lock on a real MQTT broker: the real firmware (build/firmware-net.devs: the test firmware
 * with test/fixtures/network.json laid over it) in the in-process VM, whose sockets reach
 * 127.0.0.1, against Debian's mosquitto (with a password file) and against aedes (anonymous).
 * Each test file's broker is its own, on a free port; the lock is pointed at it through the
 * MQTT_HOST / MQTT_PORT settings (and MQTT_USER / MQTT_PASS), as a deploy writes them from
 * `.env.local`.
 */
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadProfile } from "../../host/profile-io"
import { ROOT } from "../../host/paths"
import { settingValue, writeDeviceSettings } from "../../host/device-settings"
import { SimulatedBoard, sleep } from "../../sim/board"
import { InProcessDevice } from "../../sim/devices/device"
import { discoveryConfigs } from "../../src/core/homeassistant"
import { LockTopics, lockTopics } from "../../src/core/topics"
import { FRAME_CLEAR, FRAME_NONCE, nonceRequest, PROTOCOL_VERSION } from "../../src/core/frames"
import { STATUS_BAD_FRAME, STATUS_UPDATE_COMPANION } from "../../src/core/index"
import { HOST, mosquittoMissing, startAedes, startMosquitto, TestBroker } from "../../bench/lib/brokers"
import { haConfigProblems, parseDiscoveryTopic } from "../support/ha-schema"
import { retainedNow, Watcher } from "../support/mqtt-watch"
import { attempt, MASTER, setUpMaster } from "../scenario/helpers"
import { lockIdOf } from "../../sim/lock-id"

const PROFILE = loadProfile([join(ROOT, "test", "fixtures", "fast-timing.json"), join(ROOT, "test", "fixtures", "network.json")])
const USER = "front-door"
const PASSWORD = "c0rrect-h0rse-battery"
const WRONG_PASSWORD = "wr0ng-pa55word"

interface Setup {
    kind: "mosquitto" | "aedes"
    credentials: boolean
}

const SETUPS: Setup[] = [
    { kind: "mosquitto", credentials: true },
    { kind: "aedes", credentials: false },
]

for (const setup of SETUPS) {
    const missing = setup.kind === "mosquitto" ? mosquittoMissing() : null
    const suite = missing ? describe.skip : describe
    suite(`the lock on ${setup.kind}${setup.credentials ? " (user and password)" : " (anonymous)"}${missing ? ` [skipped: ${missing}]` : ""}`, () => {
        let broker: TestBroker
        let board: SimulatedBoard
        let watch: Watcher
        const device = new InProcessDevice()
        // known once the lock's service is on the bus (beforeAll)
        let topics: LockTopics
        let FILTERS: string[]
        let expected: ReturnType<typeof discoveryConfigs>

        const point = async (settings: [string, string | number][]) => {
            await writeDeviceSettings(board.bus, device.deviceId, new Map(settings.map(([k, v]) => [k, settingValue(v)])))
        }
        const stateSince = (from: number, lock: string) =>
            watch.waitFor(m => m.topic === topics.state && JSON.parse(m.payload.toString()).lock === lock, `state ${lock}`, 15000, from)

        beforeAll(async () => {
            broker = setup.kind === "mosquitto" ? await startMosquitto(setup.credentials ? { username: USER, password: PASSWORD } : {}) : await startAedes()
            board = new SimulatedBoard({ profile: PROFILE, firmware: "firmware-net", echo: !!process.env.LATCHKEY_ECHO, device })
            await board.powerOn()
            const lockId = lockIdOf(board)
            topics = lockTopics(PROFILE.network.topicPrefix, lockId)
            FILTERS = [`${PROFILE.network.topicPrefix}/${lockId}/#`, `${PROFILE.network.homeAssistant.discoveryPrefix}/#`]
            expected = discoveryConfigs({
                lockId,
                name: PROFILE.name,
                topics,
                discoveryPrefix: PROFILE.network.homeAssistant.discoveryPrefix,
                enabled: true,
                hasDoor: true,
            })
            watch = await Watcher.connect(broker, FILTERS)
        }, 60000)

        afterAll(async () => {
            await board?.dispose()
            await watch?.close().catch(() => {})
            await broker?.stop()
        })

        it("connects with the broker's credentials from its settings, never logging them, and announces itself: online, its state, Home Assistant discovery (all retained)", async () => {
            const mark = board.logs.length
            if (setup.credentials) {
                await point([["MQTT_HOST", HOST], ["MQTT_PORT", broker.port], ["MQTT_USER", USER], ["MQTT_PASS", WRONG_PASSWORD]])
                await board.waitForLog(/net: the broker refused the connection: code (4 \(bad user name or password\)|5 \(not authorized\))/, 20000, mark)
                await point([["MQTT_PASS", PASSWORD]])
            } else await point([["MQTT_HOST", HOST], ["MQTT_PORT", broker.port]])
            await board.waitForLog(new RegExp(`net: connected to ${HOST.replace(/\./g, "\\.")}:${broker.port}`), 20000, mark)
            await watch.waitFor(m => m.topic === topics.state, "the state document")

            const retained = await retainedNow(broker, FILTERS)
            expect(retained.get(topics.availability)).toBe("online")
            expect(JSON.parse(retained.get(topics.state)!)).toEqual({ lock: "LOCKED", failures: 0, lockout_s: 0, mode: "Normal", door: "closed" })
            // the firmware's discovery configs are the ones Node computes from the same source, and Home Assistant takes them
            for (const c of expected) {
                expect(retained.get(c.topic), c.topic).toBe(c.payload)
                const where = parseDiscoveryTopic("homeassistant", c.topic)!
                expect(haConfigProblems(where.component, JSON.parse(retained.get(c.topic)!)), c.topic).toEqual([])
            }
            for (const line of board.logs) {
                expect(line).not.toContain(PASSWORD)
                expect(line).not.toContain(WRONG_PASSWORD)
                // no packet trace (it would carry the CONNECT, password included)
                expect(line).not.toMatch(/mqtt: send \d+b/)
            }
        }, 60000)

        it("hands each request to the lock's protocol 2 frame handler and publishes its answer: a challenge, a clear refusal; drops one too large", async () => {
            const from = watch.seen.length
            const mark = board.logs.length
            const big = Buffer.alloc(600, 7)
            await watch.publish(topics.req, big)
            // a challenge for key id 1: the same bytes the Jacdac service answers
            await watch.publish(topics.req, Buffer.from(nonceRequest(1)))
            const nonce = await watch.waitFor(m => m.topic === topics.ans, "a challenge", 10000, from)
            expect(nonce.payload.length).toBe(27) // the challenge, then the key id it was asked for
            expect([nonce.payload[0], nonce.payload[1]]).toEqual([PROTOCOL_VERSION, FRAME_NONCE])
            // a protocol 1 frame: "update the companion"; a protocol 2 frame it cannot read: BadFrame
            let at = watch.seen.length
            await watch.publish(topics.req, Buffer.from([1, 2, 3, 0, 250, 255]))
            const old = await watch.waitFor(m => m.topic === topics.ans, "an answer", 10000, at)
            // each repeats the request's bytes after its kind, and nothing more
            expect([...old.payload]).toEqual([PROTOCOL_VERSION, FRAME_CLEAR, STATUS_UPDATE_COMPANION, 3, 0, 250, 255])
            at = watch.seen.length
            await watch.publish(topics.req, Buffer.from([PROTOCOL_VERSION, 9, 9]))
            const bad = await watch.waitFor(m => m.topic === topics.ans, "an answer", 10000, at)
            expect([...bad.payload]).toEqual([PROTOCOL_VERSION, FRAME_CLEAR, STATUS_BAD_FRAME, 9])
            await board.waitForLog(/net: \d+ request\(s\) dropped \(larger than 236 bytes\)/, 5000, mark)
            await sleep(300)
            expect(watch.seen.slice(from).filter(m => m.topic === topics.ans)).toHaveLength(3)
        }, 30000)

        it("publishes the keypad's unlock, the door's alarm, obeys LOCK from Home Assistant and never UNLOCK", async () => {
            await setUpMaster(board)
            let from = watch.seen.length
            expect(await attempt(board, MASTER)).toBe("success")
            await stateSince(from, "UNLOCKED")
            // the door held open: the auto-relock waits, and DoorAjar goes out on the events topic
            from = watch.seen.length
            board.setDoor(true)
            const ajar = await watch.waitFor(m => m.topic === topics.events, "an alarm event", 10000, from)
            expect(JSON.parse(ajar.payload.toString())).toMatchObject({ event_type: "DoorAjar" })
            expect(ajar.retain).toBe(false)
            await watch.waitFor(m => m.topic === topics.state && JSON.parse(m.payload.toString()).door === "open", "door open in the state", 5000, from)
            // UNLOCK (or anything but LOCK) from the broker is never obeyed
            let mark = board.logs.length
            await watch.publish(topics.command, "UNLOCK")
            await board.waitForLog(/net: command ignored: only LOCK is obeyed from the broker/, 5000, mark)
            expect(board.isUnlocked()).toBe(true)
            mark = board.logs.length
            from = watch.seen.length
            await watch.publish(topics.command, "LOCK")
            await board.waitForLog(/lock: locked \(remote\)/, 5000, mark)
            await board.waitUntil(() => board.isLocked(), "the latch locked")
            await stateSince(from, "LOCKED")
            board.setDoor(false)
        }, 60000)

        it("keeps the keypad working with the broker down, comes back when it restarts and publishes its retained state again", async () => {
            let mark = board.logs.length
            await broker.kill()
            await board.waitForLog(/net: connection to .* lost/, 10000, mark)
            // retained messages died with the broker
            const from = board.logs.length
            expect(await attempt(board, MASTER)).toBe("success")
            await board.waitUntil(() => board.isUnlocked(), "the latch open with the broker down", 3000)
            await board.waitUntil(() => board.isLocked(), "the auto-relock with the broker down", 5000)
            await board.waitForLog(/net: broker .* unreachable/, 15000, from)
            mark = board.logs.length
            await broker.restart()
            await board.waitForLog(/net: connected to/, 20000, mark)
            await watch.close().catch(() => {})
            watch = await Watcher.connect(broker, FILTERS)
            await watch.waitFor(m => m.topic === topics.state, "the state again", 10000)
            const retained = await retainedNow(broker, FILTERS)
            expect(retained.get(topics.availability)).toBe("online")
            expect(JSON.parse(retained.get(topics.state)!)).toMatchObject({ lock: "LOCKED", failures: 0, door: "closed" })
            for (const c of expected) expect(retained.get(c.topic), c.topic).toBe(c.payload)
        }, 90000)

        it("leaves its will: the broker says offline when the lock loses power", async () => {
            const from = watch.seen.length
            board.powerCut()
            const off = await watch.waitFor(m => m.topic === topics.availability && m.payload.toString() === "offline", "the will", 15000, from)
            expect(off.payload.toString()).toBe("offline")
            const retained = await retainedNow(broker, FILTERS)
            expect(retained.get(topics.availability)).toBe("offline")
        }, 30000)
    })
}
