/**
 * A patch of the DeviceScript runtime: at most SERVER_IN_FLIGHT packets to the device's own
 * services are handled at once; more are dropped unanswered (Jacdac clients ask again). The
 * runtime starts a fiber for every packet, and a flood of them (any command or register, a few ms
 * apart) holds fibers waiting on their answers until the heap runs out.
 */
import * as ds from "@devicescript/core"

const SERVER_IN_FLIGHT = 16
let serverInFlight = 0

/** Wraps the runtime's server packet handler; `dropped` is called for each packet dropped. */
export function limitServerPackets(dropped: () => void) {
    const d = ds as any
    const inner: (pkt: ds.Packet) => Promise<void> = d._onServerPacket
    if (!inner) return
    d._onServerPacket = async (pkt: ds.Packet) => {
        if (serverInFlight >= SERVER_IN_FLIGHT) {
            dropped()
            return
        }
        serverInFlight++
        try {
            await inner(pkt)
        } finally {
            serverInFlight--
        }
    }
}
