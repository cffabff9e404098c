/**
 * Attaches the simulated board to a DeviceScript devtools hub (`npm run watch`, i.e.
 * `devs devtools`: websocket 8081, TCP 8082). The board's bus gets a TCP transport to the hub,
 * and frames are forwarded between the in-process VM and the hub, so the hub's clients (its
 * dashboard, the VS Code extension) see the VM, the keypad, latch, buzzer, program button and
 * door sensor as one bus, and devtools deploys each build it makes to this VM.
 */
import { connect } from "node:net"
import { createRequire } from "node:module"
import { createNodeSocketTransport, FRAME_PROCESS, JDBus, Transport, type JDFrameBuffer } from "jacdac-ts"

export const HUB_HOST = "127.0.0.1"
export const HUB_TCP_PORT = 8082

/** Resolves if something listens on host:port, rejects with a message saying what to do. */
export function probeHub(port = HUB_TCP_PORT, host = HUB_HOST, timeoutMs = 1500): Promise<void> {
    return new Promise((resolve, reject) => {
        const sock = connect({ port, host })
        const fail = (why: string) => {
            sock.destroy()
            reject(new Error(`no DeviceScript hub on tcp://${host}:${port} (${why}): start one with \`npm run watch\` first`))
        }
        const timer = setTimeout(() => fail("no answer"), timeoutMs)
        sock.once("connect", () => {
            clearTimeout(timer)
            sock.end()
            resolve()
        })
        sock.once("error", e => {
            clearTimeout(timer)
            fail((e as NodeJS.ErrnoException).code ?? e.message)
        })
    })
}

/** Connects `bus` to the hub and bridges its VM transport there. Returns a function that detaches. */
export async function attachToHub(bus: JDBus, port = HUB_TCP_PORT, host = HUB_HOST): Promise<() => Promise<void>> {
    await probeHub(port, host)
    // jacdac-ts's ESM build loads "net" with a bare require(): give it one, or it never connects
    const g = globalThis as { require?: NodeRequire }
    g.require ??= createRequire(import.meta.url)
    const hub = createNodeSocketTransport(port, host)
    const vm = bus.transports.find(t => t.type === "devicescript-vm")
    bus.addTransport(hub)
    await hub.connect()
    // the bus sends what it originates (servers, pages) to every transport itself; frames that
    // arrive from one transport are only processed, so pass them to the other one
    const forward = (frame: JDFrameBuffer) => {
        const from = frame._jacdac_sender
        const to: Transport | undefined = from === hub.type ? vm : from === vm?.type ? hub : undefined
        if (to) void to.sendPacketWhenConnectedAsync(frame)
    }
    const stop = bus.subscribe(FRAME_PROCESS, forward)
    return async () => {
        stop()
        await hub.disconnect()
        hub.dispose()
    }
}
