/**
 * `network.publishState: false` ("a setting publishes no state at all, for owners who
 * don't want the broker to know when the door is open"), on the real firmware built with it
 * (build/firmware-net-private.devs: firmware-net with test/fixtures/network-private.json laid
 * over it) in the in-process VM, against Debian's mosquitto. The broker holds a retained state
 * document and Home Assistant discovery configs for the lock from before; the lock connects,
 * says it is online, clears them, and then publishes nothing of its door: no state, no events,
 * no discovery, through keypad unlocks and a wrong-code lockout. A companion unlock over MQTT
 * still works.
 */
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { mosquittoMissing, startMosquitto, TestBroker } from "../../bench/lib/brokers"
import { ROOT } from "../../host/paths"
import { loadProfile } from "../../host/profile-io"
import { discoveryConfigs } from "../../src/core/homeassistant"
import { LockTopics, lockTopics } from "../../src/core/topics"
import { lockOnBroker, NetLock } from "../support/net-lock"
import { retainedNow, Seen, Watcher } from "../support/mqtt-watch"
import { latchkey } from "../scenario/cli-run"
import { attempt, MASTER, sleep } from "../scenario/helpers"

const FIXTURES = join(ROOT, "test", "fixtures")
const PROFILE = loadProfile([join(FIXTURES, "fast-timing.json"), join(FIXTURES, "network.json"), join(FIXTURES, "network-private.json")])
const OLD_STATE = JSON.stringify({ lock: "UNLOCKED", failures: 0, lockout_s: 0, mode: "Normal", door: "open" })

const missing = mosquittoMissing()
const onMosquitto = missing ? describe.skip : describe

onMosquitto(`network.publishState off: only availability on the broker${missing ? ` [skipped: ${missing}]` : ""}`, () => {
    let broker: TestBroker
    let lock: NetLock
    let watch: Watcher
    let topics: LockTopics
    let filters: string[]
    let discoveryTopics: string[]

    /** Anything on the state, events or discovery topics (the lock's own or Home Assistant's). */
    const doorNews = (m: Seen) => m.topic === topics.state || m.topic === topics.events || discoveryTopics.includes(m.topic)

    beforeAll(async () => {
        expect(PROFILE.network.publishState).toBe(false)
        broker = await startMosquitto()
        lock = await lockOnBroker(broker, undefined, {
            firmware: "firmware-net-private",
            profile: PROFILE,
            beforeConnect: async lockId => {
                topics = lockTopics(PROFILE.network.topicPrefix, lockId)
                const ha = PROFILE.network.homeAssistant
                filters = [`${PROFILE.network.topicPrefix}/${lockId}/#`, `${ha.discoveryPrefix}/#`]
                const configs = discoveryConfigs({ lockId, name: PROFILE.name, topics, discoveryPrefix: ha.discoveryPrefix, enabled: true, hasDoor: true })
                discoveryTopics = configs.map(c => c.topic)
                // what a broker kept from before the owner turned state publishing off
                const seed = await Watcher.connect(broker, [`seed/${lockId}`])
                // QoS 1: each one acknowledged, so held, before the seeding client goes
                await seed.client.publishAsync(topics.state, OLD_STATE, { qos: 1, retain: true })
                for (const c of configs) await seed.client.publishAsync(c.topic, c.payload, { qos: 1, retain: true })
                await seed.close()
                const before = await retainedNow(broker, filters)
                expect(before.get(topics.state)).toBe(OLD_STATE)
                for (const t of discoveryTopics) expect(before.has(t), t).toBe(true)
                // the watcher gets them as retained copies; all it sees live is the lock's
                watch = await Watcher.connect(broker, filters)
            },
        })
    }, 90000)

    afterAll(async () => {
        await lock?.board.dispose()
        await watch?.close().catch(() => {})
        await broker?.stop()
    })

    it("says it is online and clears the retained state and discovery configs the broker kept", async () => {
        // the empty retained state is the last thing the lock publishes on connecting
        await watch.waitFor(m => m.topic === topics.state && m.payload.length === 0, "the retained state cleared")
        for (const t of discoveryTopics) await watch.waitFor(m => m.topic === t && m.payload.length === 0, `${t} cleared`)
        const retained = await retainedNow(broker, filters)
        expect(retained.get(topics.availability)).toBe("online")
        expect([...retained.keys()]).toEqual([topics.availability])
        // nothing but the clearing and availability ever went out on the door's topics
        expect(watch.seen.filter(m => doorNews(m) && m.payload.length > 0 && !m.retain)).toEqual([])
    }, 30000)

    it("publishes nothing of the door through keypad unlocks and a wrong-code lockout alarm", async () => {
        const from = watch.seen.length
        const mark = lock.board.logs.length
        expect(await attempt(lock.board, MASTER)).toBe("success")
        await lock.board.waitUntil(() => lock.board.isUnlocked(), "the keypad unlock")
        await lock.board.waitUntil(() => lock.board.isLocked(), "the auto-relock")
        for (let i = 1; i <= PROFILE.lockout.freeFailures; i++) expect(await attempt(lock.board, "8402")).toBe("failure")
        expect(await attempt(lock.board, "8402")).toBe("lockout")
        await lock.board.waitForLog(/lock: alarm WrongCodeEntryLimit/, 5000, mark)
        // several of the link's publishing rounds (every 200 ms) after the last change
        await sleep(1500)
        expect(watch.seen.slice(from).filter(doorNews).map(m => m.topic)).toEqual([])
        const retained = await retainedNow(broker, filters)
        expect([...retained.keys()]).toEqual([topics.availability])
    }, 60000)

    it("still takes a companion unlock over MQTT", async () => {
        const from = watch.seen.length
        const unlock = await latchkey(["--mqtt", broker.url, "--keys", lock.store.path, "unlock"])
        expect(unlock.code, unlock.err).toBe(0)
        expect(unlock.out.trim()).toBe("unlocked")
        await lock.board.waitUntil(() => lock.board.isUnlocked(), "the unlock over MQTT")
        await lock.board.waitUntil(() => lock.board.isLocked(), "the auto-relock")
        await sleep(600)
        expect(watch.seen.slice(from).filter(doorNews).map(m => m.topic)).toEqual([])
    }, 60000)
})
