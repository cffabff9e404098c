/**
 * The README's walk from `npm start` to an unlock over MQTT, as a newcomer does it: sim/start.ts
 * is started as `npm start` starts it (its own broker, the networked shipping firmware), the
 * master code is set up and the program button pressed through the page's own WebSocket (the URL
 * it printed, token included), and then the two companion commands it printed are run exactly as
 * printed: `enrol` over the bus it serves, `unlock` through its broker. The CLI's "unlocked" (the
 * lock's sealed answer) and the state the lock then publishes on the broker are the proof.
 */
import { ChildProcess, execFile, spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { WebSocket } from "ws"
import { ROOT } from "../../host/paths"
import type { ServerMessage } from "../../web/protocol"
import { freePort, type TestBroker } from "../../bench/lib/brokers"
import { Watcher } from "../support/mqtt-watch"
import { MASTER } from "../scenario/helpers"

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
const dir = mkdtempSync(join(tmpdir(), "latchkey-npm-start-"))
let child: ChildProcess
let out = ""

/** Waits for the simulator to print a line matching `re`. */
async function printed(re: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs
    for (;;) {
        const m = re.exec(out)
        if (m) return m
        if (Date.now() > end || child.exitCode !== null) throw new Error(`npm start did not print ${re}:\n${out}`)
        await sleep(50)
    }
}

/** Runs a printed `npm run latchkey -- …` command line as it is, with this test's own key folder. */
function run(commandLine: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const [cmd, ...args] = commandLine.split(" ")
    return new Promise(resolve =>
        execFile(cmd, args, { cwd: ROOT, env: { ...process.env, LATCHKEY_HOME: dir }, timeout: 60_000 }, (err, stdout, stderr) =>
            resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
    )
}

beforeAll(async () => {
    const tcp = await freePort()
    child = spawn(process.execPath, [join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), "sim/start.ts", "--http", "0", "--port", String(tcp), "--flash", join(dir, "flash.bin")], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
    })
    child.stdout!.on("data", d => (out += d))
    child.stderr!.on("data", d => (out += d))
}, 10_000)

afterAll(async () => {
    if (child && child.exitCode === null) {
        const exited = new Promise(r => child.once("exit", r))
        child.kill("SIGTERM")
        await exited
    }
})

describe("npm start, then the printed companion commands", () => {
    it(
        "enrols over the bus it serves and unlocks through its own broker",
        async () => {
            const url = (await printed(/open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/))[1]
            const brokerUrl = (await printed(/MQTT broker (mqtt:\/\/127\.0\.0\.1:\d+)/))[1]
            const enrol = (await printed(/within 30 s `(npm run latchkey -- (?:--tcp 127\.0\.0\.1:\d+ )?enrol)`/))[1]
            const unlock = (await printed(/\n\S+ sim:\s+(npm run latchkey -- --mqtt \S+ unlock)\n/))[1]
            expect(unlock).toBe(`npm run latchkey -- --mqtt ${brokerUrl} unlock`)

            // the page's own connection: hands on the keypad and the program button
            const u = new URL(url)
            const ws = new WebSocket(`ws://${u.host}/bus${u.search}`)
            const lines: string[] = []
            ws.on("message", (data, isBinary) => {
                if (isBinary) return
                const m = JSON.parse(data.toString()) as ServerMessage
                if (m.t === "console") lines.push(m.line)
            })
            await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)))
            const said = async (re: RegExp, from: number) => {
                const end = Date.now() + 20_000
                while (!lines.slice(from).some(l => re.test(l))) {
                    if (Date.now() > end) throw new Error(`the firmware did not say ${re}:\n${lines.slice(-20).join("\n")}`)
                    await sleep(20)
                }
            }
            const send = (m: object) => ws.send(JSON.stringify(m))
            const press = async () => {
                send({ t: "button", down: true })
                await sleep(200)
                send({ t: "button", down: false })
                await sleep(300)
            }
            const type = async (keys: string) => {
                for (const key of keys) {
                    send({ t: "key", key, down: true })
                    await sleep(50)
                    send({ t: "key", key, down: false })
                    await sleep(50)
                }
            }
            try {
                const mark = lines.length
                await press()
                await said(/setup: enter new code/, mark)
                await type(MASTER + "#")
                await said(/setup: enter the same code again/, mark)
                await type(MASTER + "#")
                await said(/setup: code saved/, mark)
                await sleep(500)

                await press()
                const enrolled = await run(enrol)
                expect(enrolled.stdout + enrolled.stderr).toMatch(/enrolled as companion key 1 of lock [0-9a-f]{16}/)
                expect(enrolled.code).toBe(0)

                const lockId = /enrolled as companion key 1 of lock ([0-9a-f]{16})/.exec(enrolled.stdout)![1]
                const watch = await Watcher.connect({ url: brokerUrl } as TestBroker, [`latchkey/${lockId}/state`])
                try {
                    await watch.waitFor(m => JSON.parse(m.payload.toString()).lock === "LOCKED", "the state LOCKED")
                    const from = watch.seen.length
                    const opened = await run(unlock)
                    expect(opened.stdout + opened.stderr).toMatch(/^unlocked$/m)
                    expect(opened.code).toBe(0)
                    await watch.waitFor(m => JSON.parse(m.payload.toString()).lock === "UNLOCKED", "the state UNLOCKED", 15000, from)
                } finally {
                    await watch.close()
                }
            } finally {
                ws.close()
            }
        },
        180_000,
    )
})
