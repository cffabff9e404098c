/**
 * mqtt_fuzz: malformed, oversized and random MQTT traffic at the lock. The real test firmware with
 * the network on (build/firmware-net.devs) in the in-process VM, socket data reaching it 128 bytes
 * at a time as on an ESP32, connected to Debian's mosquitto on 127.0.0.1 through a proxy
 * (bench/lib/mqtt-proxy.ts) that can put raw bytes into the broker's stream to the lock.
 *
 *   1. --payloads N publishes (default 100,000) through mosquitto on the lock's own topics (its
 *      request and command topics: the only ones it subscribes to): half random bytes of 0..256,
 *      one in 50 oversized (513 B, past the lock's request limit, to --max-payload), command-like
 *      text (LOCK, UNLOCK, lower case, padded, long, UTF-8, NULs), and frames shaped like the
 *      companion protocol's (a version byte, then random bytes: they reach the firmware's
 *      protocol 2 handler). Sent at --rate a second: faster than the lock reads, the socket
 *      library's buffers run the heap out (docs/security.md, the broker as a stranger).
 *   2. --raw N raw packets (default 20,000, at --raw-kbps) put into the stream by the proxy, framed correctly but
 *      of any type and flags with random bodies (PUBLISH with a topic length past its end, QoS 1
 *      and 2 without a packet id, a second CONNACK, SUBACK, reserved types 0 and 15...), then
 *      --breaking N (default 30) that break the stream (a 5-byte length, a length past 256 MB,
 *      random garbage): each of these costs a reconnection.
 *
 * After each phase and at the end: the VM never panicked or restarted, the latch never opened
 * (no unlocked angle was written while nobody typed), the keypad still opens with the right code
 * and the lock is not locked out. Count and outcome go to bench/results.json (mqtt_fuzz).
 *
 *   npm run bench:fuzz:mqtt -- [--payloads N] [--rate N] [--max-payload N] [--raw N] [--raw-kbps N] [--breaking N]
 *                              [--record-as FIELD] [--seed N]
 */
import { join } from "node:path"
import mqtt from "mqtt"
import { settingValue, writeDeviceSettings } from "../host/device-settings"
import { ROOT } from "../host/paths"
import { loadProfile } from "../host/profile-io"
import { SimulatedBoard, sleep } from "../sim/board"
import { InProcessDevice } from "../sim/devices/device"
import { lockTopics } from "../src/core/topics"
import { HOST, mosquittoMissing, startMosquitto } from "./lib/brokers"
import { packet, publishPacket } from "./lib/mqtt-frames"
import { MqttProxy } from "./lib/mqtt-proxy"
import { lockIdOf } from "../sim/lock-id"
import { runBench } from "./lib/cli"
import { Rng, round } from "./lib/stats"
import { recordResult } from "./results"

const PROFILE = loadProfile([join(ROOT, "test", "fixtures", "fast-timing.json"), join(ROOT, "test", "fixtures", "network.json")])
const FIRMWARE = "firmware-net"
const MASTER = "4719"

const COMMANDS = ["LOCK", "UNLOCK", "lock", "unlock", " LOCK", "LOCK ", "LOCK\u0000", "OPEN", "", "LOCK\nUNLOCK", "ÜNLOCK", "🔓", "L".repeat(33), "LOCK".repeat(200)]

/** One payload for the lock's topics: its kind, topic and bytes. */
function payload(rng: Rng, topics: { req: string; command: string }, maxPayload: number): { kind: string; topic: string; body: Buffer } {
    const topic = rng.chance(0.5) ? topics.req : topics.command
    const k = rng.int(50)
    if (k < 25) return { kind: "random", topic, body: Buffer.from(rng.bytes(rng.int(257))) }
    if (k < 26) return { kind: "oversized", topic, body: Buffer.from(rng.bytes(rng.range(513, maxPayload))) }
    if (k < 40) return { kind: "command-text", topic, body: Buffer.from(rng.pick(COMMANDS)) }
    const frame = Buffer.from(rng.bytes(rng.range(1, 120)))
    frame[0] = rng.pick([1, 2, 3, 0, 255])
    return { kind: "protocol-shaped", topic, body: frame }
}

/** A raw packet, correctly framed, of any type, flags and body. */
function rawPacket(rng: Rng, topics: { req: string; command: string }): Buffer {
    const k = rng.int(6)
    if (k === 0) {
        // PUBLISH whose topic length runs past the body, or QoS 1/2 with no room for a packet id
        const t = Buffer.from(rng.pick([topics.req, topics.command]))
        const body = Buffer.concat([Buffer.from([rng.int(256), rng.int(256)]), t.subarray(0, rng.int(t.length + 1))])
        return packet(0x30 | (rng.int(16) & 0x0f), body)
    }
    if (k === 1) return publishPacket(rng.pick([topics.req, topics.command]), Buffer.from(rng.bytes(rng.int(700))), rng.chance(0.5))
    if (k === 2) return packet(rng.pick([0x20, 0x90, 0xb0, 0xd0, 0x40, 0x50, 0x62, 0x70]), Buffer.from(rng.bytes(rng.int(6))))
    if (k === 3) return packet(rng.pick([0x00, 0xf0, 0x10, 0x80, 0xa0, 0xc0, 0xe0]) | rng.int(16), Buffer.from(rng.bytes(rng.int(64))))
    if (k === 4) return packet(0x30 | rng.int(16), Buffer.alloc(0))
    return packet(rng.int(256), Buffer.from(rng.bytes(rng.int(1500))))
}

/** Bytes that break the stream. */
function breaking(rng: Rng): Buffer {
    const k = rng.int(3)
    if (k === 0) return Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])
    if (k === 1) return Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])
    return Buffer.from(rng.bytes(rng.range(1, 64)))
}

runBench(
    "bench:fuzz:mqtt",
    {
        payloads: { type: "int", default: 100000, min: 1, max: 10000000, help: "payloads published on the lock's topics" },
        rate: { type: "int", default: 500, min: 1, max: 100000, help: "payloads a second" },
        raw: { type: "int", default: 20000, min: 0, max: 10000000, help: "raw packets (framed, any type) put into the lock's stream" },
        "raw-kbps": { type: "int", default: 48, min: 1, max: 100000, help: "raw packets' bytes a second, in KB" },
        breaking: { type: "int", default: 30, min: 0, max: 10000, help: "raw byte runs that break the stream (one reconnection each)" },
        "max-payload": { type: "int", default: 2048, min: 601, max: 65536, help: "the largest oversized payload (bytes)" },
        "record-as": { type: "string", default: "mqtt_fuzz", help: "the field of bench/results.json to write" },
        seed: { type: "int", default: 14, min: 0, max: 2 ** 31, help: "random seed" },
    },
    async o => {
        const why = mosquittoMissing()
        if (why) throw new Error(why)
        const started = Date.now()
        const rng = new Rng(o.seed)
        const broker = await startMosquitto()
        const proxy = await MqttProxy.start(broker.port)
        const device = new InProcessDevice()
        const board = new SimulatedBoard({ profile: PROFILE, firmware: FIRMWARE, echo: !!process.env.LATCHKEY_ECHO, device })
        await board.powerOn()
        let mark = board.logs.length
        await writeDeviceSettings(board.bus, device.deviceId, new Map([["MQTT_HOST", settingValue(HOST)], ["MQTT_PORT", settingValue(proxy.port)]]))
        await board.waitForLog(/net: connected to/, 20000, mark)
        await board.setUpMaster(MASTER)
        await board.waitUntil(() => board.isLocked(), "the latch locked", 10000)
        const topics = lockTopics(PROFILE.network.topicPrefix, lockIdOf(board))
        const bootsBefore = board.logs.filter(l => /lock: boot:/.test(l)).length

        // the latch must never open while nobody types
        let opened = 0
        let typing = false
        board.latch.angle.on("change", () => {
            if (!typing && board.isUnlocked()) opened++
        })
        const problems = () => ({
            vm_panics: board.logs.filter(l => /PANIC|InfiniteLoop|OutOfMemory|stop program/.test(l)).length,
            restarts: board.logs.filter(l => /lock: boot:/.test(l)).length - bootsBefore,
            latch_opened: opened,
        })
        const keypadStillOpens = async () => {
            typing = true
            await sleep(300)
            const from = board.heard.length
            await board.type(MASTER + "#")
            const answer = () => board.heard.slice(from).find(h => ["success", "failure", "lockout"].includes(h.sound))?.sound
            await board.waitUntil(() => answer() !== undefined, "the keypad's answer", 10000).catch(() => {})
            await board.waitUntil(() => board.isLocked(), "the auto-relock", 15000).catch(() => {})
            typing = false
            return answer() ?? "no answer"
        }

        // 1: payloads through mosquitto
        const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, clientId: "bench_fuzz" })
        const kinds: Record<string, number> = {}
        let answers = 0
        const watcher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, clientId: "bench_fuzz_watch" })
        watcher.on("message", t => {
            if (t === topics.ans) answers++
        })
        await watcher.subscribeAsync(topics.ans)
        const batch = Math.max(1, Math.round(o.rate / 50))
        const t1 = Date.now()
        for (let i = 0; i < o.payloads; ) {
            const tick = Date.now()
            for (let j = 0; j < batch && i < o.payloads; j++, i++) {
                const p = payload(rng, topics, o["max-payload"])
                kinds[p.kind] = (kinds[p.kind] ?? 0) + 1
                client.publish(p.topic, p.body, { qos: 0 })
            }
            if (i % 20000 < batch) process.stderr.write(`fuzz:mqtt payloads ${i}/${o.payloads} ${JSON.stringify(problems())}\n`)
            await sleep(Math.max(0, 20 - (Date.now() - tick)))
        }
        await sleep(2000)
        const payloadSeconds = (Date.now() - t1) / 1000
        const afterPayloads = { ...problems(), connected: proxy.connected, reconnections: proxy.connections - 1, keypad: await keypadStillOpens() }
        console.log(`fuzz:mqtt: ${o.payloads} payloads in ${round(payloadSeconds, 0)} s: ${JSON.stringify(afterPayloads)}; ${answers} request(s) answered`)

        // 2: raw packets into the stream
        const connectionsBefore = proxy.connections
        let rawSent = 0
        let rawBytes = 0
        for (let i = 0; i < o.raw; i++) {
            while (!proxy.connected) await sleep(50)
            const p = rawPacket(rng, topics)
            proxy.inject(p)
            rawSent++
            rawBytes += p.length
            // at most --raw-kbps: faster, the socket library's buffers run the heap out (as in phase 1)
            if (rawBytes >= (o["raw-kbps"] * 1024) / 50) {
                rawBytes = 0
                await sleep(20)
            }
            if (i % 5000 === 4999) process.stderr.write(`fuzz:mqtt raw ${i + 1}/${o.raw} ${JSON.stringify(problems())}\n`)
        }
        await sleep(1000)
        const reconnectsFramed = proxy.connections - connectionsBefore
        let breakingSent = 0
        for (let i = 0; i < o.breaking; i++) {
            const n = proxy.connections
            mark = board.logs.length
            while (!proxy.connected) await sleep(50)
            proxy.inject(breaking(rng))
            breakingSent++
            // the lock notices at once (a bad length) or when its pings go unanswered: give it 1 s, then go on
            await sleep(1000)
            if (proxy.connections === n && proxy.connected) continue
            await board.waitForLog(/net: connected to/, 30000, mark).catch(() => {})
        }
        await sleep(1000)
        const end = { ...problems(), reconnections_from_framed: reconnectsFramed, reconnections_total: proxy.connections - 1, keypad: await keypadStillOpens() }
        console.log(`fuzz:mqtt: ${rawSent} raw packets and ${breakingSent} stream breakers: ${JSON.stringify(end)}`)
        const fails = board.logs.find(l => /failures [1-9]/.test(l))
        await watcher.endAsync(true)
        await client.endAsync(true)
        await board.dispose()
        await proxy.stop()
        await broker.stop()
        const ok = end.vm_panics === 0 && end.restarts === 0 && end.latch_opened === 0 && afterPayloads.keypad === "success" && end.keypad === "success"
        recordResult(o["record-as"], {
            payloads: o.payloads,
            payload_kinds: kinds,
            payload_rate_per_s: round(o.payloads / payloadSeconds, 0),
            requests_answered: answers,
            raw_packets: rawSent,
            raw_kbps: o["raw-kbps"],
            stream_breakers: breakingSent,
            after_payloads: afterPayloads,
            outcome: end,
            ok,
            verdict: ok ? "no crash, no restart, the latch never opened, the keypad opens with the right code afterwards" : "FAILED: see outcome",
            seed: o.seed,
            firmware: `build/${FIRMWARE}.devs (the test firmware, fast timings, the MQTT link on: each request goes to the protocol 2 frame handler, as in the shipping firmware)`,
            broker: "Debian mosquitto on 127.0.0.1 (anonymous, no persistence), through a TCP proxy that puts the raw packets into its stream",
            seconds: round((Date.now() - started) / 1000, 0),
            note: fails ? `a keypad failure was logged: ${fails}` : undefined,
        })
        if (!ok) throw new Error(`the lock did not come through the fuzz: ${JSON.stringify(end)}`)
    },
)
