/**
 * The simulator's web server without a browser: what it serves, and its WebSocket (Jacdac frames
 * both ways plus the side channel) driving the real fast firmware in the VM.
 */
import { Packet, ServoReg, CMD_SET_REG } from "jacdac-ts"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { WebSocket } from "ws"
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
    static async open(url: string): Promise<FakePage> {
        const ws = new WebSocket(url.replace(/^http/, "ws") + "bus")
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

describe("the simulator's web server", () => {
    let sim: WebSimulator
    let url: string

    beforeAll(async () => {
        sim = new WebSimulator({ profile: FAST_PROFILE, firmware: "firmware-fast", crashRestartMs: 200 })
        url = await sim.start(0)
        await sim.ready()
    })
    afterAll(async () => {
        await sim.stop()
    })

    it("serves the page, its code and the lock's service spec from this process", async () => {
        const get = async (path: string) => {
            const r = await fetch(url + path.replace(/^\//, ""))
            return { status: r.status, type: r.headers.get("content-type") ?? "", body: await r.text() }
        }
        const index = await get("/")
        expect(index.status).toBe(200)
        expect(index.body).toContain('<script src="/app.js">')
        const css = await get("/style.css")
        expect(css.type).toMatch(/text\/css/)
        // offline: nothing is fetched from anywhere but this server
        for (const text of [index.body, css.body]) expect(text).not.toMatch(/(src|href)="?https?:|url\(\s*["']?https?:|@import/)
        const app = await get("/app.js")
        expect(app.status).toBe(200)
        expect(app.type).toMatch(/javascript/)
        expect(app.body.length).toBeGreaterThan(100_000) // jacdac-ts is bundled in
        const specs = JSON.parse((await get("/services.json")).body) as { shortId: string }[]
        expect(specs.map(s => s.shortId)).toContain("latchkey")
        expect((await get("/nothing-here")).status).toBe(404)
    })

    it("greets a page with the profile and the board's state, then streams the bus's frames", async () => {
        const page = await FakePage.open(url)
        try {
            const hello = await page.until("hello", () => page.messages.find(m => m.t === "hello"))
            expect(hello).toMatchObject({ t: "hello", firmware: "firmware-fast", profile: { labels: FAST_PROFILE.keypad.labels } })
            await page.until("vm running", () => page.vmStates().includes("running"))
            await page.until("console history", () => page.consoleHas(/lock: ready/))
            // announces of the VM, the peripherals and the door sensor arrive as raw Jacdac frames
            const senders = () => new Set(page.frames.flatMap(f => Packet.fromFrame(f, 0).map(p => p.deviceIdentifier)))
            await page.until("frames from the VM, the peripherals and the door sensor", () => senders().size >= 3)
            expect([...senders()]).toEqual(expect.arrayContaining([HARDWARE_ID, DOOR_ID]))
        } finally {
            page.close()
        }
    })

    it("turns hand messages into keypad and button actions the firmware answers, seen as frames", async () => {
        const page = await FakePage.open(url)
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
        } finally {
            page.close()
        }
    })

    it("opens and closes the door sensor and tells every page", async () => {
        const page = await FakePage.open(url)
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
        const page = await FakePage.open(url)
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

    it("cuts the power and boots again with the flash kept", async () => {
        const page = await FakePage.open(url)
        try {
            await page.until("vm running", () => page.vmStates().includes("running"))
            const bootsBefore = (page.messages.filter(m => m.t === "vm").pop() as { boots: number }).boots
            const mark = sim.board.logs.length
            page.send({ t: "power", action: "cut" })
            await page.until("off, booting, running", () => page.vmStates().join(",").endsWith("off,booting,running"))
            const last = page.messages.filter(m => m.t === "vm").pop() as { boots: number }
            expect(last.boots).toBe(bootsBefore + 1)
            // the code set up earlier survived
            expect(sim.board.logs.slice(mark).some(l => /boot: 1 code\(s\)/.test(l))).toBe(true)
        } finally {
            page.close()
        }
    })

    it("shows a crashed program, then resets the board as a watchdog would", async () => {
        const page = await FakePage.open(url)
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
