/**
 * A lock on a broker, for the companion's MQTT tests: the real test firmware with the link
 * (build/firmware-net.devs) in the in-process VM, pointed at `broker` through its MQTT_* settings
 * (as a deploy writes them from `.env.local`), set up with the master code, with one companion
 * key enrolled over the bus (enrolment never crosses a broker) in a key file of its own.
 */
import { join } from "node:path"
import { enrol, KeyStore } from "../../companion/protocol"
import { settingValue, writeDeviceSettings } from "../../host/device-settings"
import { LatchkeyClient } from "../../host/lock-client"
import { ROOT } from "../../host/paths"
import { loadProfile } from "../../host/profile-io"
import { SimulatedBoard } from "../../sim/board"
import { InProcessDevice } from "../../sim/devices/device"
import type { CompanionKey } from "../../companion/keyfile"
import type { Profile } from "../../src/config/types"
import { HOST, TestBroker } from "../../bench/lib/brokers"
import { lockIdOf } from "../../sim/lock-id"
import { MASTER, tmpStore } from "../scenario/helpers"

/** The profile build/firmware-net.devs was built from. */
export const NET_PROFILE = loadProfile([join(ROOT, "test", "fixtures", "fast-timing.json"), join(ROOT, "test", "fixtures", "network.json")])

/** Another networked image and the profile it was built from (default firmware-net, NET_PROFILE). */
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

/**
 * Powers a lock on, points it at `broker` (with the broker's own user name and password, if it
 * has them), sets it up and enrols a companion; resolves once the lock is online on the broker.
 * `deviceId` (16 hex digits) gives a second lock an id of its own; `image`, another firmware.
 */
export async function lockOnBroker(broker: Pick<TestBroker, "port" | "username" | "password">, deviceId?: string, image?: NetImage): Promise<NetLock> {
    const device = new InProcessDevice(deviceId)
    const board = new SimulatedBoard({ profile: image?.profile ?? NET_PROFILE, firmware: image?.firmware ?? "firmware-net", echo: !!process.env.LATCHKEY_ECHO, device })
    await board.powerOn()
    await image?.beforeConnect?.(lockIdOf(board))
    const mark = board.logs.length
    const settings: [string, string | number][] = [["MQTT_HOST", HOST], ["MQTT_PORT", broker.port]]
    if (broker.username !== undefined) settings.push(["MQTT_USER", broker.username], ["MQTT_PASS", broker.password ?? ""])
    await writeDeviceSettings(board.bus, device.deviceId!, new Map(settings.map(([k, v]) => [k, settingValue(v)])))
    await board.setUpMaster(MASTER, 3000)
    const client = new LatchkeyClient(board.bus)
    const store = tmpStore()
    await board.pressProgramButton()
    const rec = await enrol(client, store)
    await board.waitForLog(/net: connected to/, 20000, mark)
    return { board, lockId: lockIdOf(board), store, rec }
}
