/**
 * The page's end of the WebSocket to the simulated board: Jacdac frames in both directions
 * between the page's jacdac-ts bus and the board's bus, plus the JSON side channel
 * (web/protocol.ts). Reconnects by itself when the connection drops; stops when the simulator
 * refuses this page for good (a simulator started again has a new token: its new URL must be opened).
 */
import { createProxyBridge, JDBridge, JDBus } from "jacdac-ts"
import { parseServerMessage, type ClientMessage, type ServerMessage } from "./protocol"

export interface LinkHandlers {
    onMessage(m: ServerMessage): void
    onConnection(connected: boolean): void
    /** Asked after a connection that never opened: does the simulator refuse this page (HTTP 403)? */
    isRefused(): Promise<boolean>
    /** The simulator refuses this page: no more retries. */
    onRefused(): void
}

export class BoardLink {
    private ws: WebSocket | undefined
    private readonly bridge: JDBridge
    private retry: ReturnType<typeof setTimeout> | undefined
    connected = false

    constructor(
        readonly bus: JDBus,
        private readonly url: string,
        private readonly handlers: LinkHandlers,
    ) {
        this.bridge = createProxyBridge(frame => {
            if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(frame)
        })
        this.bridge.bus = bus
        this.open()
    }

    private open() {
        const ws = new WebSocket(this.url)
        ws.binaryType = "arraybuffer"
        this.ws = ws
        ws.onopen = () => {
            this.connected = true
            this.handlers.onConnection(true)
        }
        ws.onmessage = ev => {
            if (typeof ev.data === "string") {
                const m = parseServerMessage(ev.data)
                if (m) this.handlers.onMessage(m)
            } else {
                this.bridge.receiveFrameOrPacket(new Uint8Array(ev.data as ArrayBuffer))
            }
        }
        ws.onclose = () => {
            if (this.ws !== ws) return
            this.ws = undefined
            const wasOpen = this.connected
            if (this.connected) {
                this.connected = false
                this.handlers.onConnection(false)
            }
            clearTimeout(this.retry)
            const retry = () => (this.retry = setTimeout(() => this.open(), 1000))
            // a browser does not say why a WebSocket failed to open: ask over HTTP whether it was refused
            if (wasOpen) retry()
            else
                this.handlers.isRefused().then(
                    refused => (refused ? this.handlers.onRefused() : retry()),
                    () => retry(),
                )
        }
        ws.onerror = () => ws.close()
    }

    /** Sends a hand action; false when the simulator is not connected. */
    send(m: ClientMessage): boolean {
        if (this.ws?.readyState !== WebSocket.OPEN) return false
        this.ws.send(JSON.stringify(m))
        return true
    }
}
