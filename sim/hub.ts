/**
 * Serves a jacdac-ts bus over TCP with the DeviceScript devtools framing (each frame preceded by
 * one length byte; 0xff + u16 LE for long ones), so that the companion CLI — or anything that
 * speaks to `devs devtools` on tcp 8082 — reaches the simulated lock exactly as it would reach a
 * board through the hub.
 */
import { createServer, Server, Socket } from "node:net"
import { createProxyBridge, JDBus } from "jacdac-ts"

/** One frame in the devtools TCP framing. */
export function frameOut(data: Uint8Array): Uint8Array {
    if (data.length < 255) {
        const out = new Uint8Array(1 + data.length)
        out[0] = data.length
        out.set(data, 1)
        return out
    }
    const out = new Uint8Array(3 + data.length)
    out[0] = 255
    out[1] = data.length & 0xff
    out[2] = data.length >> 8
    out.set(data, 3)
    return out
}

/** Splits a TCP byte stream into frames; keeps a partial frame for the next chunk. */
export class FrameReader {
    private acc = new Uint8Array(0)
    push(chunk: Uint8Array): Uint8Array[] {
        const buf = new Uint8Array(this.acc.length + chunk.length)
        buf.set(this.acc)
        buf.set(chunk, this.acc.length)
        const frames: Uint8Array[] = []
        let at = 0
        for (;;) {
            if (at >= buf.length) break
            let len = buf[at]
            let head = 1
            if (len === 255) {
                if (at + 3 > buf.length) break
                len = buf[at + 1] | (buf[at + 2] << 8)
                head = 3
            }
            if (at + head + len > buf.length) break
            frames.push(buf.slice(at + head, at + head + len))
            at += head + len
        }
        this.acc = buf.slice(at)
        return frames
    }
}

/** A running TCP hub; `port` is the port actually bound (useful with port 0). */
export interface TcpHub {
    port: number
    close(): Promise<void>
}

/** Serves `bus` on host:port (port 0 = any free port). Rejects when the port is taken. */
export function serveBusOverTcp(bus: JDBus, port: number, host = "127.0.0.1"): Promise<TcpHub> {
    const sockets = new Set<Socket>()
    const server: Server = createServer(sock => {
        sockets.add(sock)
        sock.setNoDelay(true)
        const bridge = createProxyBridge(data => {
            if (!sock.destroyed) sock.write(frameOut(data))
        })
        bridge.bus = bus
        const reader = new FrameReader()
        sock.on("data", chunk => {
            for (const f of reader.push(new Uint8Array(chunk))) bridge.receiveFrameOrPacket(f)
        })
        const drop = () => {
            sockets.delete(sock)
            bridge.bus = undefined as unknown as JDBus
        }
        sock.on("close", drop)
        sock.on("error", drop)
    })
    return new Promise((resolve, reject) => {
        server.once("error", (e: NodeJS.ErrnoException) =>
            reject(new Error(e.code === "EADDRINUSE" ? `port ${host}:${port} is already in use (another hub or simulator?)` : e.message)),
        )
        server.listen(port, host, () => {
            const addr = server.address()
            resolve({
                port: typeof addr === "object" && addr ? addr.port : port,
                close: () =>
                    new Promise<void>(r => {
                        for (const s of sockets) s.destroy()
                        server.close(() => r())
                    }),
            })
        })
    })
}
