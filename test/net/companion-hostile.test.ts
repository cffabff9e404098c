/**
 * The broker as attacker (test/support/hostile-broker.ts): it records, replays, reorders, drops
 * and forges what crosses it, answers and retained state included, between the companion CLI (a
 * process of its own) and the real firmware in the VM. Nothing opens that the owner did not ask
 * for, and the CLI says what happened and never reports a change it cannot prove.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { echoOf, FRAME_COMMAND, FRAME_SEALED } from "../../src/core/frames"
import { LockTopics, lockTopics } from "../../src/core/topics"
import { HostileBroker, isLockClient } from "../support/hostile-broker"
import { lockOnBroker, NetLock, NET_PROFILE } from "../support/net-lock"
import { latchkey } from "../scenario/cli-run"
import { sleep } from "../scenario/helpers"

describe("the broker as attacker", () => {
    let broker: HostileBroker
    let lock: NetLock
    let topics: LockTopics
    const run = (...args: string[]) => latchkey(["--mqtt", broker.url, "--keys", lock.store.path, ...args])
    const heldKey = () => {
        const r = lock.store.get(lock.lockId)
        return r ? { keyId: r.keyId, key: r.key } : null
    }
    const isCommand = (topic: string, p: Buffer) => topic === topics.req && p[1] === FRAME_COMMAND
    const lockAnswers = () => broker.heard.filter(h => h.topic === topics.ans && h.from !== null && isLockClient(h.from))
    const stillLocked = async (ms = 1500) => {
        const until = Date.now() + ms
        while (Date.now() < until) {
            expect(lock.board.isLocked()).toBe(true)
            await sleep(100)
        }
    }

    beforeAll(async () => {
        broker = await HostileBroker.start()
        lock = await lockOnBroker(broker)
        topics = lockTopics(NET_PROFILE.network.topicPrefix, lock.lockId)
    }, 90000)
    afterEach(() => {
        broker.deliver = () => true
        broker.onPublish = () => {}
    })
    afterAll(async () => {
        await lock?.board.dispose()
        await broker?.stop()
    })

    it("a forged bare Ok to lost-phone (the command never reached the lock) is reported, and the key file keeps its key, which still opens", async () => {
        const before = heldKey()
        expect(before).not.toBeNull()
        broker.deliver = (to, topic, p) => !(isLockClient(to) && isCommand(topic, p))
        broker.onPublish = h => {
            // the broker reads the request, so its forgery repeats the request's echo
            if (!isLockClient(h.from!) && isCommand(h.topic, h.payload)) void broker.forge(topics.ans, Buffer.from([2, 4, 0, ...echoOf(h.payload)]))
        }
        const r = await run("lost-phone")
        expect(r.code).toBe(1)
        expect(r.err).toMatch(/an answer that is not the lock's: the answer to lost-phone did not authenticate/)
        expect(r.err).toMatch(/the key file is unchanged/)
        expect(r.out).not.toMatch(/revoked/)
        expect(heldKey()).toEqual(before)
        await stillLocked(500)

        // the broker honest again: the lock revoked nothing, and the key the CLI kept opens
        broker.deliver = () => true
        broker.onPublish = () => {}
        const open = await run("unlock")
        expect(open.code, open.err).toBe(0)
        await lock.board.waitUntil(() => lock.board.isUnlocked(), "the unlock with the kept key")
        await lock.board.waitUntil(() => lock.board.isLocked(), "the auto-relock", 5000)
    }, 60000)

    it("a replayed unlock does not open, and a replayed answer is not taken for a new command's", async () => {
        const open = await run("unlock")
        expect(open.code, open.err).toBe(0)
        const recorded = broker.on(topics.req).filter(h => h.payload[1] === FRAME_COMMAND).at(-1)!
        const recordedAnswer = lockAnswers().at(-1)!
        expect(recordedAnswer.payload[1]).toBe(FRAME_SEALED)
        await lock.board.waitUntil(() => lock.board.isLocked(), "the auto-relock", 5000)

        // the recorded unlock frame, published again: refused (its challenge is spent), in the clear
        const seen = lockAnswers().length
        await broker.forge(topics.req, recorded.payload)
        const until = Date.now() + 5000
        while (lockAnswers().length === seen && Date.now() < until) await sleep(50)
        expect([...lockAnswers()[seen].payload]).toEqual([2, 4, 9, ...echoOf(recorded.payload)])
        await stillLocked()

        // a new unlock kept from the lock and answered with the recorded (sealed, genuine) answer
        broker.deliver = (to, topic, p) => !(isLockClient(to) && isCommand(topic, p))
        broker.onPublish = h => {
            if (!isLockClient(h.from!) && isCommand(h.topic, h.payload)) void broker.forge(topics.ans, recordedAnswer.payload)
        }
        const r = await run("unlock")
        expect(r.code).toBe(1)
        expect(r.err).toMatch(/an answer that is not the lock's: 1 answer\(s\) to unlock came and none was sealed by the lock for this request/)
        expect(r.out).not.toMatch(/unlocked/)
        await stillLocked()
    }, 60000)

    it("answers reordered (an old one first, the lock's own after): the CLI takes only its own", async () => {
        const old = lockAnswers().filter(h => h.payload[1] === FRAME_SEALED).at(-1)!
        const released = new Set<string>()
        broker.deliver = (to, topic, p) => {
            if (isLockClient(to) || topic !== topics.ans || p[1] !== FRAME_SEALED || released.has(p.toString("hex"))) return true
            // hold the lock's answer back; send a stale one first, then the held one
            released.add(p.toString("hex"))
            released.add(old.payload.toString("hex"))
            setTimeout(async () => {
                await broker.forge(topics.ans, old.payload)
                await sleep(100)
                await broker.forge(topics.ans, p)
            }, 50)
            return false
        }
        const r = await run("unlock")
        expect(r.code, r.err).toBe(0)
        expect(r.out.trim()).toBe("unlocked")
        await lock.board.waitUntil(() => lock.board.isUnlocked(), "the unlock")
        await lock.board.waitUntil(() => lock.board.isLocked(), "the auto-relock", 5000)
    }, 60000)

    it("forged state and a phantom lock are shown as the broker's word, never taken as proof, and nothing opens", async () => {
        // the broker keeps a forged state retained, whatever the lock publishes
        const forged = JSON.stringify({ lock: "UNLOCKED", failures: 0, lockout_s: 0, mode: "Normal", door: "open" })
        broker.onPublish = h => {
            if (h.topic === topics.state && isLockClient(h.from!)) void broker.forge(topics.state, forged, true)
        }
        await broker.forge(topics.state, forged, true)
        const status = await run("status")
        expect(status.code, status.err).toBe(0)
        expect(status.out).toMatch(/^UNLOCKED, .*\(the broker's retained copy of the lock's state, NOT authenticated: anyone allowed to publish on latchkey\/[0-9a-f]{16}\/state could have written it\)/)
        expect(lock.board.isLocked()).toBe(true)
        // the forged "unlocked" changes nothing the CLI does: a lock is still sent, sealed, and answered by the lock
        const locked = await run("lock")
        expect(locked.code, locked.err).toBe(0)
        expect(lockAnswers().at(-1)!.payload[1]).toBe(FRAME_SEALED)

        // a lock the broker makes up: the CLI does not guess between it and the real one
        await broker.forge(`${NET_PROFILE.network.topicPrefix}/0123456789abcdef/availability`, "online", true)
        const guess = await run("unlock")
        expect(guess.code).toBe(2)
        expect(guess.err).toMatch(/knows 2 locks: choose one with --lock ID/)
        const phantom = await latchkey(["--mqtt", broker.url, "--keys", lock.store.path, "--lock", "0123456789abcdef", "unlock"])
        expect(phantom.code).toBe(1)
        expect(phantom.err).toMatch(/not enrolled with lock 0123456789abcdef/)
        await stillLocked()
    }, 60000)
})
