/**
 * A stranger floods the lock's request and command topics (random payloads, 100 a second: requests
 * of 200 to 512 bytes, commands of 1 to 600; through Debian's mosquitto) WHILE the keypad is used:
 * the real networked firmware in the VM. The link used to hand requests of up to 512 bytes to the frame handler, which copies a
 * frame into arrays of numbers (8 bytes each): with the heap fragmented by the flood's socket
 * pieces and the keypad's unlocks, one such request asked for a single 4 KB block that was not
 * there ("devs: OOM (4212 bytes)" at parseFrame, 25 KB free in all), and the VM panicked and
 * restarted, losing the typed code. Now the link drops any request larger than the largest
 * companion frame (236 bytes) unread: no panic, no restart, and the right code opens the latch
 * every time. Outcomes only: no timing is asserted.
 */
import { randomBytes } from "node:crypto"
import mqtt from "mqtt"
import { describe, expect, it } from "vitest"
import { lockTopics } from "../../src/core/topics"
import { mosquittoMissing, startMosquitto } from "../../bench/lib/brokers"
import { brokerWithLock, NET_PROFILE } from "../support/net-lock"
import { attempt, MASTER, sleep } from "../scenario/helpers"

const missing = mosquittoMissing()
const suite = missing ? describe.skip : describe

/** Payloads a second on the lock's topics (half on the request topic, half on the command topic). */
const FLOOD_RATE = 100
const UNLOCKS = 80

const crashes = (logs: string[]) => logs.filter(l => /PANIC|OutOfMemory|InfiniteLoop|stop program|lock: ready/.test(l))

suite(`a flood on the broker while the keypad is used (mosquitto)${missing ? ` [skipped: ${missing}]` : ""}`, () => {
    const net = brokerWithLock(startMosquitto)

    it(`${FLOOD_RATE} random payloads a second on the request and command topics: no panic, no restart, the keypad opens every time`, async () => {
        const { broker, lock } = net
        const topics = lockTopics(NET_PROFILE.network.topicPrefix, lock.lockId)
        const board = lock.board
        const mark = board.logs.length
        const flooder = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, clientId: "stranger_flood" })
        let sent = 0
        let flooding = true
        const flood = (async () => {
            const batch = Math.max(1, Math.round(FLOOD_RATE / 20))
            while (flooding) {
                for (let i = 0; i < batch; i++) {
                    // requests of 200 to 512 B (as large as the link used to take), commands of 1 to 600 B
                    const req = sent % 2 === 0
                    const size = req ? 200 + Math.floor(Math.random() * 313) : 1 + Math.floor(Math.random() * 600)
                    flooder.publish(req ? topics.req : topics.command, randomBytes(size), { qos: 0 })
                    sent++
                }
                await sleep(50)
            }
        })()
        const answers: string[] = []
        try {
            for (let i = 0; i < UNLOCKS; i++) {
                answers.push(await attempt(board, MASTER))
                if (crashes(board.logs.slice(mark)).length > 0) break
                await board.waitUntil(() => board.isUnlocked(), "the keypad's unlock")
            }
        } finally {
            flooding = false
            await flood
            await flooder.endAsync(true)
        }
        expect(crashes(board.logs.slice(mark))).toEqual([])
        expect(answers).toEqual(Array(UNLOCKS).fill("success"))
        // the flood reached the lock the whole time
        expect(sent).toBeGreaterThan(UNLOCKS * 20)
    }, 120000)
})
