/**
 * The test brokers themselves (bench/lib/brokers.ts; aedes is the simulator's sim/broker.ts):
 * anonymous or with a password, killed and restarted on the same port with nothing retained.
 */
import mqtt from "mqtt"
import { afterEach, describe, expect, it } from "vitest"
import { mosquittoMissing, startAedes, startMosquitto, TestBroker } from "../../bench/lib/brokers"
import { retainedNow } from "../support/mqtt-watch"

const KINDS: ["mosquitto" | "aedes", string | null][] = [
    ["mosquitto", mosquittoMissing()],
    ["aedes", null],
]

const started: TestBroker[] = []
afterEach(async () => {
    for (const b of started.splice(0)) await b.stop()
})

async function start(kind: "mosquitto" | "aedes", creds?: { username: string; password: string }) {
    const b = kind === "mosquitto" ? await startMosquitto(creds) : await startAedes(creds)
    started.push(b)
    return b
}

/** Connects once; resolves with the CONNACK's outcome ("ok" or the error's message). */
async function tryConnect(url: string, username?: string, password?: string): Promise<string> {
    try {
        const c = await mqtt.connectAsync(url, { username, password, reconnectPeriod: 0, connectTimeout: 5000 })
        await c.endAsync(true)
        return "ok"
    } catch (e) {
        return (e as Error).message
    }
}

for (const [kind, missing] of KINDS) {
    const suite = missing ? describe.skip : describe
    suite(`${kind} for tests${missing ? ` [skipped: ${missing}]` : ""}`, () => {
        it("lets anyone in when anonymous, keeps retained messages, and forgets them across a kill and restart on the same port", async () => {
            const b = await start(kind)
            expect(b.url).toBe(`mqtt://127.0.0.1:${b.port}`)
            expect(await tryConnect(b.url)).toBe("ok")
            const c = await mqtt.connectAsync(b.url, { reconnectPeriod: 0 })
            await c.publishAsync("t/retained", "kept", { retain: true, qos: 1 })
            await c.endAsync()
            expect((await retainedNow(b, ["t/#"])).get("t/retained")).toBe("kept")
            const watcher = await mqtt.connectAsync(b.url, { reconnectPeriod: 0 })
            const closed = new Promise<void>(r => watcher.once("close", () => r()))
            await b.kill()
            expect(b.running).toBe(false)
            await closed
            expect(await tryConnect(b.url)).not.toBe("ok")
            await b.restart()
            expect(await tryConnect(b.url)).toBe("ok")
            expect((await retainedNow(b, ["t/#"])).size).toBe(0)
        }, 30000)

        it("with a password, refuses a wrong one and none, and lets the right one in", async () => {
            const b = await start(kind, { username: "lock", password: "s3cret-Pa55" })
            expect(await tryConnect(b.url, "lock", "s3cret-Pa55")).toBe("ok")
            expect(await tryConnect(b.url, "lock", "wrong")).toMatch(/Bad username or password|Not authorized/i)
            expect(await tryConnect(b.url)).toMatch(/Bad username or password|Not authorized/i)
        }, 30000)
    })
}
