/**
 * A stranger on the broker (anyone it lets publish) floods the lock's request topic with junk and
 * with well-formed command frames it cannot seal: the real firmware in the VM, through Debian's
 * mosquitto. The keypad is never locked out (the remote channel has its own throttle; the
 * keypad's counter is the keypad's), the right code opens at once afterwards, and the flood is
 * audited.
 */
import { randomBytes } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { LatchkeyClient } from "../../host/lock-client"
import { commandFrame, echoOf, FRAME_CLEAR, nonceRequest } from "../../src/core/frames"
import { lockTopics } from "../../src/core/topics"
import { mosquittoMissing, startMosquitto, TestBroker } from "../../bench/lib/brokers"
import { Watcher } from "../support/mqtt-watch"
import { lockOnBroker, NetLock, NET_PROFILE } from "../support/net-lock"
import { attempt, MASTER, sleep } from "../scenario/helpers"

const missing = mosquittoMissing()
const suite = missing ? describe.skip : describe

suite(`a stranger flooding the request topic (mosquitto)${missing ? ` [skipped: ${missing}]` : ""}`, () => {
    let broker: TestBroker
    let lock: NetLock
    let stranger: Watcher

    beforeAll(async () => {
        broker = await startMosquitto()
        lock = await lockOnBroker(broker)
        stranger = await Watcher.connect(broker, [`${NET_PROFILE.network.topicPrefix}/${lock.lockId}/ans`])
    }, 90000)
    afterAll(async () => {
        await stranger?.close().catch(() => {})
        await lock?.board.dispose()
        await broker?.stop()
    })

    it("never locks the keypad out: 60 junk and unsealed frames, then the right code opens at once; the flood is audited", async () => {
        const topics = lockTopics(NET_PROFILE.network.topicPrefix, lock.lockId)
        const client = new LatchkeyClient(lock.board.bus)
        const mark = lock.board.logs.length
        // a real challenge for the companion's own key id, and for an id that does not exist
        const challenges: Buffer[] = []
        for (const keyId of [lock.rec.keyId, 200]) {
            const from = stranger.seen.length
            await stranger.publish(topics.req, Buffer.from(nonceRequest(keyId)))
            challenges.push((await stranger.waitFor(m => m.payload.length === 27, "a challenge", 5000, from)).payload.subarray(2, 26))
        }
        const from = stranger.seen.length
        const echoes = new Set<string>()
        for (let i = 0; i < 60; i++) {
            const frame =
                i % 3 === 0
                    ? randomBytes(1 + (i % 40))
                    : Buffer.from(commandFrame(i % 3 === 1 ? lock.rec.keyId : 200, challenges[i % 2], randomBytes(16 + (i % 20))))
            echoes.add(Buffer.from(echoOf(frame)).toString("hex"))
            await stranger.publish(topics.req, frame)
            // each one reaches the lock (the link handles one request at a time; a few wait, the rest are dropped)
            await sleep(40)
        }
        await sleep(500)
        const answers = stranger.seen.slice(from)
        expect(answers.length).toBeGreaterThan(20)
        // every answer is a clear status and the echo of a request the stranger sent: nothing sealed,
        // nothing from the lock that names a key id or a counter
        for (const a of answers) {
            expect(a.payload[1]).toBe(FRAME_CLEAR)
            expect(echoes.has(Buffer.from(a.payload.subarray(3)).toString("hex"))).toBe(true)
        }
        const s = await client.status()
        expect(s.failureCount).toBe(0)
        expect(s.lockoutRemainingMs).toBe(0)
        expect(await attempt(lock.board, MASTER)).toBe("success")
        await lock.board.waitUntil(() => lock.board.isUnlocked(), "the keypad's unlock")
        const line = await lock.board.waitForLog(/lock: flood: (\d+) frame\(s\) to the lock refused/, 10000, mark)
        expect(Number(/flood: (\d+)/.exec(line)![1])).toBeGreaterThanOrEqual(20)
    }, 90000)
})
