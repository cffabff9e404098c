/**
 * The lock on the network: its link to the broker (./link.ts) and what goes over it.
 *
 * - Retained on each connection: "online", the Home Assistant discovery configs
 *   (src/core/homeassistant.ts; published empty when discovery or state publishing is off, which
 *   removes them), and the state document (src/core/lockreport.ts).
 * - The state document again whenever it changes: a fiber of the link's own compares the lock's
 *   status with what it last published, every STATE_POLL_MS. The lock's queue never calls the
 *   network.
 * - Alarms on the events topic: the queue notes them (./../alarm-listeners.ts) into a ring of
 *   MAX_PENDING_EVENTS; the oldest is dropped when it is full; kept across a short outage.
 * - With `network.publishState` off: no state, no events, no discovery (the retained state a
 *   broker kept from before is cleared): the broker learns that the lock is online, and nothing
 *   of its door.
 * - With `network.homeAssistant.allowLock`: a LOCK on the command topic locks (as a remote lock:
 *   refused in setup mode, NoRemoteLockUnlock and Passage), at most one per LOCK_MIN_GAP_MS and
 *   not when already locked. Nothing else on that topic is ever obeyed: an unlock needs a
 *   companion key.
 * - Every payload on the request topic goes to the same protocol 2 frame handler the Jacdac
 *   service uses (../lock.ts runRemoteFrame: the companion channel's own throttle, never the
 *   keypad's counter); its answer, the same bytes the bus would carry, goes out on the answer
 *   topic. Enrolment is a Jacdac service command only (the new key would cross the broker in the
 *   clear): no frame reaches it.
 * - The lock id in the topics is the id of the device that serves the lock's Jacdac service
 *   (`ds.deviceIdentifier("server")`): the id the companion's key file names the lock by.
 */
import * as ds from "@devicescript/core"
import { PROFILE } from "../../config/profile.g"
import { discoveryConfigs } from "../../core/homeassistant"
import { alarmEventJson, alarmPublished, StateDoc, stateDoc, stateDue, stateJson } from "../../core/lockreport"
import { LockTopics, lockTopics, topicLockId } from "../../core/topics"
import { listenToAlarms } from "../alarm-listeners"
import { hasDoorSensor } from "../door"
import { reportedLatchState } from "../latch-monitor"
import { currentStatus, post, runRemoteFrame } from "../lock"
import { brokerSettings } from "./broker-settings"
import { Link, startLink } from "./link"

const STATE_POLL_MS = 200
const MAX_PENDING_EVENTS = 8
const LOCK_MIN_GAP_MS = 2000

let link: Link = null
let lastDoc: StateDoc = null
let lastDocAt = 0
const pendingNames: string[] = []
const pendingAt: number[] = []
let lastLockAt = -LOCK_MIN_GAP_MS
let ignoredCommandAt = -60000

function noteAlarm(name: string) {
    if (!PROFILE.network.publishState || !alarmPublished(name)) return
    if (pendingNames.length >= MAX_PENDING_EVENTS) {
        pendingNames.shift()
        pendingAt.shift()
    }
    pendingNames.push(name)
    pendingAt.push(ds.millis())
}

function onCommand(text: string) {
    const now = ds.millis()
    if (text === "LOCK") {
        if (now - lastLockAt < LOCK_MIN_GAP_MS || currentStatus().locked) return
        lastLockAt = now
        console.log("net: LOCK from the broker (Home Assistant)")
        post({ type: "remote", op: "lock", slot: 0 })
    } else if (now - ignoredCommandAt >= 60000) {
        ignoredCommandAt = now
        console.log("net: command ignored: only LOCK is obeyed from the broker (an unlock needs a companion key)")
    }
}

async function onConnected(topics: LockTopics, lockId: string) {
    const ha = PROFILE.network.homeAssistant
    const configs = discoveryConfigs({
        lockId: lockId,
        name: PROFILE.name,
        topics: topics,
        discoveryPrefix: ha.discoveryPrefix,
        enabled: ha.discovery && PROFILE.network.publishState,
        hasDoor: hasDoorSensor(),
    })
    // one config per turn: the keypad's fiber runs between them, not after all of them
    for (const c of configs) {
        await ds.sleep(0)
        await link.publish(c.topic, c.payload, true)
    }
    // the state is published again (retained) on every connection
    lastDoc = null
    if (!PROFILE.network.publishState) await link.publish(topics.state, "", true)
}

/** Publishes what changed; runs for ever in its own fiber. */
async function publishLoop(topics: LockTopics) {
    for (;;) {
        await ds.sleep(STATE_POLL_MS)
        if (!link.connected() || !PROFILE.network.publishState) continue
        const now = ds.millis()
        const status = currentStatus()
        const doc = stateDoc(status, reportedLatchState(status.locked))
        if (stateDue(lastDoc, lastDocAt, doc, now)) {
            if (await link.publish(topics.state, stateJson(doc), true)) {
                lastDoc = doc
                lastDocAt = now
            }
        }
        while (pendingNames.length > 0 && link.connected()) {
            const json = alarmEventJson(pendingNames[0], now - pendingAt[0])
            if (json !== null && !(await link.publish(topics.events, json, false))) break
            pendingNames.shift()
            pendingAt.shift()
        }
    }
}

/** Starts the link (in fibers of its own) and returns at once. */
export function startNetwork() {
    const lockId = topicLockId(ds.deviceIdentifier("server"))
    if (lockId === null) {
        console.log("net: this device's id is not 16 hex digits: no network link")
        return
    }
    const topics = lockTopics(PROFILE.network.topicPrefix, lockId)
    const allowLock = PROFILE.network.homeAssistant.allowLock
    console.log(`net: lock id ${lockId}, topics ${PROFILE.network.topicPrefix}/${lockId}/`)
    listenToAlarms(noteAlarm)
    link = startLink({
        broker: brokerSettings,
        clientId: "latchkey_" + lockId,
        availabilityTopic: topics.availability,
        requestTopic: topics.req,
        answerTopic: topics.ans,
        commandTopic: allowLock ? topics.command : undefined,
        onCommand: allowLock ? onCommand : undefined,
        onRequest: runRemoteFrame,
        onConnected: async () => await onConnected(topics, lockId),
    })
    publishLoop.start(topics)
}
