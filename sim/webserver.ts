/**
 * The simulator's web server: a simulated board (the real firmware in the DeviceScript VM plus
 * jacdac-ts servers for the keypad, latch, buzzer, program button and a door sensor) and a page
 * that shows and drives it.
 *
 * The page is a jacdac-ts bus of its own, bridged onto the board's bus over a WebSocket (binary
 * messages = Jacdac frames, both ways): it sees the latch servo's angle, the buzzer's tones and
 * the lock's service exactly as any Jacdac client would. Text messages carry the hand on the
 * hardware (web/protocol.ts). Everything is served from this process: no CDN, works offline.
 *
 * Only this run's own page gets in (sim/page-guard.ts): every request, the WebSocket's included,
 * must name this server as its Host, come from no other web page, and carry the run's token from
 * the printed URL; anything else is answered 403 before any data is sent, and said on the
 * simulator's console. The recovery code, shown once, reaches only the pages open at that moment:
 * the console history a page gets when it connects has its digits blanked.
 *
 * With a broker (sim/broker.ts, `npm start` brings one): the lock is pointed at it after each boot,
 * the page's Network panel shows the lock's link to it (sim/link-status.ts, from the firmware's
 * own console) and takes it down and up, over the same guarded WebSocket.
 *
 * The flash file keeps the program the VM last ran; one that is not the image asked for (another
 * build, or --fast after a run without it) is replaced at the first power-on, settings kept, as
 * `devs deploy` would.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { build } from "esbuild"
import {
    createProxyBridge,
    JDBridge,
    JDServerServiceProvider,
    MagneticFieldLevelServer,
    MagneticFieldLevelVariant,
} from "jacdac-ts"
import { WebSocket, WebSocketServer } from "ws"
import type { Profile } from "../src/config/types"
import { parseClientMessage, TOKEN_PARAM, type ClientMessage, type NetStatus, type ServerMessage, type VmState } from "../web/protocol"
import { settingValue, writeDeviceSettings } from "../host/device-settings"
import { sendEventsOnce, SimulatedBoard, sleep } from "./board"
import { companionCommand, type SimBroker } from "./broker"
import { fstorValue, hasFstor } from "./fstor"
import { LinkStatus } from "./link-status"
import { PageGuard } from "./page-guard"
import { ROOT } from "../host/paths"

export const HARDWARE_ID = "5e11ab0a7d000001"
export const DOOR_ID = "5e11ab0a7d000002"

export interface WebSimOptions {
    profile: Profile
    /** build/ image the VM runs: "firmware" (default) or "firmware-fast". */
    firmware?: string
    /** Keep the flash in this file between runs (none: the flash lives only in memory). */
    flashFile?: string
    /** Start with an empty flash even if `flashFile` holds one. */
    wipe?: boolean
    /** Print the firmware's console to stdout. */
    echo?: boolean
    /** How long a crashed board stays down before it restarts itself (ms), like a watchdog reset. */
    crashRestartMs?: number
    /** Where a refused request is said (default: stderr, as "latchkey sim: refused …"). */
    warn?: (line: string) => void
    /**
     * The simulator's own MQTT broker (sim/broker.ts): the lock is pointed at it after each boot
     * (its MQTT_HOST and MQTT_PORT settings, as a deploy writes them) and the page can take it
     * down and bring it up. Without one the page's Network panel says so.
     */
    broker?: SimBroker
}

/** Lines of console history a page gets when it connects. */
const HISTORY = 200
/** A refusal said once is not said again for the same reason within this time (ms). */
const WARN_QUIET_MS = 10_000

/** The console line as kept for pages that connect later: the recovery code (shown once) blanked. */
export function forHistory(line: string): string {
    return /RECOVERY CODE/.test(line) ? `${line.replace(/\d/g, "•")}  (shown once, only to the pages open then)` : line
}

/** Headers on every answer: no caching, no referrer, no framing by another page. */
const HEADERS = { "cache-control": "no-store", "referrer-policy": "no-referrer", "x-frame-options": "DENY", "x-content-type-options": "nosniff" }
const WEB = join(ROOT, "web")

/** Bundles the page's code (web/main.ts with jacdac-ts) in memory. */
export async function bundlePage(): Promise<{ js: string; map: string }> {
    const r = await build({
        entryPoints: [join(WEB, "main.ts")],
        bundle: true,
        format: "iife",
        platform: "browser",
        target: "es2020",
        minify: true,
        sourcemap: "external",
        outfile: "app.js",
        write: false,
        logLevel: "silent",
    })
    const js = r.outputFiles.find(f => f.path.endsWith("app.js"))
    const map = r.outputFiles.find(f => f.path.endsWith("app.js.map"))
    if (!js || !map) throw new Error("web: the page bundle was not produced")
    return { js: js.text, map: map.text }
}

const STATIC: { [path: string]: [file: string, type: string] } = {
    "/": ["index.html", "text/html; charset=utf-8"],
    "/index.html": ["index.html", "text/html; charset=utf-8"],
    "/style.css": ["style.css", "text/css; charset=utf-8"],
    "/favicon.svg": ["favicon.svg", "image/svg+xml"],
}

interface Client {
    ws: WebSocket
    bridge: JDBridge
}

export class WebSimulator {
    readonly board: SimulatedBoard
    readonly door: MagneticFieldLevelServer
    private server: Server | undefined
    private guard: PageGuard | undefined
    /** When each refusal reason was last said, and how many were not said since. */
    private readonly refusals = new Map<string, { at: number; unsaid: number }>()
    private wss: WebSocketServer | undefined
    private readonly clients = new Set<Client>()
    private bundle: Promise<{ js: string; map: string }> | undefined
    private vmState: VmState = "off"
    private vmDetail: string | undefined
    private boots = 0
    private doorOpen = false
    private readonly history: string[] = []
    /** Hands on the hardware (keys, button, door), one at a time in the order they came. */
    private hands: Promise<void> = Promise.resolve()
    /** The power supply (power on, cut, wipe, reset after a crash), one at a time. */
    private power: Promise<void> = Promise.resolve()
    /** Lines describing the current crash (exception, message, where). */
    private crash: string[] = []
    /** Resolves the wait for "lock: ready" early when the firmware crashes while booting. */
    private crashed: (() => void) | undefined
    private stopped = false
    private stopLines: () => void
    /** The lock's link to the broker, from the firmware's console. */
    private readonly link = new LinkStatus()
    /** Broker down/up requests, one at a time in the order they came. */
    private brokerOps: Promise<void> = Promise.resolve()

    constructor(readonly options: WebSimOptions) {
        // the door contact is a module of its own here (the page shows it apart)
        this.board = new SimulatedBoard({ profile: options.profile, firmware: options.firmware ?? "firmware", echo: options.echo, door: false })
        // a magnetic door contact (reed/hall) as a separate sensor module: active = magnet near = door
        // closed; the firmware's "door" role reads it (DoorForcedOpen, DoorAjar, relock waits for it)
        this.door = new MagneticFieldLevelServer({ variant: MagneticFieldLevelVariant.DigitalNS, instanceName: "door" })
        sendEventsOnce(this.door)
        this.door.active()
        this.board.bus.addServiceProvider(new JDServerServiceProvider("latchkey-door", [this.door], { deviceId: DOOR_ID }))

        const { flashFile } = options
        if (flashFile && !options.wipe && existsSync(flashFile)) this.board.flash.image = new Uint8Array(readFileSync(flashFile))
        if (flashFile) this.keepFlashIn(flashFile)
        this.board.redeployIfStale()
        this.stopLines = this.board.onLine(line => this.onConsole(line))
    }

    private keepFlashIn(file: string) {
        this.board.flash.onSave = () => writeFileSync(file, this.board.flash.image)
    }

    /**
     * Serves the page on `port` (0 = any free port) and powers the board on. Resolves with the URL
     * to open: the page with this run's token (the only way in).
     */
    async start(port = 0, host = "127.0.0.1"): Promise<string> {
        this.bundle = bundlePage()
        this.bundle.catch(() => {}) // reported when the page asks for it
        const server = createServer((req, res) => void this.serve(req, res))
        this.server = server
        this.wss = new WebSocketServer({ noServer: true })
        server.on("upgrade", (req, socket, head) => {
            socket.on("error", () => socket.destroy())
            const admission = this.guard!.admit(req)
            if (!admission.ok) {
                this.refused("a WebSocket", req, admission.reason)
                const body = "latchkey sim: forbidden\n"
                socket.end(`HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n\r\n${body}`)
                return
            }
            if (new URL(req.url ?? "/", "http://x").pathname !== "/bus") return socket.destroy()
            this.wss!.handleUpgrade(req, socket, head, ws => this.attach(ws))
        })
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject)
            server.listen(port, host, () => {
                server.off("error", reject)
                resolve()
            })
        })
        this.guard = new PageGuard((server.address() as AddressInfo).port, host)
        void this.onPower(() => this.powerOn())
        return this.guard.url(host)
    }

    /** This run's secret token (in the URL `start` returns). */
    get token(): string {
        if (!this.guard) throw new Error("the simulator has not started")
        return this.guard.token
    }

    /** Says a refused request on the simulator's console, once per reason every few seconds. */
    private refused(what: string, req: IncomingMessage, reason: string) {
        const now = Date.now()
        const key = `${what}: ${reason}`
        const last = this.refusals.get(key)
        if (last && now - last.at < WARN_QUIET_MS) {
            last.unsaid++
            return
        }
        if (this.refusals.size >= 100) this.refusals.clear() // the reasons quote headers: keep the map small
        this.refusals.set(key, { at: now, unsaid: 0 })
        const path = (req.url ?? "/").split("?")[0].slice(0, 60)
        const more = last?.unsaid ? ` (and ${last.unsaid} more like it)` : ""
        const line = `latchkey sim: refused ${what} for ${JSON.stringify(path)}: ${reason}${more}`
        ;(this.options.warn ?? (l => console.warn(l)))(line)
    }

    /** Resolves when the firmware has booted (or rejects after `timeoutMs`). */
    async ready(timeoutMs = 20000): Promise<void> {
        const end = Date.now() + timeoutMs
        while (this.vmState !== "running") {
            if (Date.now() > end) throw new Error(`the firmware did not boot within ${timeoutMs} ms (VM ${this.vmState})`)
            await sleep(20)
        }
    }

    get state(): VmState {
        return this.vmState
    }

    async stop() {
        this.stopped = true
        this.stopLines()
        for (const c of this.clients) c.ws.terminate()
        this.wss?.close()
        await new Promise<void>(r => (this.server ? this.server.close(() => r()) : r()))
        this.server?.closeAllConnections()
        await this.board.dispose()
    }

    // ---- HTTP ----

    private async serve(req: IncomingMessage, res: ServerResponse) {
        const send = (status: number, type: string, body: string | Buffer) => {
            res.writeHead(status, { ...HEADERS, "content-type": type })
            res.end(body)
        }
        const admission = this.guard!.admit(req)
        if (!admission.ok) {
            this.refused("a page request", req, admission.reason)
            return send(403, "text/plain; charset=utf-8", "latchkey sim: forbidden. Open the URL the simulator printed in its terminal (it carries this run's token).\n")
        }
        const path = new URL(req.url ?? "/", "http://x").pathname
        try {
            if (path === "/app.js" || path === "/app.js.map") {
                const b = await this.bundle!
                return path === "/app.js" ? send(200, "text/javascript; charset=utf-8", b.js) : send(200, "application/json", b.map)
            }
            if (path === "/services.json") {
                // the firmware's own Jacdac services (services/*.md), as scripts/build.ts wrote them for jacdac-ts
                const file = join(ROOT, "build", "services.json")
                return send(200, "application/json", existsSync(file) ? readFileSync(file) : "[]")
            }
            const st = STATIC[path]
            if (st && st[0] === "index.html") return send(200, st[1], this.withToken(readFileSync(join(WEB, st[0]), "utf8")))
            if (st) return send(200, st[1], readFileSync(join(WEB, st[0])))
            send(404, "text/plain", "not found")
        } catch (e) {
            send(500, "text/plain", `simulator: ${(e as Error).message}`)
        }
    }

    /** The page with this run's token on each of its links to this server (they are refused without it). */
    private withToken(html: string): string {
        const links = /\b(src|href)="(\/[^"?#]*)"/g
        if (!links.test(html)) throw new Error("web/index.html links to nothing on this server")
        return html.replace(links, `$1="$2?${TOKEN_PARAM}=${this.token}"`)
    }

    // ---- the page's WebSocket ----

    private attach(ws: WebSocket) {
        const bridge = createProxyBridge(frame => {
            if (ws.readyState === WebSocket.OPEN) ws.send(frame)
        })
        const client: Client = { ws, bridge }
        this.clients.add(client)
        const p = this.options.profile
        this.sendTo(client, {
            t: "hello",
            profile: { name: p.name, labels: p.keypad.labels, lockedAngle: p.latch.lockedAngle, unlockedAngle: p.latch.unlockedAngle },
            firmware: this.options.firmware ?? "firmware",
            hardwareId: HARDWARE_ID,
            doorId: DOOR_ID,
        })
        this.sendTo(client, { t: "door", open: this.doorOpen })
        for (const line of this.history) this.sendTo(client, { t: "console", line })
        this.sendTo(client, { t: "vm", state: this.vmState, boots: this.boots, detail: this.vmDetail })
        this.sendTo(client, { t: "net", ...this.netStatus() })
        bridge.bus = this.board.bus
        ws.on("message", (data, isBinary) => {
            if (isBinary) {
                const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
                bridge.receiveFrameOrPacket(new Uint8Array(buf))
                return
            }
            let msg: ClientMessage
            try {
                msg = parseClientMessage(data.toString())
            } catch (e) {
                this.note(`page sent a bad message: ${(e as Error).message}`)
                return
            }
            if (msg.t === "power") void this.onPower(() => (msg.action === "cut" ? this.powerCycle() : this.wipeFlash()))
            else if (msg.t === "broker") void this.onBroker(msg.action)
            else void this.onHands(() => this.handle(msg))
        })
        ws.on("close", () => {
            bridge.bus = undefined as never
            this.clients.delete(client)
        })
        ws.on("error", () => ws.terminate())
    }

    private sendTo(c: Client, m: ServerMessage) {
        if (c.ws.readyState === WebSocket.OPEN) c.ws.send(JSON.stringify(m))
    }

    private broadcast(m: ServerMessage) {
        for (const c of this.clients) this.sendTo(c, m)
    }

    /** A line from the simulator itself (not the firmware), shown in the page's console. */
    private note(text: string) {
        this.onConsole(`sim: ${text}`)
    }

    // ---- hands and power ----

    private onHands(f: () => Promise<void>): Promise<void> {
        this.hands = this.hands.then(f).catch(e => this.note(`error: ${(e as Error).message}`))
        return this.hands
    }

    private onPower(f: () => Promise<void>): Promise<void> {
        this.power = this.power.then(f).catch(e => this.note(`error: ${(e as Error).message}`))
        return this.power
    }

    private async handle(m: Exclude<ClientMessage, { t: "power" | "broker" }>) {
        switch (m.t) {
            case "key":
                return m.down ? this.board.keyDown(m.key) : this.board.keyUp(m.key)
            case "button":
                return m.down ? this.board.program.down() : this.board.program.up()
            case "door":
                this.doorOpen = m.open
                if (m.open) this.door.inactive()
                else this.door.active()
                this.broadcast({ t: "door", open: m.open })
                return
        }
    }

    private setVm(state: VmState, detail?: string) {
        this.vmState = state
        this.vmDetail = detail
        this.broadcast({ t: "vm", state, boots: this.boots, detail })
        if (state !== "running") {
            this.link.reset(state === "booting" ? "starting" : "off")
            this.broadcastNet()
        }
    }

    // ---- the broker and the lock's link to it ----

    /** The broker, the lock's link to it and the companion command, as the page shows them. */
    netStatus(): NetStatus {
        const b = this.options.broker
        const r = this.link.current
        return {
            broker: b ? b.url : null,
            brokerUp: !!b?.running,
            link: r.link,
            detail: r.detail,
            lockId: r.lockId,
            companion: b ? companionCommand(b.url) : undefined,
        }
    }

    private broadcastNet() {
        this.broadcast({ t: "net", ...this.netStatus() })
    }

    /** Takes the broker down or brings it up (the page's button), one request at a time. */
    onBroker(action: "down" | "up"): Promise<void> {
        this.brokerOps = this.brokerOps
            .then(async () => {
                const b = this.options.broker
                if (!b) return this.note("no broker to take down or bring up (started with --no-broker)")
                if (action === "down" && b.running) {
                    await b.down()
                    this.note(`broker down: every connection cut, retained messages gone (${b.url})`)
                } else if (action === "up" && !b.running) {
                    await b.up()
                    this.note(`broker up again on ${b.url}`)
                }
            })
            .catch(e => this.note(`broker: ${(e as Error).message}`))
            .finally(() => this.broadcastNet())
        return this.brokerOps
    }

    /**
     * Points the lock at the simulator's broker, as a deploy does from .env.local: its MQTT_HOST
     * and MQTT_PORT settings over the bus, only when its flash does not hold them already. The link
     * reads them before each connection attempt.
     */
    private async pointAtBroker() {
        const b = this.options.broker
        if (!b) return
        const want: [string, Uint8Array][] = [
            ["MQTT_HOST", settingValue(b.host)],
            ["MQTT_PORT", settingValue(b.port)],
        ]
        const image = this.board.flash.image
        const held = (k: string, v: Uint8Array) => {
            const now = hasFstor(image) ? fstorValue(image, k) : undefined
            return !!now && Buffer.from(now).equals(Buffer.from(v))
        }
        const missing = want.filter(([k, v]) => !held(k, v))
        if (missing.length === 0) return
        await writeDeviceSettings(this.board.bus, this.board.device.deviceId!, new Map(missing))
        this.note(`lock pointed at the broker ${b.url} (its MQTT_HOST and MQTT_PORT settings)`)
    }

    private async powerOn() {
        if (this.stopped) return
        this.crash = []
        this.boots++
        this.setVm("booting")
        const crashed = new Promise<"crashed">(r => (this.crashed = () => r("crashed")))
        try {
            const how = await Promise.race([this.board.powerOn(), crashed])
            if (how !== "crashed" && this.vmState === "booting") {
                this.setVm("running")
                this.pointAtBroker().catch(e => this.note(`could not point the lock at the broker: ${(e as Error).message}`))
            }
        } catch (e) {
            // no "lock: ready" in time: shown as a crash (the board stays as it is; power cut retries)
            if (this.vmState === "booting") this.setVm("crashed", (e as Error).message.split("\n")[0])
        } finally {
            this.crashed = undefined
        }
    }

    private powerOff() {
        this.board.powerCut()
        this.setVm("off")
    }

    /** "Power cut": the VM stops at once; power comes back after a moment with the flash kept. */
    async powerCycle() {
        this.note("power cut")
        this.powerOff()
        await sleep(400)
        await this.powerOn()
    }

    /** Wipes the flash chip (codes, counter, device key, program), then powers on: setup mode. */
    async wipeFlash() {
        this.note("flash wiped")
        this.powerOff()
        await this.board.wipeFlash()
        if (this.options.flashFile) writeFileSync(this.options.flashFile, new Uint8Array(0))
        await sleep(400)
        await this.powerOn()
    }

    // ---- the firmware's console and crashes ----

    private onConsole(line: string) {
        if (/^flash sync/.test(line)) return
        this.history.push(forHistory(line))
        if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY)
        this.broadcast({ t: "console", line })
        if (this.link.take(line)) this.broadcastNet()
        if (/^\* (Exception|\s*message|\s*at )/.test(line) || /^! /.test(line)) this.crash.push(line.replace(/^[*!]\s*/, ""))
        const panic = /^vm: PANIC (\d+)/.exec(line)
        if (panic && this.vmState !== "off") this.onCrash(`PANIC ${panic[1]}${this.crash.length ? ": " + this.crash.join("; ") : ""}`)
    }

    /** A crashed program stays down for a moment, then the board resets itself (as a watchdog would). */
    private onCrash(detail: string) {
        this.setVm("crashed", detail)
        this.crashed?.()
        void this.onPower(async () => {
            this.board.powerCut()
            await sleep(this.options.crashRestartMs ?? 2000)
            if (this.vmState === "crashed") await this.powerOn()
        })
    }
}
