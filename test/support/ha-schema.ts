/**
 * Home Assistant's MQTT discovery schemas for the four components the lock announces (lock,
 * sensor, binary_sensor, event), as rules a test can check a config against. Encoded from Home
 * Assistant core's own source (homeassistant/components/mqtt/: config.py MQTT_BASE_SCHEMA,
 * MQTT_RO_SCHEMA, MQTT_RW_SCHEMA; schemas.py MQTT_AVAILABILITY_SCHEMA, MQTT_ENTITY_COMMON_SCHEMA,
 * MQTT_ENTITY_DEVICE_INFO_SCHEMA, MQTT_ORIGIN_INFO_SCHEMA; util.py valid_topic,
 * valid_subscribe_topic, valid_publish_topic; lock.py, sensor.py with
 * validate_sensor_state_and_device_class_config, binary_sensor.py, event.py; discovery.py
 * TOPIC_MATCHER; sensor/const.py SensorDeviceClass, SensorStateClass, DEVICE_CLASS_UNITS,
 * DEVICE_CLASS_STATE_CLASSES; binary_sensor and event device classes; EntityCategory).
 *
 * Home Assistant's discovery schemas drop unknown keys silently (vol.REMOVE_EXTRA): here an
 * unknown key is a problem, since it would be a setting Home Assistant never applies.
 */

type Json = { [key: string]: unknown }
type Rule = (v: unknown) => string | null

const isStr = (v: unknown): v is string => typeof v === "string"

function str(v: unknown): string | null {
    return isStr(v) ? null : "must be a string"
}
function strOrNull(v: unknown): string | null {
    return v === null || isStr(v) ? null : "must be a string or null"
}
function bool(v: unknown): string | null {
    return typeof v === "boolean" ? null : "must be a boolean"
}
function positiveInt(v: unknown): string | null {
    return typeof v === "number" && Number.isInteger(v) && v >= 0 ? null : "must be a positive integer (cv.positive_int)"
}
function oneOf(values: readonly string[]): Rule {
    return v => (isStr(v) && values.includes(v) ? null : `must be one of ${values.join(", ")}`)
}
function listOfStrings(v: unknown): string | null {
    const list = Array.isArray(v) ? v : [v]
    return list.every(isStr) ? null : "must be a list of strings"
}

/** util.py valid_topic: a non-empty UTF-8 string of at most 65535 bytes, no NUL or control characters. */
function validTopic(v: unknown): string | null {
    if (!isStr(v)) return "must be a string"
    const bytes = Buffer.byteLength(v, "utf8")
    if (bytes === 0) return "MQTT topic name/filter must not be empty"
    if (bytes > 65535) return "MQTT topic name/filter must not be longer than 65535 encoded bytes"
    for (const ch of v) {
        const c = ch.codePointAt(0)!
        if (c <= 0x1f) return "MQTT topic name/filter must not contain control characters"
        if (c >= 0x7f && c <= 0x9f) return "MQTT topic name/filter must not contain control characters"
        if (c >= 0xfdd0 && c <= 0xfdef) return "MQTT topic name/filter must not contain non-characters"
        if ((c & 0xffff) === 0xfffe || (c & 0xffff) === 0xffff) return "MQTT topic name/filter must not contain non-characters"
    }
    return null
}

/** util.py valid_subscribe_topic: "+" a whole level, "#" last and after a "/". */
export function validSubscribeTopic(v: unknown): string | null {
    const base = validTopic(v)
    if (base) return base
    const t = v as string
    for (let i = 0; i < t.length; i++)
        if (t[i] === "+" && ((i > 0 && t[i - 1] !== "/") || (i < t.length - 1 && t[i + 1] !== "/")))
            return "Single-level wildcard must occupy an entire level of the filter"
    const index = t.indexOf("#")
    if (index !== -1) {
        if (index !== t.length - 1) return "Multi-level wildcard must be the last character in the topic filter."
        if (t.length > 1 && t[index - 1] !== "/") return "Multi-level wildcard must be after a topic level separator."
    }
    return null
}

/** util.py valid_publish_topic: no wildcard at all. */
export function validPublishTopic(v: unknown): string | null {
    const base = validTopic(v)
    if (base) return base
    return (v as string).includes("+") || (v as string).includes("#") ? "Wildcards cannot be used in topic names" : null
}

/** cv.icon: "prefix:name". */
function icon(v: unknown): string | null {
    return isStr(v) && /^[^:\s]+:[^:\s]+$/.test(v) ? null : 'must be an icon "prefix:name" (cv.icon)'
}
/** cv.template: any string (rendering is Home Assistant's business). */
const template = str
/** cv.is_regex */
function regex(v: unknown): string | null {
    if (!isStr(v)) return "must be a regular expression (a string)"
    try {
        new RegExp(v)
        return null
    } catch {
        return "must be a valid regular expression"
    }
}
function qos(v: unknown): string | null {
    return v === 0 || v === 1 || v === 2 || v === "0" || v === "1" || v === "2" ? null : "must be a QoS: 0, 1 or 2"
}

/** schemas.py MQTT_ENTITY_DEVICE_INFO_SCHEMA (with validate_device_has_at_least_one_identifier). */
function deviceInfo(v: unknown): string | null {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return "must be an object"
    const d = v as Json
    const rules: { [k: string]: Rule } = {
        identifiers: listOfStrings,
        connections: x => (Array.isArray(x) && x.every(p => Array.isArray(p) && p.length === 2 && p.every(isStr)) ? null : "must be a list of [type, id] pairs"),
        manufacturer: str,
        model: str,
        model_id: str,
        name: str,
        hw_version: str,
        serial_number: str,
        sw_version: str,
        via_device: str,
        suggested_area: str,
        configuration_url: str,
    }
    for (const k of Object.keys(d)) {
        if (!rules[k]) return `has an unknown key "${k}"`
        const why = rules[k](d[k])
        if (why) return `${k} ${why}`
    }
    const ids = d.identifiers === undefined ? [] : Array.isArray(d.identifiers) ? d.identifiers : [d.identifiers]
    const conns = Array.isArray(d.connections) ? d.connections : []
    if (ids.length === 0 && conns.length === 0) return "Device must have at least one identifying value in 'identifiers' and/or 'connections'"
    return null
}

/** schemas.py MQTT_ORIGIN_INFO_SCHEMA: name required. */
function originInfo(v: unknown): string | null {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return "must be an object"
    const o = v as Json
    if (!isStr(o.name)) return "name is required (a string)"
    for (const k of Object.keys(o)) if (!["name", "sw_version", "support_url"].includes(k)) return `has an unknown key "${k}"`
    return null
}

/** config.py SCHEMA_BASE */
const BASE: { [k: string]: Rule } = { qos, encoding: str, group: listOfStrings }

/** schemas.py MQTT_AVAILABILITY_SCHEMA + MQTT_ENTITY_COMMON_SCHEMA */
const COMMON: { [k: string]: Rule } = {
    availability_topic: validSubscribeTopic,
    availability_template: template,
    payload_available: str,
    payload_not_available: str,
    availability_mode: oneOf(["all", "any", "latest"]),
    availability: v => (Array.isArray(v) && v.every(a => typeof a === "object" && a !== null && validSubscribeTopic((a as Json).topic) === null) ? null : "must be a list of {topic, ...}"),
    device: deviceInfo,
    origin: originInfo,
    enabled_by_default: bool,
    entity_category: oneOf(["config", "diagnostic"]),
    icon,
    json_attributes_topic: validSubscribeTopic,
    json_attributes_template: template,
    object_id: str,
    default_entity_id: str,
    unique_id: str,
}

/** config.py MQTT_RO_SCHEMA (state_topic required) */
const RO: { [k: string]: Rule } = { ...BASE, state_topic: validSubscribeTopic, value_template: template }
/** config.py MQTT_RW_SCHEMA (command_topic required) */
const RW: { [k: string]: Rule } = { ...BASE, command_topic: validPublishTopic, optimistic: bool, retain: bool, state_topic: validSubscribeTopic }

export const SENSOR_DEVICE_CLASSES = [
    "date", "enum", "timestamp", "apparent_power", "aqi", "area", "atmospheric_pressure", "battery", "blood_glucose_concentration",
    "carbon_monoxide", "carbon_dioxide", "conductivity", "current", "data_rate", "data_size", "distance", "duration", "energy",
    "energy_distance", "energy_storage", "frequency", "gas", "humidity", "illuminance", "irradiance", "moisture", "monetary",
    "nitrogen_dioxide", "nitrogen_monoxide", "nitrous_oxide", "ozone", "ph", "pm1", "pm10", "pm25", "power_factor", "power",
    "precipitation", "precipitation_intensity", "pressure", "reactive_power", "signal_strength", "sound_pressure", "speed",
    "sulphur_dioxide", "temperature", "volatile_organic_compounds", "volatile_organic_compounds_parts", "voltage", "volume",
    "volume_storage", "volume_flow_rate", "water", "weight", "wind_direction", "wind_speed",
] as const
export const SENSOR_STATE_CLASSES = ["measurement", "measurement_angle", "total", "total_increasing"] as const
/** sensor/const.py DEVICE_CLASS_UNITS and DEVICE_CLASS_STATE_CLASSES, for the classes a lock uses. */
const DURATION_UNITS = ["d", "h", "min", "s", "ms", "µs"]
const NON_NUMERIC = ["date", "enum", "timestamp"]
export const BINARY_SENSOR_DEVICE_CLASSES = [
    "battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door", "garage_door", "gas", "heat", "light", "lock",
    "moisture", "motion", "moving", "occupancy", "opening", "plug", "power", "presence", "problem", "running", "safety", "smoke",
    "sound", "tamper", "update", "vibration", "window",
] as const
export const EVENT_DEVICE_CLASSES = ["doorbell", "button", "motion"] as const
/** lock.py: the lock's state values (the state_* options) Home Assistant reads by default. */
export const LOCK_STATES_DEFAULT = { state_locked: "LOCKED", state_unlocked: "UNLOCKED", state_locking: "LOCKING", state_unlocking: "UNLOCKING", state_jammed: "JAMMED", state_open: "OPEN", state_opening: "OPENING" }

const SCHEMAS: { [component: string]: { rules: { [k: string]: Rule }; required: string[] } } = {
    lock: {
        rules: {
            ...RW,
            ...COMMON,
            code_format: regex,
            command_template: template,
            name: strOrNull,
            payload_lock: str,
            payload_unlock: str,
            payload_open: str,
            payload_reset: str,
            state_jammed: str,
            state_locked: str,
            state_locking: str,
            state_open: str,
            state_opening: str,
            state_unlocked: str,
            state_unlocking: str,
            value_template: template,
        },
        required: ["command_topic"],
    },
    sensor: {
        rules: {
            ...RO,
            ...COMMON,
            device_class: v => (v === null ? null : oneOf(SENSOR_DEVICE_CLASSES)(v)),
            expire_after: positiveInt,
            force_update: bool,
            last_reset_value_template: template,
            name: strOrNull,
            options: v => (v === undefined ? null : listOfStrings(v)),
            suggested_display_precision: positiveInt,
            state_class: v => (v === null ? null : oneOf(SENSOR_STATE_CLASSES)(v)),
            unit_of_measurement: strOrNull,
        },
        required: ["state_topic"],
    },
    binary_sensor: {
        rules: {
            ...RO,
            ...COMMON,
            device_class: v => (v === null ? null : oneOf(BINARY_SENSOR_DEVICE_CLASSES)(v)),
            expire_after: positiveInt,
            force_update: bool,
            name: strOrNull,
            off_delay: positiveInt,
            payload_off: str,
            payload_on: str,
        },
        required: ["state_topic"],
    },
    event: {
        rules: {
            ...RO,
            ...COMMON,
            device_class: oneOf(EVENT_DEVICE_CLASSES),
            name: strOrNull,
            event_types: listOfStrings,
        },
        required: ["state_topic", "event_types"],
    },
}

/** sensor.py validate_sensor_state_and_device_class_config, and the unit and state class rules of sensor/const.py. */
function sensorProblems(c: Json): string[] {
    const out: string[] = []
    if ("last_reset_value_template" in c && c.state_class !== "total")
        out.push(`The option \`last_reset_value_template\` cannot be used together with state class \`${String(c.state_class)}\``)
    if (c.options !== undefined && c.options !== null) {
        const options = Array.isArray(c.options) ? c.options : [c.options]
        if (options.length === 0) out.push("An empty options list is not allowed")
        if (c.state_class || c.unit_of_measurement) out.push("Specifying `options` is not allowed together with the `state_class` or `unit_of_measurement` option")
        if (c.device_class !== "enum") out.push(`The option \`options\` must be used together with device class \`enum\`, got \`device_class\` '${String(c.device_class)}'`)
    }
    if (c.device_class === "duration" && !DURATION_UNITS.includes(String(c.unit_of_measurement)))
        out.push(`device class duration needs a unit of ${DURATION_UNITS.join(", ")} (got ${String(c.unit_of_measurement)})`)
    if (isStr(c.device_class) && NON_NUMERIC.includes(c.device_class) && c.state_class) out.push(`device class ${c.device_class} takes no state class`)
    if (c.device_class === "enum" && c.unit_of_measurement) out.push("device class enum takes no unit")
    return out
}

/** Every problem Home Assistant (or the rules above) would find in a `component` discovery config. */
export function haConfigProblems(component: string, config: unknown): string[] {
    const schema = SCHEMAS[component]
    if (!schema) return [`"${component}" is not a component checked here`]
    if (typeof config !== "object" || config === null || Array.isArray(config)) return ["the config must be a JSON object"]
    const c = config as Json
    const out: string[] = []
    for (const k of schema.required) if (c[k] === undefined) out.push(`required key not provided: ${k}`)
    if (c.availability !== undefined && c.availability_topic !== undefined) out.push("availability and availability_topic are exclusive")
    for (const k of Object.keys(c)) {
        const rule = schema.rules[k]
        if (!rule) {
            out.push(`unknown key "${k}" (Home Assistant would drop it)`)
            continue
        }
        const why = rule(c[k])
        if (why) out.push(`${k}: ${why}`)
    }
    if (component === "sensor") out.push(...sensorProblems(c))
    return out
}

/** discovery.py TOPIC_MATCHER, under `prefix`: `<prefix>/<component>/[<node_id>/]<object_id>/config`. */
export function parseDiscoveryTopic(prefix: string, topic: string): { component: string; nodeId?: string; objectId: string } | null {
    if (!topic.startsWith(prefix + "/")) return null
    const m = /^(?<component>\w+)\/(?:(?<node_id>[a-zA-Z0-9_-]+)\/)?(?<object_id>[a-zA-Z0-9_-]+)\/config$/.exec(topic.slice(prefix.length + 1))
    if (!m?.groups) return null
    return { component: m.groups.component, nodeId: m.groups.node_id, objectId: m.groups.object_id }
}
