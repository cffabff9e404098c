/** Latchkey firmware entry point: everything lives in ./firmware (adapters) and ./core (logic). */
import { startLock } from "./firmware/lock"
import { startBoard } from "./firmware/board"
import { startNetwork } from "./firmware/network.g"

startBoard()
await startLock()
// the MQTT link when devs.json enables it (an empty function otherwise); it never delays the lock.
// Companion frames on its request topic go to the bus's own protocol 2 handler (./firmware/net/lock-link.ts)
startNetwork()
