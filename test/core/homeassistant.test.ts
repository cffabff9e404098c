/**
 * Home Assistant discovery for a lock (src/core/homeassistant.ts) against Home Assistant's own
 * MQTT schemas (test/support/ha-schema.ts), and the checker itself against configs Home Assistant
 * refuses.
 */
import { describe, expect, it } from "vitest"
import { discoveryConfigs, DiscoveryOptions, PAYLOAD_LOCK } from "../../src/core/homeassistant"
import { LOCK_STATE_NAMES, PUBLISHED_ALARMS, stateDoc } from "../../src/core/lockreport"
import { lockTopics } from "../../src/core/topics"
import { MODE_COUNT, modeName } from "../../src/core/modes"
import { haConfigProblems, LOCK_STATES_DEFAULT, parseDiscoveryTopic } from "../support/ha-schema"

const ID = "1a7c4b3e9d2f0a55"
const topics = lockTopics("latchkey", ID)
const options = (o: Partial<DiscoveryOptions> = {}): DiscoveryOptions => ({
    lockId: ID,
    name: "Latchkey front door",
    topics,
    discoveryPrefix: "homeassistant",
    enabled: true,
    hasDoor: true,
    ...o,
})

function configs(o: Partial<DiscoveryOptions> = {}) {
    return discoveryConfigs(options(o)).map(c => ({ ...c, where: parseDiscoveryTopic(o.discoveryPrefix ?? "homeassistant", c.topic), config: c.payload ? JSON.parse(c.payload) : null }))
}

/** The state document's fields, as every value_template reads them. */
const STATE_FIELDS = Object.keys(
    stateDoc(
        { setup: false, setupStage: "idle", locked: true, failures: 0, lockoutRemainingMs: 0, entryLength: 0, busy: false, mode: 0, users: 1, menu: "", clockSet: false, door: "closed", wallSeconds: 0, hasRecovery: false },
        1,
    ),
)

describe("Home Assistant discovery of a lock", () => {
    it("announces one device with a lock, three sensors, a door binary sensor and an alarm event, each valid for Home Assistant", () => {
        const all = configs()
        expect(all.map(c => `${c.where?.component}/${c.where?.objectId}`)).toEqual([
            "lock/lock",
            "sensor/failures",
            "sensor/lockout",
            "sensor/mode",
            "binary_sensor/door",
            "event/alarm",
        ])
        for (const c of all) {
            expect(c.where, c.topic).not.toBeNull()
            expect(c.where!.nodeId).toBe(`latchkey_${ID}`)
            expect(haConfigProblems(c.where!.component, c.config), c.topic).toEqual([])
            // one device for every entity, with the lock's availability (published by the lock, its will "offline")
            expect(c.config.device.identifiers).toEqual([`latchkey_${ID}`])
            expect(c.config.availability_topic).toBe(topics.availability)
            expect([c.config.payload_available, c.config.payload_not_available]).toEqual(["online", "offline"])
        }
        const unique = all.map(c => c.config.unique_id)
        expect(new Set(unique).size).toBe(unique.length)
    })

    it("reads only fields the state document has, and the lock's states are Home Assistant's", () => {
        for (const c of configs()) {
            for (const t of [c.config.value_template].filter(Boolean))
                for (const m of String(t).matchAll(/value_json\.(\w+)/g)) expect(STATE_FIELDS, `${c.topic}: ${t}`).toContain(m[1])
        }
        const lock = configs()[0].config
        expect(lock.state_topic).toBe(topics.state)
        for (const [k, v] of Object.entries(LOCK_STATES_DEFAULT)) if (k !== "state_open" && k !== "state_opening") expect(lock[k]).toBe(v)
        expect(LOCK_STATE_NAMES).toEqual(["LOCKED", "UNLOCKED", "LOCKING", "UNLOCKING", "JAMMED"])
        const mode = configs()[3].config
        expect(mode.options).toEqual(Array.from({ length: MODE_COUNT }, (_, m) => modeName(m)))
        expect(configs()[5].config.event_types).toEqual(PUBLISHED_ALARMS)
        expect(configs()[5].config.state_topic).toBe(topics.events)
    })

    it("never lets Home Assistant send a code or open the door: no code_format, no OPEN, commands never retained", () => {
        const lock = configs()[0].config
        expect(lock.code_format).toBeUndefined()
        expect(lock.command_template).toBeUndefined()
        expect(lock.payload_open).toBeUndefined()
        expect(lock.retain).toBe(false)
        expect(lock.payload_lock).toBe(PAYLOAD_LOCK)
        expect(lock.command_topic).toBe(topics.command)
    })

    it("keeps ForcedUser (the duress alarm) off the broker", () => {
        expect(PUBLISHED_ALARMS).not.toContain("ForcedUser")
        expect(PUBLISHED_ALARMS).toEqual(["WrongCodeEntryLimit", "LockJammed", "DoorForcedOpen", "DoorAjar", "LockFactoryReset"])
    })

    it("removes what it does not want: no door sensor, discovery off (every config published empty)", () => {
        const noDoor = configs({ hasDoor: false })
        expect(noDoor.map(c => c.payload === "")).toEqual([false, false, false, false, true, false])
        expect(noDoor[4].topic).toBe(`homeassistant/binary_sensor/latchkey_${ID}/door/config`)
        const off = configs({ enabled: false })
        expect(off).toHaveLength(6)
        expect(off.every(c => c.payload === "")).toBe(true)
    })

    it("puts the configs under the discovery prefix given", () => {
        for (const c of configs({ discoveryPrefix: "ha/site-2" })) expect(c.topic.startsWith("ha/site-2/")).toBe(true)
    })
})

describe("the Home Assistant schema checker refuses what Home Assistant refuses", () => {
    const lock = () => configs()[0].config
    it.each([
        ["lock", (c: any) => delete c.command_topic, /required key not provided: command_topic/],
        ["lock", (c: any) => (c.command_topic = "latchkey/+/command"), /Wildcards cannot be used in topic names/],
        ["lock", (c: any) => (c.state_topic = "latchkey/a#"), /Multi-level wildcard must be the last character|must be after a topic level separator/],
        ["lock", (c: any) => (c.qos = 3), /must be a QoS/],
        ["lock", (c: any) => (c.device = { name: "x" }), /at least one identifying value/],
        ["lock", (c: any) => (c.origin = {}), /origin: name is required/],
        ["lock", (c: any) => (c.entity_category = "primary"), /entity_category: must be one of config, diagnostic/],
        ["lock", (c: any) => (c.availability = [{ topic: "a" }]), /exclusive/],
        ["lock", (c: any) => (c.payload_lok = "LOCK"), /unknown key "payload_lok"/],
        ["sensor", (c: any) => ((c.options = ["a"]), (c.device_class = "duration")), /must be used together with device class `enum`/],
        ["sensor", (c: any) => ((c.device_class = "enum"), (c.options = []), (c.unit_of_measurement = undefined)), /An empty options list is not allowed/],
        ["sensor", (c: any) => ((c.device_class = "duration"), (c.unit_of_measurement = "seconds")), /device class duration needs a unit/],
        ["sensor", (c: any) => (c.state_class = "average"), /state_class: must be one of/],
        ["binary_sensor", (c: any) => (c.device_class = "doors"), /device_class: must be one of/],
        ["binary_sensor", (c: any) => delete c.state_topic, /required key not provided: state_topic/],
        ["event", (c: any) => delete c.event_types, /required key not provided: event_types/],
        ["event", (c: any) => (c.device_class = "alarm"), /device_class: must be one of doorbell, button, motion/],
    ])("%s: %s", (component, spoil, message) => {
        const base: any = component === "lock" ? lock() : configs().find(c => c.where?.component === component)!.config
        spoil(base)
        for (const k of Object.keys(base)) if (base[k] === undefined) delete base[k]
        expect(haConfigProblems(component, base).join("\n")).toMatch(message)
    })

    it("parses discovery topics as Home Assistant's TOPIC_MATCHER does", () => {
        expect(parseDiscoveryTopic("homeassistant", "homeassistant/lock/latchkey_1/lock/config")).toEqual({ component: "lock", nodeId: "latchkey_1", objectId: "lock" })
        expect(parseDiscoveryTopic("homeassistant", "homeassistant/lock/latch.key/lock/config")).toBeNull()
        expect(parseDiscoveryTopic("homeassistant", "homeassistant/lock/x/lock/state")).toBeNull()
    })
})
