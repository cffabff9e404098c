/**
 * A lock on a broker, for the MQTT benches and tests: the real test firmware with the link
 * (build/firmware-net.devs) in the in-process VM, pointed at a broker through its MQTT_* settings
 * (as a deploy writes them from `.env.local`), set up with a master code, with one companion key
 * enrolled over the bus (enrolment never crosses a broker) in a key file of its own.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { enrol, KeyStore } from "../../companion/protocol"
import { settingValue, writeDeviceSettings } from "../../host/device-settings"
import { LatchkeyClient } from "../../host/lock-client"
import { ROOT } from "../../host/paths"
import { loadProfile } from "../../host/profile-io"
import { SimulatedBoard } from "../../sim/board"
import { InProcessDevice } from "../../sim/devices/device"
import { lockIdOf } from "../../sim/lock-id"
import type { CompanionKey } from "../../companion/keyfile"
import type { Profile } from "../../src/config/types"
import { MASTER } from "./board"
import { HOST, type TestBroker } from "./brokers"

/** The networked test image, and the profile it was built from (scripts/build.ts: fast timings with the network on). */
export const NET_FIRMWARE = "firmware-net"
export const NET_PROFILE = loadProfile([join(ROOT, "test", "fixtures", "fast-timing.json"), join(ROOT, "test", "fixtures", "network.json")])

/** Another networked image and the profile it was built from (default NET_FIRMWARE, NET_PROFILE). */
export interface NetImage {
    firmware: string
    profile: Profile
    /** Runs once the lock's id is known, before the lock is pointed at the broker. */
    beforeConnect?: (lockId: string) => Promise<void>
}

export interface NetLock {
    board: SimulatedBoard
    /** The id the key file and the topics name it by. */
    lockId: string
    /** A key file holding one enrolled companion key for it. */
    store: KeyStore
    rec: CompanionKey
}

/** The part of a broker a lock is pointed at. */
export type BrokerAddress = Pick<TestBroker, "port" | "username" | "password">

/** Writes the lock's MQTT_* settings for `broker`: host and port, and its user name and password if it has them. */
export async function pointAtBroker(board: SimulatedBoard, deviceId: string, broker: BrokerAddress): Promise<void> {
    const settings: [string, string | number][] = [["MQTT_HOST", HOST], ["MQTT_PORT", broker.port]]
    if (broker.username !== undefined) settings.push(["MQTT_USER", broker.username], ["MQTT_PASS", broker.password ?? ""])
    await writeDeviceSettings(board.bus, deviceId, new Map(settings.map(([k, v]) => [k, settingValue(v)])))
}

export interface NetLockOptions {
    /** 16 hex digits: gives a second lock an id of its own. */
    deviceId?: string
    /** Another firmware than NET_FIRMWARE. */
    image?: NetImage
    /** The master code set up at the keypad (default MASTER of bench/lib/board.ts). */
    master?: string
    /** How long each setup step may take (default 3000 ms). */
    setupMs?: number
}

/**
 * Powers a lock on, points it at `broker`, sets it up and enrols a companion into a fresh key
 * file; resolves once the lock is online on the broker.
 */
export async function enrolledLockOn(broker: BrokerAddress, o: NetLockOptions = {}): Promise<NetLock> {
    const device = new InProcessDevice(o.deviceId)
    const board = new SimulatedBoard({ profile: o.image?.profile ?? NET_PROFILE, firmware: o.image?.firmware ?? NET_FIRMWARE, echo: !!process.env.LATCHKEY_ECHO, device })
    await board.powerOn()
    await o.image?.beforeConnect?.(lockIdOf(board))
    const mark = board.logs.length
    await pointAtBroker(board, device.deviceId, broker)
    await board.setUpMaster(o.master ?? MASTER, o.setupMs ?? 3000)
    const client = new LatchkeyClient(board.bus)
    const store = new KeyStore(join(mkdtempSync(join(tmpdir(), "latchkey-keys-")), "keys.json"))
    await board.pressProgramButton()
    const rec = await enrol(client, store)
    await board.waitForLog(/net: connected to/, 20000, mark)
    return { board, lockId: lockIdOf(board), store, rec }
}
