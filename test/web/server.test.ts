/**
 * The simulator's web server without a browser: what it serves, and its WebSocket (Jacdac frames
 * both ways plus the side channel) driving the real fast firmware in the VM; and who gets in (only
 * requests with this run's token, addressed to 127.0.0.1 or localhost, from no other web page),
 * and what a page that connects later is told (never the recovery code).
 */
import { mkdtempSync } from "node:fs"
import { request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Packet, ServoReg, CMD_SET_REG } from "jacdac-ts"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { WebSocket, type ClientOptions } from "ws"
import { fstorValue } from "../../sim/fstor"
import { DOOR_ID, HARDWARE_ID, WebSimulator } from "../../sim/webserver"
import type { ServerMessage } from "../../web/protocol"
import { FAST_PROFILE, MASTER } from "../scenario/helpers"

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** A page without a browser: collects the board's messages and frames. */
class FakePage {
    readonly messages: ServerMessage[] = []
    readonly frames: Uint8Array[] = []
    constructor(readonly ws: WebSocket) {
        ws.on("message", (data, isBinary) => {
            if (isBinary) this.frames.push(new Uint8Array(data as Buffer))
            else this.messages.push(JSON.parse(data.toString()))
        })
    }
    /** Opens the bus at `busUrl` (see `busAt`) as the page would. */
    static async open(busUrl: string): Promise<FakePage> {
        const ws = new WebSocket(busUrl)
        const page = new FakePage(ws)
        await new Promise((resolve, reject) => {
            ws.once("open", resolve)
            ws.once("error", reject)
        })
        return page
    }
    send(m: object) {
        this.ws.send(JSON.stringify(m))
    }
    async hands(keys: string) {
        for (const key of keys) {
            this.send({ t: "key", key, down: true })
            await sleep(40)
            this.send({ t: "key", key, down: false })
            await sleep(40)
        }
    }
    async until<T>(what: string, f: () => T | undefined, timeoutMs = 10000): Promise<T> {
        const end = Date.now() + timeoutMs
        for (;;) {
            const v = f()
            if (v !== undefined && v !== false) return v
            if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
            await sleep(20)
        }
    }
    vmStates(): string[] {
        return this.messages.flatMap(m => (m.t === "vm" ? [m.state] : []))
    }
    consoleHas(re: RegExp) {
        return this.messages.some(m => m.t === "console" && re.test(m.line))
    }
    close() {
        this.ws.close()
    }
}

interface Answer {
    status: number
    type: string
    body: string
}

/** A plain HTTP GET to the simulator with exactly these headers (Host included: what a DNS-rebinding page sends). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, res => {
            let body = ""
            res.setEncoding("utf8")
            res.on("data", d => (body += d))
            res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), body }))
        })
        req.on("error", reject)
        req.end()
    })
}

/** What an attempt to open the bus got: the HTTP status if it was refused, and every message it received. */
interface BusAttempt {
    opened: boolean
    status?: number
    messages: number
}

/** Tries to open the bus; an open socket is listened to for a moment, then closed. */
function tryBus(busUrl: string, options: ClientOptions = {}): Promise<BusAttempt> {
    return new Promise(resolve => {
        const ws = new WebSocket(busUrl, options)
        let messages = 0
        ws.on("message", () => messages++)
        ws.once("open", () => setTimeout(() => (ws.close(), resolve({ opened: true, messages })), 500))
        ws.once("unexpected-response", (req, res) => {
            req.destroy()
            resolve({ opened: false, status: res.statusCode, messages })
        })
        ws.once("error", () => resolve({ opened: false, messages }))
    })
}

describe("the simulator's web server", () => {
    let sim: WebSimulator
    let url: string
    let port: number
    const warnings: string[] = []
    /** The bus's URL with this run's token (or `token`; null = none). */
    const busAt = (token: string | null = sim.token) => `ws://127.0.0.1:${port}/bus${token === null ? "" : `?token=${token}`}`
    /** A path with this run's token (or `token`; null = none). */
    const withToken = (path: string, token: string | null = sim.token) => (token === null ? path : `${path}?token=${token}`)

    beforeAll(async () => {
        sim = new WebSimulator({ profile: FAST_PROFILE, firmware: "firmware-fast", crashRestartMs: 200, warn: line => warnings.push(line) })
        url = await sim.start(0)
        port = Number(new URL(url).port)
        await sim.ready()
    })
    afterAll(async () => {
        await sim.stop()
    })

    it("prints a URL that carries this run's token", () => {
        expect(url).toBe(`http://127.0.0.1:${port}/?token=${sim.token}`)
        expect(sim.token).toMatch(/^[A-Za-z0-9_-]{32}$/)
        const other = new WebSimulator({ profile: FAST_PROFILE, firmware: "firmware-fast" })
        expect(() => other.token).toThrow(/not started/)
    })

    it("serves the page, its code and the lock's service spec from this process", async () => {
        const index = await get(port, withToken("/"))
        expect(index.status).toBe(200)
        // the page's links to this server carry the token (each is refused without it)
        expect(index.body).toContain(`<script src="/app.js?token=${sim.token}">`)
        expect(index.body).toContain(`href="/style.css?token=${sim.token}"`)
        const fetched = await fetch(url)
        expect(fetched.status).toBe(200)
        expect(await fetched.text()).toBe(index.body)
        const css = await get(port, withToken("/style.css"))
        expect(css.type).toMatch(/text\/css/)
        // offline: nothing is fetched from anywhere but this server
        for (const text of [index.body, css.body]) expect(text).not.toMatch(/(src|href)="?https?:|url\(\s*["']?https?:|@import/)
        const app = await get(port, withToken("/app.js"))
        expect(app.status).toBe(200)
        expect(app.type).toMatch(/javascript/)
        expect(app.body.length).toBeGreaterThan(100_000) // jacdac-ts is bundled in
        const specs = JSON.parse((await get(port, withToken("/services.json"))).body) as { shortId: string }[]
        expect(specs.map(s => s.shortId)).toContain("latchkey")
        expect((await get(port, withToken("/nothing-here"))).status).toBe(404)
        // its own name works as well as its address
        expect((await get(port, withToken("/"), { host: `localhost:${port}` })).status).toBe(200)
    })

    it("refuses the page, its files and the bus without this run's token, before sending anything", async () => {
        const refused = async (token: string | null) => {
            for (const path of ["/", "/index.html", "/app.js", "/style.css", "/services.json"]) {
                const r = await get(port, withToken(path, token))
                expect(r.status, `${path} with token ${JSON.stringify(token)}`).toBe(403)
                expect(r.body).toMatch(/^latchkey sim: forbidden/)
            }
            expect(await tryBus(busAt(token))).toEqual({ opened: false, status: 403, messages: 0 })
        }
        for (const token of [null, "", "x".repeat(32)]) await refused(token)
        const t = sim.token
        for (const token of [t.slice(0, -1), t + "A", (t[0] === "A" ? "B" : "A") + t.slice(1)]) await refused(token)
        expect(warnings.some(l => /^latchkey sim: refused a WebSocket for "\/bus": no token/.test(l))).toBe(true)
        expect(warnings.some(l => /^latchkey sim: refused a WebSocket for "\/bus": wrong token/.test(l))).toBe(true)
        expect(warnings.some(l => /^latchkey sim: refused a page request for "\/": no token/.test(l))).toBe(true)
        // the right token opens the bus
        const page = await FakePage.open(busAt())
        try {
            await page.until("hello", () => page.messages.find(m => m.t === "hello"))
        } finally {
            page.close()
        }
    })

    it("refuses a request addressed to another host name, even with the token (DNS rebinding)", async () => {
        for (const host of [`rebind.example:${port}`, "rebind.example", `127.0.0.1:${port + 1}`, `127.0.0.1.nip.example:${port}`]) {
            expect((await get(port, withToken("/"), { host })).status, host).toBe(403)
            expect(await tryBus(busAt(), { headers: { host } })).toEqual({ opened: false, status: 403, messages: 0 })
        }
        expect(warnings.some(l => /refused a WebSocket for "\/bus": Host "rebind\.example:\d+" is not this simulator's address/.test(l))).toBe(true)
    })

    it("refuses another web page's request, even with the token (its Origin)", async () => {
        const origins = [`http://127.0.0.1:${port + 1}`, `http://localhost:${port + 1}`, "https://evil.example", `http://rebind.example:${port}`, "null"]
        for (const origin of origins) {
            expect((await get(port, withToken("/services.json"), { origin })).status, origin).toBe(403)
            expect(await tryBus(busAt(), { origin })).toEqual({ opened: false, status: 403, messages: 0 })
        }
        expect(warnings.some(l => /refused a WebSocket for "\/bus": it comes from another web page \(Origin "https:\/\/evil\.example"\)/.test(l))).toBe(true)
        // its own page's Origin is welcome
        const own = await tryBus(busAt(), { origin: `http://127.0.0.1:${port}` })
        expect(own.opened).toBe(true)
        expect(own.messages).toBeGreaterThan(0)
        // the console never shows the token
        expect(warnings.length).toBeGreaterThan(0)
        for (const line of warnings) expect(line).not.toContain(sim.token)
    })

    it("greets a page with the profile and the board's state, then streams the bus's frames", async () => {
        const page = await FakePage.open(busAt())
        try {
            const hello = await page.until("hello", () => page.messages.find(m => m.t === "hello"))
            expect(hello).toMatchObject({ t: "hello", firmware: "firmware-fast", profile: { labels: FAST_PROFILE.keypad.labels } })
            await page.until("vm running", () => page.vmStates().includes("running"))
            await page.until("console history", () => page.consoleHas(/lock: ready/))
            // announces of the VM, the peripherals and the door sensor arrive as raw Jacdac frames
            const senders = () => new Set(page.frames.flatMap(f => Packet.fromFrame(f, 0).map(p => p.deviceIdentifier)))
            await page.until("frames from the VM, the peripherals and the door sensor", () => {
                const s = senders()
                return s.has(HARDWARE_ID) && s.has(DOOR_ID) && s.size >= 3
            })
        } finally {
            page.close()
        }
    })

    it("turns hand messages into keypad and button actions the firmware answers, seen as frames", async () => {
        const page = await FakePage.open(busAt())
        try {
            await page.until("vm running", () => page.vmStates().includes("running"))
            const mark = sim.board.logs.length
            page.send({ t: "button", down: true })
            await sleep(150)
            page.send({ t: "button", down: false })
            await sim.board.waitForLog(/setup: enter new code/, 5000, mark)
            await page.hands(MASTER + "#")
            await sim.board.waitForLog(/setup: enter the same code again/, 5000, mark)
            await page.hands(MASTER + "#")
            await sim.board.waitForLog(/setup: code saved/, 5000, mark)
            const framesBefore = page.frames.length
            await page.hands(MASTER + "#")
            await page.until("the latch open", () => sim.board.isUnlocked())
            // the page saw the firmware's write of the unlocked angle to the servo
            const angleWrites = page.frames
                .slice(framesBefore)
                .flatMap(f => Packet.fromFrame(f, 0))
                .filter(p => p.isCommand && p.serviceCommand === (CMD_SET_REG | ServoReg.Angle))
                .map(p => p.jdunpack<[number]>("i16.16")[0])
            expect(angleWrites).toContain(FAST_PROFILE.latch.unlockedAngle)
            // the page open at setup was shown the recovery code
            const code = sim.board.recoveryCode()!
            expect(code).toMatch(/^\d{12}$/)
            await page.until("the recovery code, live", () => page.consoleHas(new RegExp(`RECOVERY CODE.*${code.slice(0, 4)} ${code.slice(4, 8)} ${code.slice(8)}`)))
        } finally {
            page.close()
        }
    })

    it("never replays the recovery code to a page that connects later", async () => {
        const code = sim.board.recoveryCode()!
        expect(code).toMatch(/^\d{12}$/) // issued at the setup above
        const page = await FakePage.open(busAt())
        try {
            // the history comes before the VM's state, then the bus's frames flow
            await page.until("vm state", () => page.vmStates().length > 0)
            await page.until("frames", () => page.frames.length > 20)
            const lines = page.messages.flatMap(m => (m.t === "console" ? [m.line] : []))
            const shown = lines.filter(l => /RECOVERY CODE/.test(l))
            expect(shown).toHaveLength(1)
            expect(shown[0]).toMatch(/^> lock: RECOVERY CODE \(shown once.*\): •••• •••• ••••  \(shown once, only to the pages open then\)$/)
            // the code, as printed or as typed, in no line and no frame
            const printed = `${code.slice(0, 4)} ${code.slice(4, 8)} ${code.slice(8)}`
            for (const line of lines) expect(line).not.toContain(printed)
            const ascii = page.frames.map(f => Buffer.from(f).toString("latin1")).join("\n")
            expect(ascii).not.toContain(printed)
            expect(ascii).not.toContain(code)
        } finally {
            page.close()
        }
    })

    it("opens and closes the door sensor and tells every page", async () => {
        const page = await FakePage.open(busAt())
        try {
            page.send({ t: "door", open: true })
            await page.until("door open", () => page.messages.some(m => m.t === "door" && m.open))
            expect(sim.door.reading.values()[0]).toBe(0)
            page.send({ t: "door", open: false })
            await page.until("door closed", () => page.messages.filter(m => m.t === "door" && !m.open).length >= 2)
            expect(sim.door.reading.values()[0]).toBeCloseTo(1, 3)
        } finally {
            page.close()
        }
    })

    it("answers a bad message with a note, not a crash", async () => {
        const page = await FakePage.open(busAt())
        try {
            page.ws.send('{"t":"key","key":"55","down":true}')
            await page.until("the note", () => page.consoleHas(/sim: page sent a bad message: key: needs a one-character key/))
            page.send({ t: "key", key: "Z", down: true })
            await page.until("the error", () => page.consoleHas(/sim: error: no key "Z" on this keypad/))
            expect(sim.state).toBe("running")
        } finally {
            page.close()
        }
    })

    it("without a broker (npm start -- --no-broker), tells the page so and answers its broker button with a note", async () => {
        const page = await FakePage.open(busAt())
        try {
            const net = await page.until("the network status", () => page.messages.find(m => m.t === "net"))
            expect(net).toMatchObject({ t: "net", broker: null, brokerUp: false })
            page.send({ t: "broker", action: "down" })
            await page.until("the note", () => page.consoleHas(/sim: no broker to take down or bring up \(started with --no-broker\)/))
            expect(sim.state).toBe("running")
        } finally {
            page.close()
        }
    })

    it("cuts the power and boots again with the flash kept", async () => {
        const page = await FakePage.open(busAt())
        try {
            await page.until("vm running", () => page.vmStates().includes("running"))
            const bootsBefore = (page.messages.filter(m => m.t === "vm").pop() as { boots: number }).boots
            const mark = sim.board.logs.length
            page.send({ t: "power", action: "cut" })
            await page.until("off, booting, running", () => page.vmStates().join(",").endsWith("off,booting,running"))
            const last = page.messages.filter(m => m.t === "vm").pop() as { boots: number }
            expect(last.boots).toBe(bootsBefore + 1)
            // the code set up earlier survived
            expect(sim.board.logs.slice(mark).some(l => /boot: 1 user\(s\)/.test(l))).toBe(true)
        } finally {
            page.close()
        }
    })

    it("shows a crashed program, then resets the board as a watchdog would", async () => {
        const page = await FakePage.open(busAt())
        try {
            await page.until("vm running", () => page.vmStates().includes("running"))
            // what the VM reports when the firmware throws (seen with a deliberately crashing program)
            const vmLog = sim.board as unknown as { log(line: string): void }
            vmLog.log("! Unhandled exception")
            vmLog.log("* Exception: TypeError")
            vmLog.log("*  message: getting field 'foo' of null")
            vmLog.log("vm: PANIC 60005")
            const crash = await page.until("crashed", () => page.messages.find(m => m.t === "vm" && m.state === "crashed"))
            expect(crash).toMatchObject({ detail: expect.stringMatching(/PANIC 60005: .*TypeError.*getting field 'foo' of null/) })
            await page.until("running again", () => page.vmStates().join(",").endsWith("crashed,booting,running"))
        } finally {
            page.close()
        }
    })
})

describe("the simulator's flash file across images (npm start, then npm start -- --fast)", () => {
    it("runs the image asked for, not the program the flash file kept, and keeps the lock's settings", async () => {
        const flashFile = join(mkdtempSync(join(tmpdir(), "latchkey-sim-")), "flash.bin")
        const first = new WebSimulator({ profile: FAST_PROFILE, firmware: "firmware-fast", flashFile })
        await first.start(0)
        await first.ready()
        const key = fstorValue(first.board.flash.image, "$lk.key")
        expect(key).toHaveLength(32)
        await first.stop()
        expect(first.board.logs.some(l => /^> net: lock id/.test(l))).toBe(false)

        const second = new WebSimulator({ profile: FAST_PROFILE, firmware: "firmware-net", flashFile })
        try {
            await second.start(0)
            await second.ready()
            // the networked image runs (it says its lock id), with the device key the first one made
            await second.board.waitForLog(/^> net: lock id [0-9a-f]{16}/, 10000, 0)
            expect(Buffer.from(fstorValue(second.board.flash.image, "$lk.key")!).equals(Buffer.from(key!))).toBe(true)
        } finally {
            await second.stop()
        }
    }, 60000)
})
