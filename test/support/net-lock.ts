/**
 * A lock on a broker, for the companion's MQTT tests: bench/lib/net-lock.ts's lock (the real test
 * firmware with the link in the in-process VM, pointed at the broker, set up, one companion key
 * enrolled over the bus in a key file of its own), set up with the scenario tests' master code.
 */
import { afterAll, beforeAll } from "vitest"
import type { TestBroker } from "../../bench/lib/brokers"
import { enrolledLockOn, type BrokerAddress, type NetImage, type NetLock } from "../../bench/lib/net-lock"
import { MASTER } from "../scenario/helpers"

export { NET_PROFILE, type NetImage, type NetLock } from "../../bench/lib/net-lock"

/**
 * Powers a lock on, points it at `broker` (with the broker's own user name and password, if it
 * has them), sets it up and enrols a companion; resolves once the lock is online on the broker.
 * `deviceId` (16 hex digits) gives a second lock an id of its own; `image`, another firmware.
 */
export function lockOnBroker(broker: BrokerAddress, deviceId?: string, image?: NetImage): Promise<NetLock> {
    return enrolledLockOn(broker, { deviceId, image, master: MASTER })
}

/**
 * For the suite it is called in: before its tests, a broker from `start` and one lock on it
 * (lockOnBroker); after them, both stopped. The tests read `.broker` and `.lock`, set by then.
 */
export function brokerWithLock(start: () => Promise<TestBroker>): { broker: TestBroker; lock: NetLock } {
    const net = {} as { broker: TestBroker; lock: NetLock }
    beforeAll(async () => {
        net.broker = await start()
        net.lock = await lockOnBroker(net.broker)
    }, 90000)
    afterAll(async () => {
        await net.lock?.board.dispose()
        await net.broker?.stop()
    })
    return net
}
