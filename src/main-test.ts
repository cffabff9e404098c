/**
 * Entry point of the TEST firmware (build/firmware-fast.devs, build/firmware-net.devs): the
 * shipping firmware plus a test-only way to set the wall clock over the bus
 * (./firmware/testclock.ts) and, where the build enables the network, a link that answers each
 * request with its bytes reversed (./firmware/net/reverse-requests.ts). Never ships.
 */
import { setClock, startLock, wallClockSeconds } from "./firmware/lock"
import { startBoard } from "./firmware/board"
import { startTestClock } from "./firmware/testclock"
import { startNetwork } from "./firmware/network.g"
import { reverseRequest } from "./firmware/net/reverse-requests"

startBoard()
await startLock()
startTestClock({ wallSeconds: wallClockSeconds, setClock: setClock })
startNetwork({ onRequest: reverseRequest })
