/**
 * Entry point of the TEST firmware (build/firmware-fast.devs, build/firmware-net.devs): the
 * shipping firmware plus a test-only way to set the wall clock over the bus
 * (./firmware/testclock.ts). Where the build enables the network, it runs the shipping link
 * (./firmware/net/lock-link.ts). Never ships.
 */
import { setClock, startLock, wallClockSeconds } from "./firmware/lock"
import { startBoard } from "./firmware/board"
import { startTestClock } from "./firmware/testclock"
import { startNetwork } from "./firmware/network.g"

startBoard()
await startLock()
startTestClock({ wallSeconds: wallClockSeconds, setClock: setClock })
startNetwork()
