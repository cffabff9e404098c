/**
 * Home Assistant MQTT discovery for one lock: one device, and its entities' configs (retained, at
 * `<discoveryPrefix>/<component>/latchkey_<lock id>/<object>/config`). Pure: the firmware
 * publishes what this returns, and the tests check it against Home Assistant's own schemas.
 *
 * Entities (all reading the state document of ./lockreport.ts, all with the availability topic):
 *   lock           LOCKED, UNLOCKED, LOCKING, UNLOCKING, JAMMED. Home Assistant requires a command
 *                  topic; the lock obeys only LOCK there, and only with `allowLock`. No UNLOCK is
 *                  ever obeyed from the broker (an unlock needs a companion key), no OPEN is
 *                  offered, and no code_format is set: it would make Home Assistant send a code
 *                  through the broker.
 *   failures       consecutive failed keypad attempts (sensor).
 *   lockout        seconds left in the keypad lockout (sensor, duration).
 *   mode           the operating mode (sensor, enum).
 *   door           open / closed (binary_sensor, door), only where a door sensor is fitted.
 *   alarm          the alarms of lockreport.ts PUBLISHED_ALARMS (event).
 * A config this lock does not want (no door sensor; discovery or state publishing off) is
 * published empty, which removes the entity an earlier config may have made.
 */
import { AVAILABLE, LockTopics, UNAVAILABLE } from "./topics"
import { MODE_COUNT, modeName } from "./modes"
import { PUBLISHED_ALARMS } from "./lockreport"

export interface DiscoveryOptions {
    /** The lock id of the topics (topics.ts topicLockId). */
    lockId: string
    /** The device's name in Home Assistant (devs.json `name`). */
    name: string
    topics: LockTopics
    discoveryPrefix: string
    /** Publish the configs (false: publish each one empty, removing the entities). */
    enabled: boolean
    hasDoor: boolean
}

/** One discovery message: a retained publish of `payload` ("" removes the entity) to `topic`. */
export interface DiscoveryConfig {
    topic: string
    payload: string
}

/** The node id of the lock in discovery topics, and the prefix of its entities' unique ids. */
export function discoveryNode(lockId: string): string {
    return "latchkey_" + lockId
}

/** The payloads the lock entity sends and the states it reads (Home Assistant's defaults, said explicitly). */
export const PAYLOAD_LOCK = "LOCK"
export const PAYLOAD_UNLOCK = "UNLOCK"

type Json = { [key: string]: any }

// Configs are parsed from JSON text and then given their lock's topics and names: DeviceScript
// compiles an object literal into function code (a few bytes a field, counted against the image's
// 64 KB of it) but keeps a string outside that limit. Fields left "" are set below, in place, so
// every config keeps the field order it is documented with.

/** What every entity of the lock shares; then its own fields (ENTITIES). */
const COMMON =
    '{"name":"","unique_id":"","availability_topic":"","payload_available":"","payload_not_available":"","qos":0,' +
    '"device":{"identifiers":[],"name":"","manufacturer":"Latchkey","model":"Keypad lock"},"origin":{"name":"Latchkey"}}'

/**
 * Each entity: component, object id, name (the door's is wanted only with a door sensor), and
 * its own fields; the fields left "" or [] are filled in by discoveryConfigs.
 */
const ENTITIES =
    '[["lock","lock","Lock",{"command_topic":"","state_topic":"","value_template":"{{ value_json.lock }}",' +
    '"payload_lock":"","payload_unlock":"","state_locked":"LOCKED","state_unlocked":"UNLOCKED",' +
    '"state_locking":"LOCKING","state_unlocking":"UNLOCKING","state_jammed":"JAMMED","optimistic":false,"retain":false}],' +
    '["sensor","failures","Failed attempts",{"state_topic":"","value_template":"{{ value_json.failures }}",' +
    '"state_class":"measurement","icon":"mdi:keyboard-off-outline"}],' +
    '["sensor","lockout","Keypad lockout",{"state_topic":"","value_template":"{{ value_json.lockout_s }}",' +
    '"device_class":"duration","unit_of_measurement":"s","state_class":"measurement"}],' +
    '["sensor","mode","Operating mode",{"state_topic":"","value_template":"{{ value_json.mode }}",' +
    '"device_class":"enum","options":[]}],' +
    // "unknown" (no reading yet) becomes Home Assistant's "None": the sensor reads unknown
    '["binary_sensor","door","Door",{"state_topic":"",' +
    '"value_template":"{{ value_json.door if value_json.door in [\'open\', \'closed\'] else \'None\' }}",' +
    '"payload_on":"open","payload_off":"closed","device_class":"door"}],' +
    '["event","alarm","Alarm",{"state_topic":"","event_types":[],"icon":"mdi:alarm-light-outline"}]]'

/** An entity's config: what every entity of the lock shares, then its own `fields`. */
function entity(o: DiscoveryOptions, object: string, name: string, fields: Json): Json {
    const out: any = JSON.parse(COMMON)
    out.name = name
    out.unique_id = discoveryNode(o.lockId) + "_" + object
    out.availability_topic = o.topics.availability
    out.payload_available = AVAILABLE
    out.payload_not_available = UNAVAILABLE
    out.device.identifiers = [discoveryNode(o.lockId)]
    out.device.name = o.name
    for (const k of Object.keys(fields)) out[k] = fields[k]
    return out
}

function modeNames(): string[] {
    const out: string[] = []
    for (let m = 0; m < MODE_COUNT; m++) out.push(modeName(m))
    return out
}

/** Every discovery config of the lock, in a fixed order (lock, failures, lockout, mode, door, alarm). */
export function discoveryConfigs(o: DiscoveryOptions): DiscoveryConfig[] {
    const node = discoveryNode(o.lockId)
    const out: DiscoveryConfig[] = []
    const entities: any[][] = JSON.parse(ENTITIES)
    for (const e of entities) {
        const component: string = e[0]
        const object: string = e[1]
        const fields: any = e[3]
        if (object === "lock") {
            fields.command_topic = o.topics.command
            fields.payload_lock = PAYLOAD_LOCK
            fields.payload_unlock = PAYLOAD_UNLOCK
        }
        fields.state_topic = object === "alarm" ? o.topics.events : o.topics.state
        if (object === "mode") fields.options = modeNames()
        if (object === "alarm") fields.event_types = PUBLISHED_ALARMS
        const wanted = object === "door" ? o.hasDoor : true
        out.push({
            topic: o.discoveryPrefix + "/" + component + "/" + node + "/" + object + "/config",
            payload: o.enabled && wanted ? JSON.stringify(entity(o, object, e[2], fields)) : "",
        })
    }
    return out
}
